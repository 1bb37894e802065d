package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Absolute sinusoidal position encodings added in place to activations {@code [batch, seq, dim]}. The position
 * of sequence index {@code s} is {@code s + positionOffset}.
 *
 * <ul>
 * <li>{@link #STANDARD} (Vaswani et al. 2017): for {@code k = floor(j / 2)},
 * {@code pe[pos, j] = sin(pos * 10000^(-2k/dim))} for even {@code j} and {@code cos(...)} of the same angle for
 * odd {@code j}. With an odd {@code dim} the last element (even index {@code dim - 1}) is a sine, and the exponent
 * keeps using the real {@code dim}. The frequency is computed as {@code exp(-2k * ln(10000) / dim)}, the usual
 * PyTorch {@code div_term}.</li>
 * <li>{@link #EDIFICE} (Edifice {@code MultiHead.add_positional_encoding}, scale 0.01):
 * {@code pe[pos, j] = sin(pos * (1 / (1 + 0.01 * j)))} for every {@code j}, no cosines.</li>
 * </ul>
 */
public final class SinusoidalEncoding {

    public static final int STANDARD = 0;
    public static final int EDIFICE = 1;

    /** Edifice's default {@code :scale}: frequency of dimension j is {@code 1 / (1 + EDIFICE_SCALE * j)}. */
    public static final float EDIFICE_SCALE = 0.01f;

    private static final float LN_10000 = 9.210340371976184f;

    private SinusoidalEncoding() {
    }

    /**
     * Adds the encoding to {@code x} in place.
     *
     * @param x    {@code [batch, seqLen, dim]}
     * @param form {@link #STANDARD} or {@link #EDIFICE}
     */
    public static void add(FloatArray x, int batch, int seqLen, int dim, int positionOffset, int form) {
        int rows = batch * seqLen;
        for (@Parallel int row = 0; row < rows; row++) {
            for (@Parallel int j = 0; j < dim; j++) {
                int index = row * dim + j;
                x.set(index, x.get(index) + encoding(row % seqLen + positionOffset, j, dim, form));
            }
        }
    }

    /**
     * {@link #add} for one position per sequence whose position lives in device memory: the decode step of
     * generation encodes the new token at absolute position {@code position[0]} (a one-element buffer the host
     * updates between executions, where a scalar argument would be fixed when the task graph is built). The same
     * arithmetic as {@code add} at that position, so the same bits.
     *
     * @param x {@code [batch, dim]}
     */
    public static void addAtPosition(FloatArray x, IntArray position, int batch, int dim, int form) {
        for (@Parallel int row = 0; row < batch; row++) {
            for (@Parallel int j = 0; j < dim; j++) {
                int index = row * dim + j;
                x.set(index, x.get(index) + encoding(position.get(0), j, dim, form));
            }
        }
    }

    /** Element {@code j} of the encoding of {@code position}. */
    private static float encoding(int position, int j, int dim, int form) {
        float at = position;
        float encoding;
        if (form == EDIFICE) {
            float frequency = 1.0f / (1.0f + EDIFICE_SCALE * j);
            encoding = TornadoMath.sin(at * frequency);
        } else {
            int evenIndex = j - (j % 2);
            float frequency = TornadoMath.exp(-(evenIndex * LN_10000) / dim);
            float angle = at * frequency;
            encoding = (j % 2) == 0 ? TornadoMath.sin(angle) : TornadoMath.cos(angle);
        }
        return encoding;
    }
}
