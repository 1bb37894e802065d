package org.attentionlab.model.tasks;

/**
 * Copying, the task induction heads solve: a random segment, a separator, and the same segment again; every
 * token of the copy is a target (the first one follows the separator).
 *
 * <pre>
 *   [0 ...] a b c ... 0 a b c ...          (seqLen + 1 tokens; segment length (seqLen) / 2)
 * </pre>
 * Token 0 is the separator (and fills the start when the two halves leave one token over); segment tokens are
 * {@code 1..vocabSize-1}.
 */
public record Copying(int vocabSize) implements Task {

    public static final String NAME = "copying";

    public Copying {
        if (vocabSize < 2) {
            throw new IllegalArgumentException("copying needs a vocabulary of at least 2 tokens, got " + vocabSize);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public TaskInput input() {
        return new TaskInput.Tokens(vocabSize);
    }

    @Override
    public int minSeqLen() {
        return 2;
    }

    @Override
    public String describe() {
        return NAME + " (tokens 1-" + (vocabSize - 1) + ", separator 0)";
    }

    @Override
    public Batch draw(long seed, long index, int batchSize, int seqLen) {
        checkShape(batchSize, seqLen);
        return TokenSequences.draw(seed, index, batchSize, seqLen, (random, sequence, answer) -> {
            int length = sequence.length;
            int segment = (length - 1) / 2;
            int padding = length - 1 - 2 * segment;
            int start = padding;
            for (int i = 0; i < padding; i++) {
                sequence[i] = 0;
            }
            for (int i = 0; i < segment; i++) {
                sequence[start + i] = 1 + random.nextInt(vocabSize - 1);
            }
            int separator = start + segment;
            sequence[separator] = 0;
            for (int i = 0; i < segment; i++) {
                sequence[separator + 1 + i] = sequence[start + i];
                answer[separator + 1 + i] = true;
            }
        });
    }
}
