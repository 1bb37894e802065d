package org.attentionlab.kernels.testing;

import java.util.Arrays;
import java.util.Random;

import org.attentionlab.kernels.AttentionMasks;
import org.attentionlab.kernels.PositionalBiases;
import org.attentionlab.kernels.reference.AttentionBackwardReference;
import org.attentionlab.kernels.reference.AttentionReference;

import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One call of the attention kernels: shape, mask (each head's window sides as {@code [numHeads * 2]} left, right; the
 * causal flag; the global tokens), bias, scale, chunk size and the inputs q, k, v in the kernels' layouts.
 * {@link #reference()} gives the float64 answer from {@link AttentionReference}.
 */
public record AttentionCase(int batch, int seqLen, int numHeads, int numKvHeads, int headDim, int[] windows, boolean causal, int[] globalTokens,
        int biasKind, float[] slopes, float apeScale, float scale, int chunkSize, float[] q, float[] k, float[] v) {

    /**
     * A case with one band (windowLeft, windowRight) for every head, not causal (the band alone decides, global tokens
     * see and are seen by every position: {@link #withCausal} for a causal one), inputs drawn uniformly from [-1, 1),
     * the bias NONE and scale 1/sqrt(headDim).
     */
    public static AttentionCase random(long seed, int batch, int seqLen, int numHeads, int numKvHeads, int headDim, int windowLeft, int windowRight,
            int... globalTokens) {
        Random random = new Random(seed);
        return new AttentionCase(batch, seqLen, numHeads, numKvHeads, headDim, uniformWindows(numHeads, windowLeft, windowRight), false,
                globalTokens.clone(), PositionalBiases.NONE,
                new float[] { 0f }, 0f, (float) (1.0 / Math.sqrt(headDim)), 8, uniform(random, batch * seqLen * numHeads * headDim),
                uniform(random, batch * seqLen * numKvHeads * headDim), uniform(random, batch * seqLen * numKvHeads * headDim));
    }

    public static float[] uniform(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextFloat() * 2f - 1f;
        }
        return values;
    }

    public AttentionCase withBias(int kind, float[] biasSlopes, float biasApeScale) {
        return new AttentionCase(batch, seqLen, numHeads, numKvHeads, headDim, windows, causal, globalTokens, kind, biasSlopes.clone(), biasApeScale,
                scale, chunkSize, q, k, v);
    }

    /** The same band (left, right) for every head. */
    public AttentionCase withWindow(int left, int right) {
        return withWindows(uniformWindows(numHeads, left, right));
    }

    /** Head h's band is {@code (perHead[2h], perHead[2h + 1])}. */
    public AttentionCase withWindows(int[] perHead) {
        if (perHead.length != 2 * numHeads) {
            throw new IllegalArgumentException("windows needs 2 x " + numHeads + " elements, got " + perHead.length);
        }
        return new AttentionCase(batch, seqLen, numHeads, numKvHeads, headDim, perHead.clone(), causal, globalTokens, biasKind, slopes, apeScale, scale,
                chunkSize, q, k, v);
    }

    public AttentionCase withCausal(boolean newCausal) {
        return new AttentionCase(batch, seqLen, numHeads, numKvHeads, headDim, windows, newCausal, globalTokens, biasKind, slopes, apeScale, scale,
                chunkSize, q, k, v);
    }

    public AttentionCase withGlobalTokens(int... positions) {
        return new AttentionCase(batch, seqLen, numHeads, numKvHeads, headDim, windows, causal, positions.clone(), biasKind, slopes, apeScale, scale,
                chunkSize, q, k, v);
    }

    /** Head h's window sides, {@code [left, right]}. */
    public int windowLeft(int head) {
        return windows[2 * head];
    }

    public int windowRight(int head) {
        return windows[2 * head + 1];
    }

    /** The kernels' {@code windows} argument: these bands, no dropout. */
    public IntArray kernelWindows() {
        return AttentionMasks.windowsOfSides(windows);
    }

    /** The kernels' {@code windows} argument with attention dropout {@code p} and mask seed {@code seed}. */
    public IntArray kernelWindows(double p, int seed) {
        return AttentionMasks.withDropout(kernelWindows(), numHeads, p, seed);
    }

    public static int[] uniformWindows(int heads, int left, int right) {
        int[] windows = new int[2 * heads];
        for (int h = 0; h < heads; h++) {
            windows[2 * h] = left;
            windows[2 * h + 1] = right;
        }
        return windows;
    }

    public AttentionCase withScale(float newScale) {
        return new AttentionCase(batch, seqLen, numHeads, numKvHeads, headDim, windows, causal, globalTokens, biasKind, slopes, apeScale, newScale,
                chunkSize, q, k, v);
    }

    public AttentionCase withChunkSize(int newChunkSize) {
        return new AttentionCase(batch, seqLen, numHeads, numKvHeads, headDim, windows, causal, globalTokens, biasKind, slopes, apeScale, scale,
                newChunkSize, q, k, v);
    }

    public AttentionCase withInputs(float[] newQ, float[] newK, float[] newV) {
        return new AttentionCase(batch, seqLen, numHeads, numKvHeads, headDim, windows, causal, globalTokens, biasKind, slopes, apeScale, scale,
                chunkSize, newQ.clone(), newK.clone(), newV.clone());
    }

    public int kvIndex(int b, int position, int kvHead, int d) {
        return ((b * seqLen + position) * numKvHeads + kvHead) * headDim + d;
    }

    public int queryIndex(int b, int position, int head, int d) {
        return ((b * seqLen + position) * numHeads + head) * headDim + d;
    }

    public double[] reference() {
        return AttentionReference.attention(referenceShape(), q, k, v, referenceMask(), referenceBias(), scale);
    }

    /** The float64 row log-sum-exp, {@code [batch, heads, seq]}. */
    public double[] referenceLogSumExp() {
        return AttentionBackwardReference.logSumExp(referenceShape(), Closeness.toDoubles(q), Closeness.toDoubles(k), referenceMask(), referenceBias(),
                scale);
    }

    /** The float64 gradients of {@code sum(dOut * attention)} with respect to q, k and v. */
    public AttentionBackwardReference.Gradients referenceGradients(float[] dOut) {
        return AttentionBackwardReference.gradients(referenceShape(), Closeness.toDoubles(q), Closeness.toDoubles(k), Closeness.toDoubles(v),
                Closeness.toDoubles(dOut), referenceMask(), referenceBias(), scale);
    }

    public AttentionReference.Shape referenceShape() {
        return new AttentionReference.Shape(batch, seqLen, numHeads, numKvHeads, headDim);
    }

    public AttentionReference.Mask referenceMask() {
        long[] left = new long[numHeads];
        long[] right = new long[numHeads];
        for (int h = 0; h < numHeads; h++) {
            left[h] = windowLeft(h);
            right[h] = windowRight(h);
        }
        return new AttentionReference.Mask(left, right, globalTokens, causal);
    }

    public AttentionReference.PositionBias referenceBias() {
        AttentionReference.Bias kind = switch (biasKind) {
            case PositionalBiases.NONE -> AttentionReference.Bias.NONE;
            case PositionalBiases.ALIBI -> AttentionReference.Bias.ALIBI;
            case PositionalBiases.APE -> AttentionReference.Bias.APE;
            default -> throw new IllegalArgumentException("bias kind " + biasKind);
        };
        double[] slopes64 = new double[slopes.length];
        for (int h = 0; h < slopes.length; h++) {
            slopes64[h] = slopes[h];
        }
        return new AttentionReference.PositionBias(kind, slopes64, apeScale);
    }

    @Override
    public String toString() {
        return "AttentionCase[batch=" + batch + ", seqLen=" + seqLen + ", heads=" + numHeads + "/" + numKvHeads + ", headDim=" + headDim + ", windows="
                + Arrays.toString(windows) + (causal ? ", causal" : "") + ", globals=" + Arrays.toString(globalTokens) + ", bias=" + biasKind + ", slopes="
                + Arrays.toString(slopes) + ", apeScale=" + apeScale + ", scale=" + scale + ", chunk=" + chunkSize + "]";
    }
}
