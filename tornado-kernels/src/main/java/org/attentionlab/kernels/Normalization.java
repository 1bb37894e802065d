package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Normalisations over the last dimension of row-major data: one parallel iteration per row, the row itself
 * walked sequentially.
 *
 * <p>LayerNorm statistics are computed in passes over the row, never as {@code E[x^2] - E[x]^2}, which cancels
 * catastrophically when the mean is large against the spread (and can go negative, giving NaN): first the plain
 * mean {@code m}, then the mean {@code c} of the deviations {@code x - m} (which recovers most of the rounding
 * error of {@code m} when the mean is large), then the variance as the mean of {@code ((x - m) - c)^2}, and the
 * output from the same centred values {@code (x - m) - c}. The variance is a mean of squares, so never negative:
 * a constant row gives (nearly) zero variance and an output of (nearly) {@code bias}, never NaN. As in PyTorch's
 * fp32 kernels, squares overflow for magnitudes beyond about 1e19.
 */
public final class Normalization {

    /** PyTorch's {@code nn.LayerNorm} default. */
    public static final float LAYER_NORM_EPS = 1e-5f;
    /** Edifice's {@code qk_layer_norm} epsilon. */
    public static final float QK_LAYER_NORM_EPS = 1e-6f;

    private Normalization() {
    }

    /**
     * LayerNorm as {@code torch.nn.functional.layer_norm}: {@code (x - mean) / sqrt(var + eps) * weight + bias},
     * with the biased variance (divided by {@code dim}).
     *
     * @param x      {@code [rows, dim]}
     * @param weight {@code [dim]}
     * @param bias   {@code [dim]}
     * @param out    {@code [rows, dim]}; may be {@code x} itself
     */
    public static void layerNorm(FloatArray x, FloatArray weight, FloatArray bias, FloatArray out, int rows, int dim, float eps) {
        for (@Parallel int row = 0; row < rows; row++) {
            int base = row * dim;
            float mean = rowMean(x, base, dim);
            float meanCorrection = deviationMean(x, base, dim, mean);
            float inverseStd = 1.0f / TornadoMath.sqrt(centredVariance(x, base, dim, mean, meanCorrection) + eps);
            for (int j = 0; j < dim; j++) {
                float centred = (x.get(base + j) - mean) - meanCorrection;
                out.set(base + j, centred * inverseStd * weight.get(j) + bias.get(j));
            }
        }
    }

    /**
     * RMSNorm as Hugging Face Llama/T5 (and {@code torch.nn.RMSNorm}): {@code x / sqrt(mean(x^2) + eps) * weight}.
     * Gemma's {@code (1 + weight)} variant is this kernel with 1 added to the weights when they are loaded.
     *
     * @param x      {@code [rows, dim]}
     * @param weight {@code [dim]}
     * @param out    {@code [rows, dim]}; may be {@code x} itself
     */
    public static void rmsNorm(FloatArray x, FloatArray weight, FloatArray out, int rows, int dim, float eps) {
        for (@Parallel int row = 0; row < rows; row++) {
            int base = row * dim;
            float sumOfSquares = 0.0f;
            for (int j = 0; j < dim; j++) {
                float value = x.get(base + j);
                sumOfSquares += value * value;
            }
            float inverseRms = 1.0f / TornadoMath.sqrt(sumOfSquares / dim + eps);
            for (int j = 0; j < dim; j++) {
                out.set(base + j, x.get(base + j) * inverseRms * weight.get(j));
            }
        }
    }

    /**
     * QK-LayerNorm as Edifice's {@code qk_layer_norm}: each head's vector of q or k normalised in place over
     * {@code headDim}, {@code (x - mean) / sqrt(var + eps)}, biased variance, no weight and no bias (Edifice uses
     * {@code eps = }{@link #QK_LAYER_NORM_EPS}).
     *
     * @param x {@code [batch, seqLen, heads, headDim]}, normalised in place
     */
    public static void qkLayerNorm(FloatArray x, int batch, int seqLen, int heads, int headDim, float eps) {
        int vectors = batch * seqLen * heads;
        for (@Parallel int vector = 0; vector < vectors; vector++) {
            int base = vector * headDim;
            float mean = rowMean(x, base, headDim);
            float meanCorrection = deviationMean(x, base, headDim, mean);
            float inverseStd = 1.0f / TornadoMath.sqrt(centredVariance(x, base, headDim, mean, meanCorrection) + eps);
            for (int j = 0; j < headDim; j++) {
                x.set(base + j, ((x.get(base + j) - mean) - meanCorrection) * inverseStd);
            }
        }
    }

    private static float rowMean(FloatArray x, int base, int length) {
        float sum = 0.0f;
        for (int j = 0; j < length; j++) {
            sum += x.get(base + j);
        }
        return sum / length;
    }

    private static float deviationMean(FloatArray x, int base, int length, float mean) {
        float sum = 0.0f;
        for (int j = 0; j < length; j++) {
            sum += x.get(base + j) - mean;
        }
        return sum / length;
    }

    private static float centredVariance(FloatArray x, int base, int length, float mean, float meanCorrection) {
        float sum = 0.0f;
        for (int j = 0; j < length; j++) {
            float centred = (x.get(base + j) - mean) - meanCorrection;
            sum += centred * centred;
        }
        return sum / length;
    }
}
