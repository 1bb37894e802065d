package org.attentionlab.kernels.reference;

import org.attentionlab.kernels.reference.AttentionBackwardReference.Gradients;
import org.attentionlab.kernels.reference.AttentionReference.Mask;
import org.attentionlab.kernels.reference.AttentionReference.PositionBias;
import org.attentionlab.kernels.reference.AttentionReference.Shape;

/**
 * Attention with dropout on its probabilities, in double precision, the dropout mask given: PyTorch's
 * {@code dropout(softmax(S)) @ V}, {@code out_i = sum_j m_ij P_ij v_j} with the softmax P over the visible keys
 * (its normaliser takes every visible key, dropped or not) and {@code m_ij} the factor of (batch, head, query,
 * key), {@code [batch, heads, seq, seq]}: 0 where dropped, {@code 1 / keep} where kept. The gradients by the chain
 * rule written out densely: {@code dP_ij = m_ij dOut_i . v_j}, the logits' gradient through the explicit softmax
 * Jacobian, {@code dv_j += m_ij P_ij dOut_i}. {@link #mask} draws the factors from their specification
 * (tornado-kernels' AttentionMasks, "Attention dropout") in long arithmetic modulo 2^32.
 */
public final class DroppedAttentionReference {

    private static final long GOLDEN_GAMMA = 0x9E3779B9L;
    private static final long SEED_SALT = 0x5BD1E995L;
    private static final double TWO_TO_24 = 16777216.0;

    private DroppedAttentionReference() {
    }

    /** The factor of every (b, h, i, j), {@code [batch, heads, seq, seq]}, for keep threshold {@code threshold} (of 2^24) and seed {@code seed}. */
    public static double[] mask(Shape shape, int threshold, int seed) {
        int L = shape.seqLen();
        double[] factors = new double[shape.batch() * shape.heads() * L * L];
        long key = ActivationReference.murmurFinalizer((seed ^ SEED_SALT) & 0xFFFFFFFFL);
        for (int row = 0; row < shape.batch() * shape.heads() * L; row++) {
            long rowKey = ActivationReference.murmurFinalizer((row * GOLDEN_GAMMA + key) & 0xFFFFFFFFL);
            for (int j = 0; j < L; j++) {
                long bits = ActivationReference.murmurFinalizer((j * GOLDEN_GAMMA + rowKey) & 0xFFFFFFFFL) >>> 8;
                factors[row * L + j] = bits < threshold ? TWO_TO_24 / threshold : 0.0;
            }
        }
        return factors;
    }

    /** {@code out_i = sum_j m_ij P_ij v_j}, {@code [batch, seq, heads, headDim]}. */
    public static double[] attention(Shape shape, double[] q, double[] k, double[] v, Mask mask, PositionBias bias, double scale, double[] factors) {
        int L = shape.seqLen();
        int H = shape.heads();
        int D = shape.headDim();
        double[] out = new double[q.length];
        for (int b = 0; b < shape.batch(); b++) {
            for (int h = 0; h < H; h++) {
                boolean[][] visible = AttentionReference.visibility(L, mask, h);
                int kvHead = h / (H / shape.kvHeads());
                for (int i = 0; i < L; i++) {
                    double[] p = AttentionBackwardReference.softmax(AttentionBackwardReference.logits(shape, q, k, visible, bias, scale, b, h, i), visible[i]);
                    int queryBase = ((b * L + i) * H + h) * D;
                    int row = ((b * H + h) * L + i) * L;
                    for (int j = 0; j < L; j++) {
                        int keyBase = ((b * L + j) * shape.kvHeads() + kvHead) * D;
                        for (int d = 0; d < D; d++) {
                            out[queryBase + d] += factors[row + j] * p[j] * v[keyBase + d];
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * The gradients of {@code sum(dOut * attention(q, k, v))} with the mask fixed, and the magnitudes
     * ({@link Gradients}) with the factors in their terms.
     */
    public static Gradients gradients(Shape shape, double[] q, double[] k, double[] v, double[] dOut, Mask mask, PositionBias bias, double scale,
            double[] factors) {
        int L = shape.seqLen();
        int H = shape.heads();
        int Hkv = shape.kvHeads();
        int D = shape.headDim();
        double[] out = attention(shape, q, k, v, mask, bias, scale, factors);
        double[] dq = new double[q.length];
        double[] dk = new double[k.length];
        double[] dv = new double[v.length];
        double[] dqMagnitude = new double[q.length];
        double[] dkMagnitude = new double[k.length];
        double[] dvMagnitude = new double[v.length];
        for (int b = 0; b < shape.batch(); b++) {
            for (int h = 0; h < H; h++) {
                boolean[][] visible = AttentionReference.visibility(L, mask, h);
                int kvHead = h / (H / Hkv);
                for (int i = 0; i < L; i++) {
                    int queryBase = ((b * L + i) * H + h) * D;
                    int row = ((b * H + h) * L + i) * L;
                    double[] p = AttentionBackwardReference.softmax(AttentionBackwardReference.logits(shape, q, k, visible, bias, scale, b, h, i), visible[i]);
                    double[] dp = new double[L];
                    double[] spread = new double[L];
                    for (int j = 0; j < L; j++) {
                        int keyBase = ((b * L + j) * Hkv + kvHead) * D;
                        for (int d = 0; d < D; d++) {
                            dp[j] += factors[row + j] * dOut[queryBase + d] * v[keyBase + d];
                            spread[j] += Math.abs(dOut[queryBase + d]) * (factors[row + j] * Math.abs(v[keyBase + d]) + Math.abs(out[queryBase + d]));
                        }
                    }
                    for (int j = 0; j < L; j++) {
                        if (!visible[i][j]) {
                            continue;
                        }
                        double ds = 0;
                        for (int m = 0; m < L; m++) {
                            ds += p[m] * ((j == m ? 1.0 : 0.0) - p[j]) * dp[m];
                        }
                        int keyBase = ((b * L + j) * Hkv + kvHead) * D;
                        for (int d = 0; d < D; d++) {
                            dq[queryBase + d] += scale * ds * k[keyBase + d];
                            dk[keyBase + d] += scale * ds * q[queryBase + d];
                            dv[keyBase + d] += factors[row + j] * p[j] * dOut[queryBase + d];
                            dqMagnitude[queryBase + d] += Math.abs(scale) * p[j] * spread[j] * Math.abs(k[keyBase + d]);
                            dkMagnitude[keyBase + d] += Math.abs(scale) * p[j] * spread[j] * Math.abs(q[queryBase + d]);
                            dvMagnitude[keyBase + d] += factors[row + j] * p[j] * Math.abs(dOut[queryBase + d]);
                        }
                    }
                }
            }
        }
        return new Gradients(dq, dk, dv, dqMagnitude, dkMagnitude, dvMagnitude);
    }
}
