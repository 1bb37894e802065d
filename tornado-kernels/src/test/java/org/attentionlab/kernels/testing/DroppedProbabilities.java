package org.attentionlab.kernels.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.attentionlab.kernels.reference.AttentionReference;

/**
 * Reads the dropped probabilities {@code m_ij P_ij} back from the attention kernels' outputs: with one-hot values
 * ({@code v_j = e_j}) the forward writes them to {@code out_i[j]}, and with one-hot output gradients
 * ({@code dOut_i = e_i}) the backward writes them to {@code dv_j[i]}. So the mask a forward drew and the mask the
 * backward regenerated can be compared, with each other and with the specification, on any device.
 */
public final class DroppedProbabilities {

    private DroppedProbabilities() {
    }

    /** {@code c} with one-hot values; {@code c} needs as many kv heads as heads and {@code headDim >= seqLen}. */
    public static AttentionCase withOneHotValues(AttentionCase c) {
        if (c.numKvHeads() != c.numHeads() || c.headDim() < c.seqLen()) {
            throw new IllegalArgumentException("one-hot rows need kv heads = heads and head_dim >= seqLen: " + c);
        }
        float[] v = new float[c.v().length];
        for (int b = 0; b < c.batch(); b++) {
            for (int h = 0; h < c.numHeads(); h++) {
                for (int j = 0; j < c.seqLen(); j++) {
                    v[c.kvIndex(b, j, h, j)] = 1f;
                }
            }
        }
        return c.withInputs(c.q(), c.k(), v);
    }

    /** One-hot output gradients for {@link #withOneHotValues}' case: {@code dOut_i = e_i}. */
    public static float[] oneHotGradients(AttentionCase c) {
        float[] dOut = new float[c.q().length];
        for (int b = 0; b < c.batch(); b++) {
            for (int h = 0; h < c.numHeads(); h++) {
                for (int i = 0; i < c.seqLen(); i++) {
                    dOut[c.queryIndex(b, i, h, i)] = 1f;
                }
            }
        }
        return dOut;
    }

    /**
     * Checks that the forward's {@code out} and the backward's {@code dv} hold the same {@code m_ij P_ij} (within
     * {@code rel}), zero exactly where the pair is invisible or {@code factors} (the specification's mask,
     * {@code [batch, heads, seq, seq]}) drops it; returns how many visible pairs were kept and dropped.
     */
    public static int[] assertSameMask(String what, AttentionCase c, double[] factors, float[] out, float[] dv, double rel) {
        int L = c.seqLen();
        int kept = 0;
        int dropped = 0;
        for (int b = 0; b < c.batch(); b++) {
            for (int h = 0; h < c.numHeads(); h++) {
                boolean[][] visible = AttentionReference.visibility(L, c.referenceMask(), h);
                for (int i = 0; i < L; i++) {
                    for (int j = 0; j < L; j++) {
                        float fromForward = out[c.queryIndex(b, i, h, j)];
                        float fromBackward = dv[c.kvIndex(b, j, h, i)];
                        String at = what + ": (b " + b + ", h " + h + ", i " + i + ", j " + j + ")";
                        boolean keptBySpec = visible[i][j] && factors[((b * c.numHeads() + h) * L + i) * L + j] != 0;
                        assertEquals(keptBySpec, fromForward != 0f, at + ": the forward's mask against the specification");
                        assertEquals(keptBySpec, fromBackward != 0f, at + ": the backward's mask against the specification");
                        assertEquals(fromForward, fromBackward, rel * Math.abs(fromForward), at + ": m P in the forward and the backward");
                        if (visible[i][j]) {
                            if (keptBySpec) {
                                kept++;
                            } else {
                                dropped++;
                            }
                        }
                    }
                }
            }
        }
        assertTrue(kept > 0 && dropped > 0, what + ": both kept and dropped probabilities: " + kept + " kept, " + dropped + " dropped");
        return new int[] { kept, dropped };
    }
}
