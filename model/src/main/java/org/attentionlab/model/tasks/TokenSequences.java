package org.attentionlab.model.tasks;

import java.util.SplittableRandom;

/** Assembles next-token batches from rows that each task writes as one sequence of seqLen + 1 tokens. */
final class TokenSequences {

    /** Writes one row: {@code sequence} has seqLen + 1 entries; set {@code answer[p]} where token p is to be predicted. */
    @FunctionalInterface
    interface RowWriter {
        void write(SplittableRandom random, int[] sequence, boolean[] answer);
    }

    private TokenSequences() {
    }

    static Batch.Tokens draw(long seed, long index, int batchSize, int seqLen, RowWriter writer) {
        int[] inputs = new int[batchSize * seqLen];
        int[] targets = new int[batchSize * seqLen];
        int[] sequence = new int[seqLen + 1];
        boolean[] answer = new boolean[seqLen + 1];
        for (int row = 0; row < batchSize; row++) {
            java.util.Arrays.fill(answer, false);
            writer.write(TaskRandom.row(seed, index, row), sequence, answer);
            for (int t = 0; t < seqLen; t++) {
                inputs[row * seqLen + t] = sequence[t];
                targets[row * seqLen + t] = answer[t + 1] ? sequence[t + 1] : Batch.IGNORED;
            }
        }
        return new Batch.Tokens(batchSize, seqLen, inputs, targets);
    }
}
