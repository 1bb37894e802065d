package org.attentionlab.kernels.reference;

import java.util.function.IntFunction;

/**
 * The decode step of generation in double precision, written from its definition and independent of any cache: the
 * query of absolute position p attends to the keys of positions {@code max(0, p - windowLeft) .. p}, each key and
 * value looked up by its position (no slots, no buffer), with the bias of absolute positions (ALiBi
 * {@code -slope (p - j)}, APE {@code (1 - (p - j) / (p + 1)) scale}, p + 1 being the length of a sequence whose last
 * position is p).
 */
public final class CachedAttentionReference {

    private CachedAttentionReference() {
    }

    /**
     * One sequence's output row {@code [heads, headDim]}.
     *
     * @param query      the query at position p, {@code [heads, headDim]}
     * @param keyAt      the key of a position, {@code [kvHeads, headDim]}
     * @param valueAt    the value of a position, {@code [kvHeads, headDim]}
     * @param windowLeft keys this far back are still visible (a sliding window of W keys: W - 1)
     */
    public static double[] row(float[] query, IntFunction<float[]> keyAt, IntFunction<float[]> valueAt, int position, long windowLeft, int heads,
            int kvHeads, int headDim, AttentionReference.PositionBias bias, double scale) {
        int first = (int) Math.max(0, position - windowLeft);
        int count = position - first + 1;
        double[] out = new double[heads * headDim];
        for (int h = 0; h < heads; h++) {
            int kvHead = h / (heads / kvHeads);
            double[] logits = new double[count];
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < count; t++) {
                float[] key = keyAt.apply(first + t);
                double dot = 0;
                for (int d = 0; d < headDim; d++) {
                    dot += (double) query[h * headDim + d] * key[kvHead * headDim + d];
                }
                logits[t] = dot * scale + AttentionReference.bias(bias, h, position, first + t, position + 1);
                max = Math.max(max, logits[t]);
            }
            double sum = 0;
            for (int t = 0; t < count; t++) {
                sum += Math.exp(logits[t] - max);
            }
            for (int t = 0; t < count; t++) {
                double weight = Math.exp(logits[t] - max) / sum;
                float[] value = valueAt.apply(first + t);
                for (int d = 0; d < headDim; d++) {
                    out[h * headDim + d] += weight * value[kvHead * headDim + d];
                }
            }
        }
        return out;
    }
}
