package org.attentionlab.model.spec;

/** How the learning rate moves after the linear warm-up. */
public enum LrSchedule implements YamlName {
    /** Half a cosine from the learning rate down to min_learning_rate at the last step. */
    COSINE,
    /** The learning rate itself. */
    CONSTANT
}
