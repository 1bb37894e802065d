package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Reduces a [batch, seq, width] activation over its positions to [batch, width]: the last position (Edifice's
 * models output it) or the mean of all positions.
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
}
