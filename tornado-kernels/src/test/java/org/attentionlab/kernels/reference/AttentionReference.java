package org.attentionlab.kernels.reference;

/**
 * Attention computed the obvious way in double precision, independent of the kernels: a dense L x L visibility
 * matrix built from the mask's definition, dense logits with the bias written out from its formula, a softmax
 * over each row, and the weighted sum of V. Layouts: q and the result {@code [batch, seq, heads, headDim]}, k and
 * v {@code [batch, seq, kvHeads, headDim]}; query head h reads kv head {@code h / (heads / kvHeads)}.
 */
public final class AttentionReference {

    public enum Bias {
        NONE, ALIBI, APE
    }

    /**
     * The mask: for head h, key j is visible to query i iff {@code i - windowLeft[h] <= j <= i + windowRight[h]}, or
     * i or j is a global token; and, when {@code causal}, only if {@code j <= i} (global tokens included: in a causal
     * model a global token at g attends to the keys up to g and is attended by the queries from g on). A window array
     * of one element serves every head.
     */
    public record Mask(long[] windowLeft, long[] windowRight, int[] globalTokens, boolean causal) {

        /** One band for every head. */
        public Mask(long windowLeft, long windowRight, int[] globalTokens, boolean causal) {
            this(new long[] { windowLeft }, new long[] { windowRight }, globalTokens, causal);
        }

        /** One band for every head, no causality beyond the band's. */
        public Mask(long windowLeft, long windowRight, int[] globalTokens) {
            this(windowLeft, windowRight, globalTokens, false);
        }

        long left(int head) {
            return windowLeft.length == 1 ? windowLeft[0] : windowLeft[head];
        }

        long right(int head) {
            return windowRight.length == 1 ? windowRight[0] : windowRight[head];
        }
    }

    /**
     * The bias: ALiBi {@code -slopes[h] * |i - j|}, APE {@code (1 - |i - j| / L) * apeScale}.
     */
    public record PositionBias(Bias kind, double[] slopes, double apeScale) {

        public static PositionBias none() {
            return new PositionBias(Bias.NONE, new double[0], 0);
        }
    }

    public record Shape(int batch, int seqLen, int heads, int kvHeads, int headDim) {
    }

    private AttentionReference() {
    }

    /** Head 0's visibility (every head's, when the mask has one band). */
    public static boolean[][] visibility(int seqLen, Mask mask) {
        return visibility(seqLen, mask, 0);
    }

    public static boolean[][] visibility(int seqLen, Mask mask, int head) {
        boolean[] global = new boolean[seqLen];
        for (int g : mask.globalTokens()) {
            global[g] = true;
        }
        boolean[][] visible = new boolean[seqLen][seqLen];
        for (int i = 0; i < seqLen; i++) {
            for (int j = 0; j < seqLen; j++) {
                boolean inBand = (long) j >= i - mask.left(head) && (long) j <= i + mask.right(head);
                boolean beforeOrSelf = j <= i;
                visible[i][j] = (inBand || global[i] || global[j]) && (beforeOrSelf || !mask.causal());
            }
        }
        return visible;
    }

    public static double bias(PositionBias bias, int head, int i, int j, int seqLen) {
        int distance = Math.abs(i - j);
        return switch (bias.kind()) {
            case NONE -> 0.0;
            case ALIBI -> -bias.slopes()[head] * distance;
            case APE -> (1.0 - (double) distance / seqLen) * bias.apeScale();
        };
    }

    public static double[] attention(Shape shape, float[] q, float[] k, float[] v, Mask mask, PositionBias bias, double scale) {
        return attention(shape, widen(q), widen(k), widen(v), mask, bias, scale);
    }

    /** The same on float64 inputs (finite differences perturb them by less than a float's precision). */
    public static double[] attention(Shape shape, double[] q, double[] k, double[] v, Mask mask, PositionBias bias, double scale) {
        int L = shape.seqLen();
        int H = shape.heads();
        int Hkv = shape.kvHeads();
        int D = shape.headDim();
        double[] out = new double[shape.batch() * L * H * D];
        double[] logits = new double[L];
        for (int b = 0; b < shape.batch(); b++) {
            for (int h = 0; h < H; h++) {
                boolean[][] visible = visibility(L, mask, h);
                int kvHead = h / (H / Hkv);
                for (int i = 0; i < L; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < L; j++) {
                        if (!visible[i][j]) {
                            continue;
                        }
                        double dot = 0;
                        for (int d = 0; d < D; d++) {
                            dot += q[((b * L + i) * H + h) * D + d] * k[((b * L + j) * Hkv + kvHead) * D + d];
                        }
                        logits[j] = dot * scale + bias(bias, h, i, j, L);
                        max = Math.max(max, logits[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < L; j++) {
                        if (visible[i][j]) {
                            sum += Math.exp(logits[j] - max);
                        }
                    }
                    for (int d = 0; d < D; d++) {
                        double acc = 0;
                        for (int j = 0; j < L; j++) {
                            if (visible[i][j]) {
                                acc += Math.exp(logits[j] - max) * v[((b * L + j) * Hkv + kvHead) * D + d];
                            }
                        }
                        out[((b * L + i) * H + h) * D + d] = acc / sum;
                    }
                }
            }
        }
        return out;
    }

    private static double[] widen(float[] values) {
        double[] wide = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            wide[i] = values[i];
        }
        return wide;
    }
}
