package org.attentionlab.model.config;

import org.attentionlab.model.spec.TrainSpec;

/**
 * A config resolved for training: the model, its {@code train:} block, and where each key was written, so that a
 * rule checked later (when the model or the text file exists) is still reported at its key, file, line and column.
 */
public record TrainingConfig(ModelSpec model, TrainSpec train, ConfigErrors errors) {
}
