package org.attentionlab.kernels.reference;

import org.attentionlab.kernels.reference.AttentionReference.Mask;
import org.attentionlab.kernels.reference.AttentionReference.PositionBias;
import org.attentionlab.kernels.reference.AttentionReference.Shape;

/**
 * The gradients of attention in double precision, by the chain rule written out densely, independent of the
 * kernels' recomputation: per (batch, head, query) the full row of probabilities P over the visible keys
 * ({@link AttentionReference#visibility}), {@code dP_ij = dOut_i . v_j}, the logits' gradient through the explicit
 * softmax Jacobian {@code dS_ij = sum_m P_m (delta_jm - P_j) dP_im} (no "D_i" shortcut), then
 * {@code dq_i = scale sum_j dS_ij k_j}, {@code dk_j += scale dS_ij q_i}, {@code dv_j += P_ij dOut_i}, with k and v
 * gradients of a kv head summed over the query heads that read it. Layouts as {@link AttentionReference}.
 */
public final class AttentionBackwardReference {

    /**
     * The gradients, and for each element the sum of the absolute values of the terms an fp32 computation adds up
     * for it ({@code scale sum_j P_ij sum_d |dOut_id| (|v_jd| + |out_id|) |k_j|} for dq, likewise for dk;
     * {@code sum_i P_ij |dOut_i|} for dv): the size its rounding errors scale with, where the gradient itself may
     * be small by cancellation.
     */
    public record Gradients(double[] dq, double[] dk, double[] dv, double[] dqMagnitude, double[] dkMagnitude, double[] dvMagnitude) {
    }

    private AttentionBackwardReference() {
    }

    /** {@code log sum_j exp(logit_ij)} over the visible keys, {@code [batch, heads, seq]}. */
    public static double[] logSumExp(Shape shape, double[] q, double[] k, Mask mask, PositionBias bias, double scale) {
        int L = shape.seqLen();
        double[] result = new double[shape.batch() * shape.heads() * L];
        for (int b = 0; b < shape.batch(); b++) {
            for (int h = 0; h < shape.heads(); h++) {
                boolean[][] visible = AttentionReference.visibility(L, mask, h);
                for (int i = 0; i < L; i++) {
                    double[] logits = logits(shape, q, k, visible, bias, scale, b, h, i);
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < L; j++) {
                        if (visible[i][j]) {
                            max = Math.max(max, logits[j]);
                        }
                    }
                    double sum = 0;
                    for (int j = 0; j < L; j++) {
                        if (visible[i][j]) {
                            sum += Math.exp(logits[j] - max);
                        }
                    }
                    result[(b * shape.heads() + h) * L + i] = max + Math.log(sum);
                }
            }
        }
        return result;
    }

    /** The gradients of {@code sum(dOut * attention(q, k, v))} with respect to q, k and v. */
    public static Gradients gradients(Shape shape, double[] q, double[] k, double[] v, double[] dOut, Mask mask, PositionBias bias, double scale) {
        int L = shape.seqLen();
        int H = shape.heads();
        int Hkv = shape.kvHeads();
        int D = shape.headDim();
        double[] out = AttentionReference.attention(shape, q, k, v, mask, bias, scale);
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
                    double[] p = softmax(logits(shape, q, k, visible, bias, scale, b, h, i), visible[i]);
                    double[] dp = new double[L];
                    double[] spread = new double[L];
                    for (int j = 0; j < L; j++) {
                        int keyBase = ((b * L + j) * Hkv + kvHead) * D;
                        for (int d = 0; d < D; d++) {
                            dp[j] += dOut[queryBase + d] * v[keyBase + d];
                            spread[j] += Math.abs(dOut[queryBase + d]) * (Math.abs(v[keyBase + d]) + Math.abs(out[queryBase + d]));
                        }
                    }
                    for (int j = 0; j < L; j++) {
                        if (!visible[i][j]) {
                            continue;
                        }
                        double ds = 0;
                        for (int m = 0; m < L; m++) {
                            double jacobian = p[m] * ((j == m ? 1.0 : 0.0) - p[j]);
                            ds += jacobian * dp[m];
                        }
                        int keyBase = ((b * L + j) * Hkv + kvHead) * D;
                        for (int d = 0; d < D; d++) {
                            dq[queryBase + d] += scale * ds * k[keyBase + d];
                            dk[keyBase + d] += scale * ds * q[queryBase + d];
                            dv[keyBase + d] += p[j] * dOut[queryBase + d];
                            dqMagnitude[queryBase + d] += Math.abs(scale) * p[j] * spread[j] * Math.abs(k[keyBase + d]);
                            dkMagnitude[keyBase + d] += Math.abs(scale) * p[j] * spread[j] * Math.abs(q[queryBase + d]);
                            dvMagnitude[keyBase + d] += p[j] * Math.abs(dOut[queryBase + d]);
                        }
                    }
                }
            }
        }
        return new Gradients(dq, dk, dv, dqMagnitude, dkMagnitude, dvMagnitude);
    }

    /** Row i of the logits of head h (entries of invisible keys left at 0 and never read). */
    static double[] logits(Shape shape, double[] q, double[] k, boolean[][] visible, PositionBias bias, double scale, int b, int h, int i) {
        int L = shape.seqLen();
        int D = shape.headDim();
        int kvHead = h / (shape.heads() / shape.kvHeads());
        double[] logits = new double[L];
        for (int j = 0; j < L; j++) {
            if (visible[i][j]) {
                double dot = 0;
                for (int d = 0; d < D; d++) {
                    dot += q[((b * L + i) * shape.heads() + h) * D + d] * k[((b * L + j) * shape.kvHeads() + kvHead) * D + d];
                }
                logits[j] = dot * scale + AttentionReference.bias(bias, h, i, j, L);
            }
        }
        return logits;
    }

    /** The softmax of the visible entries; invisible ones get probability 0. */
    static double[] softmax(double[] logits, boolean[] visible) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < logits.length; j++) {
            if (visible[j]) {
                max = Math.max(max, logits[j]);
            }
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int j = 0; j < logits.length; j++) {
            if (visible[j]) {
                p[j] = Math.exp(logits[j] - max);
                sum += p[j];
            }
        }
        for (int j = 0; j < logits.length; j++) {
            p[j] /= sum;
        }
        return p;
    }
}
