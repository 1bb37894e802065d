package org.attentionlab.model.tasks;

/** One batch drawn from a {@link Task}: inputs and per-position targets, row-major [batch, seqLen, ...]. */
public sealed interface Batch {

    /** The target of a position whose next token cannot be known (it does not count in the loss or accuracy). */
    int IGNORED = -1;

    int batchSize();

    int seqLen();

    /** Positions whose target counts, over the whole batch. */
    int countedPositions();

    /**
     * Token input and next-token targets.
     *
     * @param inputs  [batchSize, seqLen] token ids
     * @param targets [batchSize, seqLen] the token expected after each position, or {@link #IGNORED}
     */
    record Tokens(int batchSize, int seqLen, int[] inputs, int[] targets) implements Batch {
        public Tokens {
            if (inputs.length != batchSize * seqLen || targets.length != batchSize * seqLen) {
                throw new IllegalArgumentException("token batch arrays must hold batchSize * seqLen entries");
            }
        }

        @Override
        public int countedPositions() {
            int counted = 0;
            for (int target : targets) {
                if (target != IGNORED) {
                    counted++;
                }
            }
            return counted;
        }
    }

    /**
     * Feature input and regression targets.
     *
     * @param inputs      [batchSize, seqLen, width]
     * @param targets     [batchSize, seqLen, targetWidth]; zeros where {@code counted} is 0
     * @param counted     [batchSize, seqLen] 1 where the position's target counts, else 0
     */
    record Features(int batchSize, int seqLen, int width, int targetWidth, float[] inputs, float[] targets, int[] counted)
            implements Batch {
        public Features {
            int positions = batchSize * seqLen;
            if (inputs.length != positions * width || targets.length != positions * targetWidth || counted.length != positions) {
                throw new IllegalArgumentException("feature batch arrays do not match [batchSize, seqLen, width]");
            }
        }

        @Override
        public int countedPositions() {
            int total = 0;
            for (int c : counted) {
                total += c;
            }
            return total;
        }
    }
}
