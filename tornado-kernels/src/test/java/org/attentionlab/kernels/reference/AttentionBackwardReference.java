package org.attentionlab.kernels.reference;

import java.util.Arrays;

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

    /**
     * The gradients of {@code sum(dOut * attention(q, k, v))} with respect to q, k and v: attention without dropout,
     * i.e. {@link DroppedAttentionReference#gradients} with every factor 1.
     */
    public static Gradients gradients(Shape shape, double[] q, double[] k, double[] v, double[] dOut, Mask mask, PositionBias bias, double scale) {
        double[] noDropout = new double[shape.batch() * shape.heads() * shape.seqLen() * shape.seqLen()];
        Arrays.fill(noDropout, 1.0);
        return DroppedAttentionReference.gradients(shape, q, k, v, dOut, mask, bias, scale, noDropout);
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
