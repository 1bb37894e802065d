package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Rotary position embedding (RoPE, Su et al. 2021) applied in place to queries or keys laid out
 * {@code [batch, seq, heads, headDim]}.
 *
 * <p>Pair {@code p} (0 &le; p &lt; headDim/2) of the vector at sequence index {@code s} is rotated by the angle
 * {@code (s + positionOffset) * theta^(-2p/headDim)}: {@code (a, b) -> (a cos - b sin, b cos + a sin)}. Which two
 * elements form pair {@code p} depends on the pairing:
 * <ul>
 * <li>{@link #NEOX}: {@code (p, p + headDim/2)}, the "rotate_half" form of GPT-NeoX, Hugging Face Llama and
 * Edifice's {@code :rope};</li>
 * <li>{@link #GPTJ}: {@code (2p, 2p + 1)}, the interleaved form of GPT-J, RoFormer and Hugging Face Cohere2.</li>
 * </ul>
 * {@code headDim} must be even; with an odd one the last element of every vector is left unrotated.
 *
 * <p>The cosines and sines are computed inline rather than read from a host-built table: the kernel then needs
 * no buffer per base (Gemma 3 and Cohere 2 mix bases and RoPE/NoPE layers) and no maximum length, and on a
 * device a {@code sin}/{@code cos} costs less than the memory traffic of a table. The angle is formed in fp32
 * exactly as Hugging Face does ({@code position * inv_freq}), so its rounding error grows with the position
 * like PyTorch's: about {@code position * 6e-8} radians.
 */
public final class RotaryEmbedding {

    /** Half-split pairs {@code (p, p + headDim/2)} (GPT-NeoX, Llama, Edifice). */
    public static final int NEOX = 0;
    /** Interleaved pairs {@code (2p, 2p + 1)} (GPT-J, RoFormer, Cohere2). */
    public static final int GPTJ = 1;

    /** The usual base (Llama 1/2, Edifice, Cohere2's default). */
    public static final float DEFAULT_THETA = 10000.0f;

    private RotaryEmbedding() {
    }

    /**
     * Rotates every vector of {@code x} in place.
     *
     * @param x              {@code [batch, seqLen, heads, headDim]}
     * @param positionOffset the position of sequence index 0 (e.g. the number of tokens already in a KV cache)
     * @param theta          the base of the frequencies
     * @param pairing        {@link #NEOX} or {@link #GPTJ}
     */
    public static void apply(FloatArray x, int batch, int seqLen, int heads, int headDim, int positionOffset, float theta, int pairing) {
        int half = headDim / 2;
        int vectors = batch * seqLen * heads;
        for (@Parallel int vector = 0; vector < vectors; vector++) {
            for (@Parallel int pair = 0; pair < half; pair++) {
                rotatePair(x, vector, pair, seqLen, heads, headDim, positionOffset, theta, pairing, 1.0f);
            }
        }
    }

    /**
     * {@link #apply} for one position per sequence whose position lives in device memory: the decode step of
     * generation rotates the new query and key at absolute position {@code position[0]} (a one-element buffer the host
     * updates between executions, where a scalar argument would be fixed when the task graph is built). The same
     * arithmetic as {@code apply} with {@code seqLen = 1} and {@code positionOffset = position[0]}, so the same bits.
     *
     * @param x {@code [batch, heads, headDim]}
     */
    public static void applyAtPosition(FloatArray x, IntArray position, int batch, int heads, int headDim, float theta, int pairing) {
        int half = headDim / 2;
        int vectors = batch * heads;
        for (@Parallel int vector = 0; vector < vectors; vector++) {
            for (@Parallel int pair = 0; pair < half; pair++) {
                rotatePair(x, vector, pair, 1, heads, headDim, position.get(0), theta, pairing, 1.0f);
            }
        }
    }

    /**
     * The backward of {@link #apply}: a rotation is orthogonal, so the gradient of its input is the output gradient
     * rotated by the opposite angle, {@code (a, b) -> (a cos + b sin, b cos - a sin)}, in place like the forward.
     * Same arguments as the forward; nothing from the forward is needed.
     *
     * @param dx the gradient of the rotated q or k, {@code [batch, seqLen, heads, headDim]}; becomes the gradient
     *           of the unrotated values
     */
    public static void applyBackward(FloatArray dx, int batch, int seqLen, int heads, int headDim, int positionOffset, float theta, int pairing) {
        int half = headDim / 2;
        int vectors = batch * seqLen * heads;
        for (@Parallel int vector = 0; vector < vectors; vector++) {
            for (@Parallel int pair = 0; pair < half; pair++) {
                rotatePair(dx, vector, pair, seqLen, heads, headDim, positionOffset, theta, pairing, -1.0f);
            }
        }
    }

    /** Rotates pair {@code pair} of vector {@code vector} by {@code direction} (+1 or -1) times its angle. */
    private static void rotatePair(FloatArray x, int vector, int pair, int seqLen, int heads, int headDim, int positionOffset, float theta, int pairing,
            float direction) {
        int half = headDim / 2;
        int position = (vector / heads) % seqLen + positionOffset;
        float inverseFrequency = TornadoMath.pow(theta, -(2.0f * pair) / headDim);
        float angle = position * inverseFrequency;
        float cos = TornadoMath.cos(angle);
        float sin = direction * TornadoMath.sin(angle);
        int base = vector * headDim;
        int first = pairing == GPTJ ? base + 2 * pair : base + pair;
        int second = pairing == GPTJ ? first + 1 : first + half;
        float a = x.get(first);
        float b = x.get(second);
        x.set(first, a * cos - b * sin);
        x.set(second, b * cos + a * sin);
    }
}
