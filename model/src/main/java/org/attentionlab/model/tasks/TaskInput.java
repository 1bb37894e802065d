package org.attentionlab.model.tasks;

/** What a task feeds a model: token ids below a vocabulary size, or feature vectors of a width. */
public sealed interface TaskInput {

    /** Token ids in {@code [0, vocabSize)}; the model's vocabulary must be at least this large. */
    record Tokens(int vocabSize) implements TaskInput {
    }

    /** Feature vectors of {@code width} floats; targets are vectors of {@code targetWidth} floats. */
    record Features(int width, int targetWidth) implements TaskInput {
    }
}
