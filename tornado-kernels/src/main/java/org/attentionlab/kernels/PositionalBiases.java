package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Additive attention-logit biases that depend only on the query and key positions, computed inline by the
 * attention kernels (no {@code L x L} matrix is ever stored). The kind is an int so that kernels can take it:
 * <ul>
 *   <li>{@link #NONE}: no bias.</li>
 *   <li>{@link #ALIBI}: {@code -slope[h] * |i - j|} (Press et al.; for a causal mask that is {@code -slope * (i - j)}).
 *       The slopes are a {@code FloatArray[numHeads]}: {@link #alibiSlopes} (the paper's rule, as FlashAttention and
 *       Hugging Face) or {@link #alibiSlopesEdifice}.</li>
 *   <li>{@link #APE}: the "Attention Positional Encoding" notebook's {@code (1 - |i - j| / L) * scale}, with
 *       {@code L} the sequence length and {@code scale} the kernels' {@code apeScale}.</li>
 * </ul>
 * Kernels take the slopes array for every kind (length >= 1; it is read only for ALiBi).
 */
public final class PositionalBiases {

    public static final int NONE = 0;
    public static final int ALIBI = 1;
    public static final int APE = 2;

    private PositionalBiases() {
    }

    /** The bias added to the logit of query {@code query}, key {@code key}, head {@code head}. Kernel-side. */
    public static float logitBias(int biasKind, FloatArray slopes, int head, int query, int key, int seqLen, float apeScale) {
        float distance = TornadoMath.abs(query - key);
        float bias = 0.0f;
        if (biasKind == ALIBI) {
            bias = -slopes.get(head) * distance;
        } else if (biasKind == APE) {
            bias = (1.0f - distance / seqLen) * apeScale;
        }
        return bias;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Host-side helpers.
    // ---------------------------------------------------------------------------------------------------------

    /**
     * ALiBi slopes by the paper's reference rule: for {@code c = 2^floor(log2 n)} heads the slopes
     * {@code 2^(-8h/c)}, h = 1..c; when n is not a power of two, append the slopes of {@code 2c} heads at even
     * positions ({@code 2^(-8h/2c)}, h = 1, 3, 5, ...), the first {@code n - c} of them.
     */
    public static FloatArray alibiSlopes(int numHeads) {
        requirePositive(numHeads);
        int closestPowerOfTwo = Integer.highestOneBit(numHeads);
        FloatArray slopes = new FloatArray(numHeads);
        for (int h = 1; h <= closestPowerOfTwo; h++) {
            slopes.set(h - 1, (float) Math.pow(2.0, -8.0 * h / closestPowerOfTwo));
        }
        for (int extra = 0; extra < numHeads - closestPowerOfTwo; extra++) {
            int oddHead = 2 * extra + 1;
            slopes.set(closestPowerOfTwo + extra, (float) Math.pow(2.0, -8.0 * oddHead / (2 * closestPowerOfTwo)));
        }
        return slopes;
    }

    /** Edifice's ALiBi slopes: {@code 2^(-8h/n)}, h = 1..n, for every n (equal to {@link #alibiSlopes} for powers of two). */
    public static FloatArray alibiSlopesEdifice(int numHeads) {
        requirePositive(numHeads);
        FloatArray slopes = new FloatArray(numHeads);
        for (int h = 1; h <= numHeads; h++) {
            slopes.set(h - 1, (float) Math.pow(2.0, -8.0 * h / numHeads));
        }
        return slopes;
    }

    /** A slopes argument for kernels run without ALiBi (one unused element). */
    public static FloatArray noSlopes() {
        return new FloatArray(1);
    }

    /** The bias of one head as a dense {@code [L * L]} matrix, row-major by query: for inspection only. */
    public static FloatArray denseBias(int biasKind, FloatArray slopes, int head, int seqLen, float apeScale) {
        if (biasKind != NONE && biasKind != ALIBI && biasKind != APE) {
            throw new IllegalArgumentException("unknown bias kind " + biasKind);
        }
        FloatArray bias = new FloatArray(seqLen * seqLen);
        for (int i = 0; i < seqLen; i++) {
            for (int j = 0; j < seqLen; j++) {
                bias.set(i * seqLen + j, logitBias(biasKind, slopes, head, i, j, seqLen, apeScale));
            }
        }
        return bias;
    }

    private static void requirePositive(int numHeads) {
        if (numHeads < 1) {
            throw new IllegalArgumentException("numHeads must be >= 1, got " + numHeads);
        }
    }
}
