package org.attentionlab.kernels.reference;

import java.util.function.IntFunction;

/**
 * The decode step of generation in double precision, written from its definition and independent of any cache: the
 * query of absolute position p attends to the keys of positions {@code max(0, p - windowLeft) .. p} (plus global
 * tokens before them, or every key up to p when p is one), each key and
 * value looked up by its position (no slots, no buffer), with the bias of absolute positions (ALiBi
 * {@code -slope (p - j)}, APE {@code (1 - (p - j) / (p + 1)) scale}, p + 1 being the length of a sequence whose last
 * position is p).
 */
public final class CachedAttentionReference {

    private CachedAttentionReference() {
    }

    /**
     * One sequence's output row {@code [heads, headDim]}, one window for every head and no global tokens.
     *
     * @param query      the query at position p, {@code [heads, headDim]}
     * @param keyAt      the key of a position, {@code [kvHeads, headDim]}
     * @param valueAt    the value of a position, {@code [kvHeads, headDim]}
     * @param windowLeft keys this far back are still visible (a sliding window of W keys: W - 1)
     */
    public static double[] row(float[] query, IntFunction<float[]> keyAt, IntFunction<float[]> valueAt, int position, long windowLeft, int heads,
            int kvHeads, int headDim, AttentionReference.PositionBias bias, double scale) {
        long[] windowLefts = new long[heads];
        java.util.Arrays.fill(windowLefts, windowLeft);
        return row(query, keyAt, valueAt, position, windowLefts, new int[0], heads, kvHeads, headDim, bias, scale);
    }

    /**
     * One sequence's output row with head h's window {@code windowLeft[h]} and global tokens: key j is visible iff
     * {@code j <= p} and ({@code p - j <= windowLeft[h]}, or p or j is a global token).
     */
    public static double[] row(float[] query, IntFunction<float[]> keyAt, IntFunction<float[]> valueAt, int position, long[] windowLeft, int[] globals,
            int heads, int kvHeads, int headDim, AttentionReference.PositionBias bias, double scale) {
        java.util.Set<Integer> global = new java.util.HashSet<>();
        for (int g : globals) {
            global.add(g);
        }
        double[] out = new double[heads * headDim];
        for (int h = 0; h < heads; h++) {
            int kvHead = h / (heads / kvHeads);
            java.util.List<Integer> keys = new java.util.ArrayList<>();
            for (int j = 0; j <= position; j++) {
                if (position - j <= windowLeft[h] || global.contains(position) || global.contains(j)) {
                    keys.add(j);
                }
            }
            double[] logits = new double[keys.size()];
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < keys.size(); t++) {
                float[] key = keyAt.apply(keys.get(t));
                double dot = 0;
                for (int d = 0; d < headDim; d++) {
                    dot += (double) query[h * headDim + d] * key[kvHead * headDim + d];
                }
                logits[t] = dot * scale + AttentionReference.bias(bias, h, position, keys.get(t), position + 1);
                max = Math.max(max, logits[t]);
            }
            double sum = 0;
            for (double logit : logits) {
                sum += Math.exp(logit - max);
            }
            for (int t = 0; t < keys.size(); t++) {
                double weight = Math.exp(logits[t] - max) / sum;
                float[] value = valueAt.apply(keys.get(t));
                for (int d = 0; d < headDim; d++) {
                    out[h * headDim + d] += weight * value[kvHead * headDim + d];
                }
            }
        }
        return out;
    }
}
