package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Normalisations over the last dimension of row-major data, each row walked sequentially: one parallel iteration per
 * row, or, for the forward {@link #layerNorm}, per group of {@value #ROW_GROUP} rows walked side by side (see
 * {@link #ROW_GROUP}).
 *
 * <p>LayerNorm statistics are computed in passes over the row, never as {@code E[x^2] - E[x]^2}, which cancels
 * catastrophically when the mean is large against the spread (and can go negative, giving NaN): first the plain
 * mean {@code m}, then the mean {@code c} of the deviations {@code x - m} (which recovers most of the rounding
 * error of {@code m} when the mean is large), then the variance as the mean of {@code ((x - m) - c)^2}, and the
 * output from the same centred values {@code (x - m) - c}. The variance is a mean of squares, so never negative:
 * a constant row gives (nearly) zero variance and an output of (nearly) {@code bias}, never NaN. As in PyTorch's
 * fp32 kernels, squares overflow for magnitudes beyond about 1e19.
 *
 * <p>The backward kernels recompute the statistics from the forward's input the same way (so the forward keeps its
 * input, nothing else); parameter gradients are a second kernel over features that walks the rows in order.
 */
public final class Normalization {

    /** PyTorch's {@code nn.LayerNorm} default. */
    public static final float LAYER_NORM_EPS = 1e-5f;
    /** Edifice's {@code qk_layer_norm} epsilon. */
    public static final float QK_LAYER_NORM_EPS = 1e-6f;
    /** Floats per row that {@link #layerNormBackward} saves for {@link #layerNormParameterGradients}: mean, mean correction, rstd. */
    public static final int LAYER_NORM_STATISTICS = 3;

    /**
     * Rows that one parallel iteration of {@link #layerNorm} normalises side by side, column by
     * column: their sums are independent chains of additions that a core overlaps, where one row alone waits out each
     * addition's latency (70-120 µs for a 128 x 256 LayerNorm on PoCL, measured). Each row's sums still run over its
     * columns in order, so every row gets the bits it gets alone.
     */
    public static final int ROW_GROUP = 8;

    /** Features per parallel iteration of {@link #layerNormParameterGradients}: one row's run of them is contiguous. */
    public static final int PARAMETER_GRADIENT_COLUMNS = 16;

    /** The {@code norm} argument of the projections that normalise their input themselves: {@link #layerNorm}. */
    public static final int LAYER_NORM = 1;
    /** The {@code norm} argument of the projections that normalise their input themselves: {@link #rmsNorm}. */
    public static final int RMS_NORM = 2;

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
        int groups = (rows + ROW_GROUP - 1) / ROW_GROUP;
        for (@Parallel int group = 0; group < groups; group++) {
            int[] base = new int[ROW_GROUP];
            float[] sums = new float[ROW_GROUP];
            float[] mean = new float[ROW_GROUP];
            float[] meanCorrection = new float[ROW_GROUP];
            layerNormRowGroup(x, weight, bias, out, base, sums, mean, meanCorrection, group, rows, dim, eps);
        }
    }

    /**
     * One parallel iteration of {@link #layerNorm}: rows {@code group * ROW_GROUP} onwards (those before {@code rows})
     * normalised side by side into {@code out}; {@code base}, {@code sums}, {@code mean}, {@code meanCorrection}:
     * private scratch of {@value #ROW_GROUP}. Also the normalising step of the projections that fuse their input's
     * norm ({@link #normalizeGroupRows}), so that both give each row the same bits.
     */
    static void layerNormRowGroup(FloatArray x, FloatArray weight, FloatArray bias, FloatArray out, int[] base, float[] sums, float[] mean,
            float[] meanCorrection, int group, int rows, int dim, float eps) {
        groupBases(base, group, rows, dim);
        for (int r = 0; r < ROW_GROUP; r++) {
            sums[r] = 0.0f;
        }
        for (int j = 0; j < dim; j++) {
            for (int r = 0; r < ROW_GROUP; r++) {
                sums[r] += x.get(base[r] + j);
            }
        }
        for (int r = 0; r < ROW_GROUP; r++) {
            mean[r] = sums[r] / dim;
            sums[r] = 0.0f;
        }
        for (int j = 0; j < dim; j++) {
            for (int r = 0; r < ROW_GROUP; r++) {
                sums[r] += x.get(base[r] + j) - mean[r];
            }
        }
        for (int r = 0; r < ROW_GROUP; r++) {
            meanCorrection[r] = sums[r] / dim;
            sums[r] = 0.0f;
        }
        for (int j = 0; j < dim; j++) {
            for (int r = 0; r < ROW_GROUP; r++) {
                float centred = (x.get(base[r] + j) - mean[r]) - meanCorrection[r];
                sums[r] += centred * centred;
            }
        }
        for (int r = 0; r < ROW_GROUP; r++) {
            // sums now holds each row's inverse standard deviation
            sums[r] = 1.0f / TornadoMath.sqrt(sums[r] / dim + eps);
        }
        for (int j = 0; j < dim; j++) {
            for (int r = 0; r < ROW_GROUP; r++) {
                if (group * ROW_GROUP + r < rows) {
                    float centred = (x.get(base[r] + j) - mean[r]) - meanCorrection[r];
                    out.set(base[r] + j, centred * sums[r] * weight.get(j) + bias.get(j));
                }
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
            rmsNormRow(x, weight, out, row, dim, eps);
        }
    }

    /** One parallel iteration of {@link #rmsNorm}, also {@link #normalizeGroupRows}'s (the same bits in both). */
    static void rmsNormRow(FloatArray x, FloatArray weight, FloatArray out, int row, int dim, float eps) {
        int base = row * dim;
        float inverseRms = inverseRms(x, base, dim, eps);
        for (int j = 0; j < dim; j++) {
            out.set(base + j, x.get(base + j) * inverseRms * weight.get(j));
        }
    }

    /**
     * The norm step of a projection that normalises its own input ({@code MatrixMultiply.normLinearTiled} and its
     * q/k/v and gated siblings): the work-group's rows {@code row0} to {@code row0 + groupRows} (those before
     * {@code rows}) normalised into {@code out} by {@link #layerNorm}'s row groups ({@code norm == }{@link #LAYER_NORM},
     * {@code groupRows} a multiple of {@value #ROW_GROUP}) or {@link #rmsNorm}'s rows ({@link #RMS_NORM}; {@code bias}
     * not read), shared among the group's items along x, then a barrier, after which every item of the group reads
     * them. Each row's values are the bits the norm kernel gives it. Every item of the group must call this; scratch as
     * {@link #layerNormRowGroup}'s.
     */
    static void normalizeGroupRows(KernelContext context, FloatArray x, FloatArray weight, FloatArray bias, FloatArray out, int[] base, float[] sums,
            float[] mean, float[] meanCorrection, int rows, int dim, int row0, int groupRows, int norm, float eps) {
        int groupEnd = TornadoMath.min(rows, row0 + groupRows);
        if (norm == LAYER_NORM) {
            for (int group = row0 / ROW_GROUP + context.localIdx; group * ROW_GROUP < groupEnd; group += context.localGroupSizeX) {
                layerNormRowGroup(x, weight, bias, out, base, sums, mean, meanCorrection, group, rows, dim, eps);
            }
        } else {
            for (int row = row0 + context.localIdx; row < groupEnd; row += context.localGroupSizeX) {
                rmsNormRow(x, weight, out, row, dim, eps);
            }
        }
        // Global memory: the normalised rows go through out, which the items then read as any other input.
        context.globalBarrier();
    }

    /**
     * {@code base[r]}: where row {@code r} of {@code group} starts; past the last row, the last row again (its sums are
     * computed and never stored).
     */
    private static void groupBases(int[] base, int group, int rows, int dim) {
        for (int r = 0; r < ROW_GROUP; r++) {
            base[r] = TornadoMath.min(group * ROW_GROUP + r, rows - 1) * dim;
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

    // ---- backward ----

    /**
     * LayerNorm backward, the input gradient: for each row, with {@code x̂ = (x - mean) * rstd} recomputed from
     * {@code x} exactly as the forward computes it and {@code g = dOut * weight},
     * {@code dx = rstd * (g - mean(g) - x̂ * mean(g * x̂))}. Writes the row's statistics
     * ({@value #LAYER_NORM_STATISTICS} floats per row: mean, mean correction, rstd) into {@code rowStatistics} for
     * {@link #layerNormParameterGradients}, which runs after it. The bias does not enter the input gradient.
     *
     * @param x             {@code [rows, dim]}, the forward's input (what the forward must keep)
     * @param dOut          {@code [rows, dim]}, the gradient of the forward's output
     * @param dx            {@code [rows, dim]}, overwritten; distinct from {@code x} and {@code dOut}, which the
     *                      parameter gradients still read
     * @param rowStatistics {@code [rows, LAYER_NORM_STATISTICS]}, overwritten
     */
    public static void layerNormBackward(FloatArray x, FloatArray weight, FloatArray dOut, FloatArray dx, FloatArray rowStatistics, int rows, int dim, float eps) {
        for (@Parallel int row = 0; row < rows; row++) {
            int base = row * dim;
            float mean = rowMean(x, base, dim);
            float meanCorrection = deviationMean(x, base, dim, mean);
            float inverseStd = 1.0f / TornadoMath.sqrt(centredVariance(x, base, dim, mean, meanCorrection) + eps);
            int statistics = row * LAYER_NORM_STATISTICS;
            rowStatistics.set(statistics, mean);
            rowStatistics.set(statistics + 1, meanCorrection);
            rowStatistics.set(statistics + 2, inverseStd);
            normalizedRowBackward(x, weight, 1, dOut, dx, base, dim, 1, mean, meanCorrection, inverseStd);
        }
    }

    /**
     * LayerNorm backward, the parameter gradients, accumulated: {@code dWeight[j] += sum over rows of dOut * x̂},
     * {@code dBias[j] += sum over rows of dOut} (only when {@code hasBias != 0}; otherwise {@code dBias} is not
     * touched). Each feature's sums walk the rows in order: deterministic, no atomics, and the same sum on every
     * device; the price is {@code rows} sequential steps per feature. One parallel iteration per block of
     * {@value #PARAMETER_GRADIENT_COLUMNS} features, side by side along each row: one feature per iteration walked x and
     * dOut a whole row apart per step, so on PoCL nearly every load came from L2 (1.2 ms per 2048 x 256 call in a
     * training step, as {@code MatrixMultiply.columnSums} before its blocks).
     *
     * @param rowStatistics what {@link #layerNormBackward} wrote for the same {@code x}
     */
    public static void layerNormParameterGradients(FloatArray x, FloatArray dOut, FloatArray rowStatistics, FloatArray dWeight, FloatArray dBias, int rows, int dim,
            int hasBias) {
        for (@Parallel int block = 0; block < (dim + PARAMETER_GRADIENT_COLUMNS - 1) / PARAMETER_GRADIENT_COLUMNS; block++) {
            float[] weightSums = new float[PARAMETER_GRADIENT_COLUMNS];
            float[] biasSums = new float[PARAMETER_GRADIENT_COLUMNS];
            int first = block * PARAMETER_GRADIENT_COLUMNS;
            for (int c = 0; c < PARAMETER_GRADIENT_COLUMNS; c++) {
                weightSums[c] = 0.0f;
                biasSums[c] = 0.0f;
            }
            for (int row = 0; row < rows; row++) {
                int statistics = row * LAYER_NORM_STATISTICS;
                float mean = rowStatistics.get(statistics);
                float meanCorrection = rowStatistics.get(statistics + 1);
                float inverseStd = rowStatistics.get(statistics + 2);
                int base = row * dim;
                // Features past dim repeat the last one (never stored): a loop with a constant trip count.
                for (int c = 0; c < PARAMETER_GRADIENT_COLUMNS; c++) {
                    int at = base + TornadoMath.min(first + c, dim - 1);
                    float normalized = ((x.get(at) - mean) - meanCorrection) * inverseStd;
                    float gradient = dOut.get(at);
                    weightSums[c] += gradient * normalized;
                    biasSums[c] += gradient;
                }
            }
            int width = TornadoMath.min(PARAMETER_GRADIENT_COLUMNS, dim - first);
            for (int c = 0; c < width; c++) {
                dWeight.set(first + c, dWeight.get(first + c) + weightSums[c]);
                if (hasBias != 0) {
                    dBias.set(first + c, dBias.get(first + c) + biasSums[c]);
                }
            }
        }
    }

    /**
     * RMSNorm backward, the input gradient: with {@code r = 1 / sqrt(mean(x^2) + eps)}, {@code x̂ = x r} and
     * {@code g = dOut * weight}, {@code dx = r * (g - x̂ * mean(g * x̂))}. Writes {@code r} per row into
     * {@code rowInverseRms} for {@link #rmsNormWeightGradients}.
     *
     * @param dx distinct from {@code x} and {@code dOut}
     */
    public static void rmsNormBackward(FloatArray x, FloatArray weight, FloatArray dOut, FloatArray dx, FloatArray rowInverseRms, int rows, int dim, float eps) {
        for (@Parallel int row = 0; row < rows; row++) {
            int base = row * dim;
            float inverseRms = inverseRms(x, base, dim, eps);
            rowInverseRms.set(row, inverseRms);
            normalizedRowBackward(x, weight, 1, dOut, dx, base, dim, 0, 0.0f, 0.0f, inverseRms);
        }
    }

    /** RMSNorm backward, the weight gradient, accumulated: {@code dWeight[j] += sum over rows of dOut * x * r} (rows in order). */
    public static void rmsNormWeightGradients(FloatArray x, FloatArray dOut, FloatArray rowInverseRms, FloatArray dWeight, int rows, int dim) {
        for (@Parallel int j = 0; j < dim; j++) {
            float sum = 0.0f;
            for (int row = 0; row < rows; row++) {
                sum += dOut.get(row * dim + j) * (x.get(row * dim + j) * rowInverseRms.get(row));
            }
            dWeight.set(j, dWeight.get(j) + sum);
        }
    }

    /**
     * QK-LayerNorm backward ({@link #qkLayerNorm} has no parameters): per head vector
     * {@code dx = rstd * (dOut - mean(dOut) - x̂ * mean(dOut * x̂))}, with the statistics recomputed from the
     * pre-norm {@code x}. The forward normalises q and k in place (and RoPE then rotates them in place), so the
     * forward must keep a copy of the pre-norm q and k: the projection's output before {@code qkLayerNorm}.
     *
     * @param x    {@code [batch, seqLen, heads, headDim]}, the pre-norm values
     * @param dOut the gradient of the normalised values; {@code dx} may be {@code dOut} itself (in place, as the
     *             forward) or {@code x}
     */
    public static void qkLayerNormBackward(FloatArray x, FloatArray dOut, FloatArray dx, int batch, int seqLen, int heads, int headDim, float eps) {
        int vectors = batch * seqLen * heads;
        for (@Parallel int vector = 0; vector < vectors; vector++) {
            int base = vector * headDim;
            float mean = rowMean(x, base, headDim);
            float meanCorrection = deviationMean(x, base, headDim, mean);
            float inverseStd = 1.0f / TornadoMath.sqrt(centredVariance(x, base, headDim, mean, meanCorrection) + eps);
            normalizedRowBackward(x, x, 0, dOut, dx, base, headDim, 1, mean, meanCorrection, inverseStd);
        }
    }

    /**
     * The input gradient of {@code y = x̂ * weight} (+ bias) for one row, {@code x̂ = ((x - mean) - meanCorrection) * scale}
     * with the row statistics treated as functions of x:
     * {@code dx = scale * (g - mean(g) - x̂ * mean(g * x̂))} with {@code g = dOut * weight} ({@code dOut} when
     * {@code hasWeight == 0}) for LayerNorm ({@code centred != 0}); RMSNorm ({@code centred == 0}, mean and
     * correction 0) subtracts no mean, since its statistic does not depend on a mean of x. Two
     * passes: the two means, then the gradient, element j read before it is written (so {@code dx} may alias
     * {@code dOut} or {@code x}).
     */
    private static void normalizedRowBackward(FloatArray x, FloatArray weight, int hasWeight, FloatArray dOut, FloatArray dx, int base, int length, int centred,
            float mean, float meanCorrection, float scale) {
        float gradientSum = 0.0f;
        float projectionSum = 0.0f;
        for (int j = 0; j < length; j++) {
            float g = hasWeight != 0 ? dOut.get(base + j) * weight.get(j) : dOut.get(base + j);
            float normalized = ((x.get(base + j) - mean) - meanCorrection) * scale;
            gradientSum += g;
            projectionSum += g * normalized;
        }
        float meanGradient = centred != 0 ? gradientSum / length : 0.0f;
        float meanProjection = projectionSum / length;
        for (int j = 0; j < length; j++) {
            float g = hasWeight != 0 ? dOut.get(base + j) * weight.get(j) : dOut.get(base + j);
            float normalized = ((x.get(base + j) - mean) - meanCorrection) * scale;
            dx.set(base + j, scale * (g - meanGradient - normalized * meanProjection));
        }
    }

    private static float inverseRms(FloatArray x, int base, int length, float eps) {
        float sumOfSquares = 0.0f;
        for (int j = 0; j < length; j++) {
            float value = x.get(base + j);
            sumOfSquares += value * value;
        }
        return 1.0f / TornadoMath.sqrt(sumOfSquares / length + eps);
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
