package org.attentionlab.model.tasks;

/**
 * A training or evaluation task whose examples are generated from a seed, so that any number of batches can be
 * drawn at any sequence length, and batch {@code index} is the same whenever it is drawn (a resumed run continues
 * with exactly the batches it would have seen).
 *
 * <p>Token tasks are next-token prediction: the task builds a sequence {@code s} of {@code seqLen + 1} tokens, the
 * input is {@code s[0 .. seqLen-1]} and the target at position t is {@code s[t + 1]} where that token can be known
 * (an answer), {@link Batch#IGNORED} elsewhere. The last position of every row is always a counted target, so a
 * model that returns only its last position ({@code output: last}) can be trained on the same batches.
 */
public sealed interface Task permits AssociativeRecall, PasskeyRetrieval, Copying, DelayedRecall, TextModeling {

    /** The name used in configs ({@code associative_recall}, ...). */
    String name();

    /** Token ids (with the vocabulary size the model needs) or feature vectors (with their width). */
    TaskInput input();

    /** The shortest sequence this task can build. */
    int minSeqLen();

    /**
     * Batch {@code index} of {@code batchSize} rows of {@code seqLen} positions; row r depends only on
     * ({@code seed}, {@code index}, r, {@code seqLen}).
     *
     * @throws IllegalArgumentException when {@code seqLen < minSeqLen()} or {@code batchSize < 1}
     */
    Batch draw(long seed, long index, int batchSize, int seqLen);

    /** A one-line description with the task's settings, for logs and reports. */
    String describe();

    /** The check every task makes before drawing. */
    default void checkShape(int batchSize, int seqLen) {
        if (batchSize < 1) {
            throw new IllegalArgumentException(name() + ": batch size must be >= 1, got " + batchSize);
        }
        if (seqLen < minSeqLen()) {
            throw new IllegalArgumentException(name() + " needs sequences of at least " + minSeqLen()
                    + " positions (" + describe() + "), got " + seqLen);
        }
    }
}
