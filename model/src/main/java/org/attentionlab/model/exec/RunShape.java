package org.attentionlab.model.exec;

/**
 * The run-time shape of a forward pass: batch size and sequence length are chosen per run, not per model; and
 * whether dropout is active (inference runs, like PyTorch's eval(), have it off), with its seed.
 */
public record RunShape(int batch, int seqLen, boolean dropout, int dropoutSeed) {

    public RunShape {
        if (batch < 1 || seqLen < 1) {
            throw new IllegalArgumentException("batch and sequence length must be >= 1, got " + batch + " x " + seqLen);
        }
    }

    public static RunShape inference(int batch, int seqLen) {
        return new RunShape(batch, seqLen, false, 0);
    }

    /** Rows of a [batch, seq, features] activation. */
    public int rows() {
        return batch * seqLen;
    }
}
