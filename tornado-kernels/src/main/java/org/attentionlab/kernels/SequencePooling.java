package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Reduces a [batch, seq, width] activation over its positions to [batch, width]: the last position (Edifice's
 * models output it) or the mean of all positions; and the backward of both.
 */
public final class SequencePooling {

    private SequencePooling() {
    }

    /** out[b, :] = x[b, seqLen - 1, :]. */
    public static void lastPosition(FloatArray x, FloatArray out, int batch, int seqLen, int width) {
        for (@Parallel int b = 0; b < batch; b++) {
            for (@Parallel int j = 0; j < width; j++) {
                out.set(b * width + j, x.get(((b * seqLen) + seqLen - 1) * width + j));
            }
        }
    }

    /** out[b, :] = mean over positions of x[b, :, :], summed in position order. */
    public static void meanOverPositions(FloatArray x, FloatArray out, int batch, int seqLen, int width) {
        for (@Parallel int b = 0; b < batch; b++) {
            for (@Parallel int j = 0; j < width; j++) {
                float sum = 0.0f;
                for (int t = 0; t < seqLen; t++) {
                    sum += x.get((b * seqLen + t) * width + j);
                }
                out.set(b * width + j, sum / seqLen);
            }
        }
    }

    // ---- backward: the gradient of [batch, width] spread back over the positions (dx overwritten) ----

    /** The gradient of {@link #lastPosition}: {@code dx[b, seqLen - 1, :] = dOut[b, :]}, every other position 0. */
    public static void lastPositionBackward(FloatArray dOut, FloatArray dx, int batch, int seqLen, int width) {
        int rows = batch * seqLen;
        for (@Parallel int row = 0; row < rows; row++) {
            for (@Parallel int j = 0; j < width; j++) {
                float gradient = 0.0f;
                if (row % seqLen == seqLen - 1) {
                    gradient = dOut.get((row / seqLen) * width + j);
                }
                dx.set(row * width + j, gradient);
            }
        }
    }

    /** The gradient of {@link #meanOverPositions}: {@code dx[b, t, :] = dOut[b, :] / seqLen} at every position. */
    public static void meanOverPositionsBackward(FloatArray dOut, FloatArray dx, int batch, int seqLen, int width) {
        int rows = batch * seqLen;
        for (@Parallel int row = 0; row < rows; row++) {
            for (@Parallel int j = 0; j < width; j++) {
                dx.set(row * width + j, dOut.get((row / seqLen) * width + j) / seqLen);
            }
        }
    }
}
