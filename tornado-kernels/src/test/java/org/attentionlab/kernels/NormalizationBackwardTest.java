package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertClose;
import static org.attentionlab.kernels.testing.Closeness.assertFinite;
import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.attentionlab.kernels.testing.Closeness.toDoubles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.FiniteDifferences;
import org.attentionlab.kernels.reference.NormalizationReference;
import org.attentionlab.kernels.reference.NormalizationReference.Gradients;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * LayerNorm, RMSNorm and QK-LayerNorm backward. The float64 gradients of {@link NormalizationReference} are checked
 * against float64 finite differences of its forward (relative 1e-6 of the gradient's scale); the kernels are checked
 * against those references on random shapes, with rows whose mean is up to 1000 times their spread (as the forward
 * tests) and the upstream gradient drawn per element.
 *
 * <p>Kernel tolerance for an input gradient element {@code dx_k = s (g_k - mean(g) - xhat_k mean(g xhat))}: the
 * terms are of size {@code s (|g_k| + mean|g| + |xhat_k| mean|g xhat|)} and each carries a few fp32 roundings, so
 * the bound is {@code 1e-5} of that term size (the largest error seen over 3000 random cases was 5e-7 of it).
 * Parameter gradients are sums over at most 40 rows of {@code dOut xhat}, where {@code xhat} carries an absolute
 * error of about 1e-7 (the centred statistics keep it small even on the offset rows): {@code 1e-5} of
 * {@code sum |dOut| (|xhat| + 0.01)} (and of {@code sum |dOut|} for the bias: 40 roundings are 2.4e-6 of it).
 */
class NormalizationBackwardTest {

    private static final double FD_TOLERANCE = 1e-6;

    record KernelGradients(float[] dx, float[] dWeight, float[] dBias) {
    }

    static KernelGradients layerNormKernels(float[] x, float[] weight, float[] dOut, int rows, int dim, float eps, boolean hasBias) {
        FloatArray dx = new FloatArray(x.length);
        FloatArray statistics = new FloatArray(rows * Normalization.LAYER_NORM_STATISTICS);
        FloatArray dWeight = new FloatArray(dim);
        FloatArray dBias = new FloatArray(dim);
        FloatArray input = FloatArray.fromArray(x);
        FloatArray gradient = FloatArray.fromArray(dOut);
        Normalization.layerNormBackward(input, FloatArray.fromArray(weight), gradient, dx, statistics, rows, dim, eps);
        Normalization.layerNormParameterGradients(input, gradient, statistics, dWeight, dBias, rows, dim, hasBias ? 1 : 0);
        return new KernelGradients(dx.toHeapArray(), dWeight.toHeapArray(), dBias.toHeapArray());
    }

    static KernelGradients rmsNormKernels(float[] x, float[] weight, float[] dOut, int rows, int dim, float eps) {
        FloatArray dx = new FloatArray(x.length);
        FloatArray inverseRms = new FloatArray(rows);
        FloatArray dWeight = new FloatArray(dim);
        FloatArray input = FloatArray.fromArray(x);
        FloatArray gradient = FloatArray.fromArray(dOut);
        Normalization.rmsNormBackward(input, FloatArray.fromArray(weight), gradient, dx, inverseRms, rows, dim, eps);
        Normalization.rmsNormWeightGradients(input, gradient, inverseRms, dWeight, rows, dim);
        return new KernelGradients(dx.toHeapArray(), dWeight.toHeapArray(), null);
    }

    // ---- the references against finite differences ----

    private static void assertMatchesFiniteDifferences(String what, double[] numeric, double[] analytic) {
        double scale = 0;
        for (double v : numeric) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertClose(what + " (reference vs finite differences)", numeric, toFloats(analytic), FD_TOLERANCE * Math.max(scale, 1e-3), 1e-6);
    }

    /** Rounds the analytic gradient to float only for the comparison helper; FD_TOLERANCE is far above fp32's resolution. */
    private static float[] toFloats(double[] values) {
        float[] narrow = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            narrow[i] = (float) values[i];
        }
        return narrow;
    }

    private static double[] gaussian(SplittableRandom random, int size, double scale, double offset) {
        double[] values = new double[size];
        for (int i = 0; i < size; i++) {
            values[i] = offset + scale * RandomArrays.nextGaussian(random);
        }
        return values;
    }

    @Property(tries = 60)
    void layerNormReferenceMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 2, max = 12) int dim,
            @ForAll boolean affine, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] x = gaussian(random, rows * dim, 2.0, random.nextDouble(-3, 3));
        double[] weight = affine ? gaussian(random, dim, 1.0, 0) : null;
        double[] bias = affine ? gaussian(random, dim, 1.0, 0) : null;
        double[] dOut = gaussian(random, rows * dim, 1.0, 0);
        double eps = 1e-5;
        Gradients analytic = NormalizationReference.layerNormBackward(x, weight, dOut, rows, dim, eps);
        assertMatchesFiniteDifferences("dx", FiniteDifferences.gradient(v -> NormalizationReference.layerNorm(v, weight, bias, rows, dim, eps), x, dOut), analytic.dx());
        if (affine) {
            assertMatchesFiniteDifferences("dWeight", FiniteDifferences.gradient(w -> NormalizationReference.layerNorm(x, w, bias, rows, dim, eps), weight, dOut),
                    analytic.dWeight());
            assertMatchesFiniteDifferences("dBias", FiniteDifferences.gradient(b -> NormalizationReference.layerNorm(x, weight, b, rows, dim, eps), bias, dOut),
                    analytic.dBias());
        }
    }

    /** The row jqwik found: two nearly equal values, where the second-order stencil's error reached 8e-5. */
    @Test
    void layerNormReferenceOnANearlyConstantPairOfValues() {
        layerNormReferenceMatchesFiniteDifferences(2, 2, true, 295);
        layerNormReferenceMatchesFiniteDifferences(2, 2, true, -201671);
    }

    /** Another row jqwik found: RMSNorm of single values, which bends sharply near zero. */
    @Test
    void rmsNormReferenceOnSingleValues() {
        rmsNormReferenceMatchesFiniteDifferences(2, 1, -22);
    }

    @Property(tries = 60)
    void rmsNormReferenceMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 12) int dim, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] x = gaussian(random, rows * dim, 2.0, random.nextDouble(-3, 3));
        double[] weight = gaussian(random, dim, 1.0, 0);
        double[] dOut = gaussian(random, rows * dim, 1.0, 0);
        double eps = 1e-6;
        Gradients analytic = NormalizationReference.rmsNormBackward(x, weight, dOut, rows, dim, eps);
        assertMatchesFiniteDifferences("dx", FiniteDifferences.gradient(v -> NormalizationReference.rmsNorm(v, weight, rows, dim, eps), x, dOut), analytic.dx());
        assertMatchesFiniteDifferences("dWeight", FiniteDifferences.gradient(w -> NormalizationReference.rmsNorm(x, w, rows, dim, eps), weight, dOut),
                analytic.dWeight());
    }

    // ---- the kernels against the references ----

    /** The bound described in the class comment for the input gradient of a (centred or not) normalisation. */
    static double[] inputGradientBound(float[] x, float[] weight, float[] dOut, int rows, int dim, double eps, boolean centred) {
        double[] bound = new double[x.length];
        for (int r = 0; r < rows; r++) {
            int base = r * dim;
            double mean = 0;
            if (centred) {
                for (int j = 0; j < dim; j++) {
                    mean += x[base + j];
                }
                mean /= dim;
            }
            double second = 0;
            for (int j = 0; j < dim; j++) {
                second += (x[base + j] - mean) * (x[base + j] - mean);
            }
            double s = 1 / Math.sqrt(second / dim + eps);
            double meanAbsG = 0;
            double meanAbsGxhat = 0;
            for (int j = 0; j < dim; j++) {
                double g = Math.abs(dOut[base + j] * (weight == null ? 1 : weight[j]));
                meanAbsG += g / dim;
                meanAbsGxhat += g * Math.abs(x[base + j] - mean) * s / dim;
            }
            for (int j = 0; j < dim; j++) {
                double g = Math.abs(dOut[base + j] * (weight == null ? 1 : weight[j]));
                bound[base + j] = 1e-5 * s * (g + (centred ? meanAbsG : 0) + Math.abs(x[base + j] - mean) * s * meanAbsGxhat) + 1e-30;
            }
        }
        return bound;
    }

    /** The parameter-gradient bound of the class comment: 1e-5 of {@code sum over rows of |dOut| (|factor| + offset)}. */
    static double[] parameterGradientBound(float[] dOut, double[] factor, double offset, int dim) {
        double[] bound = new double[dim];
        for (int i = 0; i < dOut.length; i++) {
            bound[i % dim] += 1e-5 * Math.abs(dOut[i]) * (Math.abs(factor == null ? 0 : factor[i]) + offset);
        }
        return bound;
    }

    @Property(tries = 200)
    void layerNormKernelsMatchReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 70) int dim, @ForAll boolean hasBias,
            @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = NormalizationTest.rowsWithOffsets(random, rows, dim);
        float[] weight = RandomArrays.gaussian(random, dim, 1.0);
        float[] dOut = RandomArrays.gaussian(random, rows * dim, 1.0);
        float eps = Normalization.LAYER_NORM_EPS;
        KernelGradients kernel = layerNormKernels(x, weight, dOut, rows, dim, eps, hasBias);
        Gradients reference = NormalizationReference.layerNormBackward(toDoubles(x), toDoubles(weight), toDoubles(dOut), rows, dim, eps);
        assertWithin("layerNorm dx", reference.dx(), kernel.dx(), inputGradientBound(x, weight, dOut, rows, dim, eps, true));
        double[] xhat = NormalizationReference.layerNorm(x, null, null, rows, dim, eps);
        assertWithin("layerNorm dWeight", reference.dWeight(), kernel.dWeight(), parameterGradientBound(dOut, xhat, 0.01, dim));
        if (hasBias) {
            assertWithin("layerNorm dBias", reference.dBias(), kernel.dBias(), parameterGradientBound(dOut, null, 1, dim));
        } else {
            assertArrayEquals(new float[dim], kernel.dBias(), "dBias untouched without a bias");
        }
    }

    @Property(tries = 200)
    void rmsNormKernelsMatchReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 70) int dim, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = NormalizationTest.rowsWithOffsets(random, rows, dim);
        float[] weight = RandomArrays.gaussian(random, dim, 1.0);
        float[] dOut = RandomArrays.gaussian(random, rows * dim, 1.0);
        float eps = 1e-6f;
        KernelGradients kernel = rmsNormKernels(x, weight, dOut, rows, dim, eps);
        Gradients reference = NormalizationReference.rmsNormBackward(toDoubles(x), toDoubles(weight), toDoubles(dOut), rows, dim, eps);
        assertWithin("rmsNorm dx", reference.dx(), kernel.dx(), inputGradientBound(x, weight, dOut, rows, dim, eps, false));
        double[] normalized = NormalizationReference.rmsNorm(x, ones(dim), rows, dim, eps);
        assertWithin("rmsNorm dWeight", reference.dWeight(), kernel.dWeight(), parameterGradientBound(dOut, normalized, 0.01, dim));
    }

    @Property(tries = 200)
    void qkLayerNormBackwardMatchesReferenceInPlace(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 9) int seq,
            @ForAll @IntRange(min = 1, max = 4) int heads, @ForAll @IntRange(min = 1, max = 40) int headDim, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int vectors = batch * seq * heads;
        float[] x = NormalizationTest.rowsWithOffsets(random, vectors, headDim);
        float[] dOut = RandomArrays.gaussian(random, x.length, 1.0);
        float eps = Normalization.QK_LAYER_NORM_EPS;
        FloatArray gradient = FloatArray.fromArray(dOut);
        Normalization.qkLayerNormBackward(FloatArray.fromArray(x), gradient, gradient, batch, seq, heads, headDim, eps);
        Gradients reference = NormalizationReference.layerNormBackward(toDoubles(x), null, toDoubles(dOut), vectors, headDim, eps);
        assertWithin("qkLayerNorm dx (in place)", reference.dx(), gradient.toHeapArray(), inputGradientBound(x, null, dOut, vectors, headDim, eps, true));
    }

    // ---- named cases ----

    private static float[] ones(int size) {
        float[] values = new float[size];
        java.util.Arrays.fill(values, 1f);
        return values;
    }

    /** LayerNorm's output does not change when a row is shifted by a constant, so each row of dx sums to zero. */
    @Test
    void layerNormInputGradientRowsSumToZero() {
        int rows = 6;
        int dim = 33;
        SplittableRandom random = new SplittableRandom(31);
        float[] x = NormalizationTest.rowsWithOffsets(random, rows, dim);
        float[] weight = RandomArrays.gaussian(random, dim, 1.0);
        float[] dOut = RandomArrays.gaussian(random, rows * dim, 1.0);
        float[] dx = layerNormKernels(x, weight, dOut, rows, dim, 1e-5f, true).dx();
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            double magnitude = 0;
            for (int j = 0; j < dim; j++) {
                sum += dx[r * dim + j];
                magnitude += Math.abs(dx[r * dim + j]);
            }
            assertEquals(0.0, sum, 1e-5 * magnitude, "row " + r);
        }
    }

    /** A constant row: variance 0, xhat 0, so dx = (g - mean g) / sqrt(eps), finite; dWeight gets nothing from it. */
    @Test
    void constantRowsGiveFiniteGradients() {
        int dim = 17;
        SplittableRandom random = new SplittableRandom(32);
        float[] weight = RandomArrays.gaussian(random, dim, 1.0);
        float[] dOut = RandomArrays.gaussian(random, dim, 1.0);
        for (float value : new float[] { 0f, -3.7f, 12345.678f, 3e18f }) {
            float[] x = new float[dim];
            java.util.Arrays.fill(x, value);
            KernelGradients kernel = layerNormKernels(x, weight, dOut, 1, dim, 1e-5f, true);
            assertFinite("dx of constant row " + value, kernel.dx());
            Gradients reference = NormalizationReference.layerNormBackward(toDoubles(x), toDoubles(weight), toDoubles(dOut), 1, dim, 1e-5);
            assertClose("dx of constant row " + value, reference.dx(), kernel.dx(), 1e-3, 1e-4);
            assertClose("dWeight of constant row " + value, new double[dim], kernel.dWeight(), 1e-6, 0);
            FloatArray q = FloatArray.fromArray(dOut);
            Normalization.qkLayerNormBackward(FloatArray.fromArray(x), q, q, 1, 1, 1, dim, Normalization.QK_LAYER_NORM_EPS);
            assertFinite("qk dx of constant row " + value, q.toHeapArray());
        }
    }

    /** One feature: LayerNorm's output is the bias whatever x is (dx = 0); RMSNorm's is w x / sqrt(x^2 + eps). */
    @Test
    void sizeOneRows() {
        float[] x = { 5f, -2f, 0.25f };
        float[] dOut = { 1.5f, -0.5f, 2f };
        KernelGradients layer = layerNormKernels(x, new float[] { 3f }, dOut, 3, 1, 1e-5f, true);
        assertArrayEquals(new float[3], layer.dx());
        assertArrayEquals(new float[] { 0f }, layer.dWeight());
        assertArrayEquals(new float[] { 3f }, layer.dBias());
        float eps = 1e-2f;
        KernelGradients rms = rmsNormKernels(x, new float[] { 2f }, dOut, 3, 1, eps);
        for (int i = 0; i < 3; i++) {
            double expected = dOut[i] * 2.0 * eps / Math.pow(x[i] * x[i] + eps, 1.5);
            assertEquals(expected, rms.dx()[i], 1e-6 * (1 + Math.abs(expected)), "rms dx " + i);
        }
    }

    /** Parameter gradients add to what the buffers hold (gradient accumulation); dBias is untouched without a bias. */
    @Test
    void parameterGradientsAccumulate() {
        int rows = 5;
        int dim = 9;
        SplittableRandom random = new SplittableRandom(33);
        FloatArray x = FloatArray.fromArray(RandomArrays.gaussian(random, rows * dim, 1.0));
        FloatArray weight = FloatArray.fromArray(RandomArrays.gaussian(random, dim, 1.0));
        FloatArray dOut = FloatArray.fromArray(RandomArrays.gaussian(random, rows * dim, 1.0));
        FloatArray dx = new FloatArray(rows * dim);
        FloatArray statistics = new FloatArray(rows * Normalization.LAYER_NORM_STATISTICS);
        Normalization.layerNormBackward(x, weight, dOut, dx, statistics, rows, dim, 1e-5f);
        FloatArray once = new FloatArray(dim);
        FloatArray onceBias = new FloatArray(dim);
        Normalization.layerNormParameterGradients(x, dOut, statistics, once, onceBias, rows, dim, 1);
        FloatArray twice = new FloatArray(dim);
        FloatArray untouched = new FloatArray(dim);
        untouched.init(7f);
        Normalization.layerNormParameterGradients(x, dOut, statistics, twice, untouched, rows, dim, 0);
        Normalization.layerNormParameterGradients(x, dOut, statistics, twice, untouched, rows, dim, 0);
        for (int j = 0; j < dim; j++) {
            assertEquals(2 * once.get(j), twice.get(j), 1e-6 * Math.abs(once.get(j)) + 1e-7);
            assertEquals(7f, untouched.get(j));
        }
        FloatArray inverseRms = new FloatArray(rows);
        Normalization.rmsNormBackward(x, weight, dOut, dx, inverseRms, rows, dim, 1e-6f);
        FloatArray rmsWeight = new FloatArray(dim);
        rmsWeight.init(1f);
        Normalization.rmsNormWeightGradients(x, dOut, inverseRms, rmsWeight, rows, dim);
        Gradients reference = NormalizationReference.rmsNormBackward(toDoubles(x.toHeapArray()), toDoubles(weight.toHeapArray()), toDoubles(dOut.toHeapArray()), rows,
                dim, 1e-6);
        for (int j = 0; j < dim; j++) {
            assertEquals(1 + reference.dWeight()[j], rmsWeight.get(j), 1e-5);
        }
    }

    /** QK-LayerNorm's backward may write over its gradient (in place) or over x: the same result either way. */
    @Test
    void qkLayerNormBackwardAliasing() {
        SplittableRandom random = new SplittableRandom(34);
        float[] x = RandomArrays.gaussian(random, 2 * 3 * 8, 2.0);
        float[] dOut = RandomArrays.gaussian(random, x.length, 1.0);
        FloatArray separate = new FloatArray(x.length);
        Normalization.qkLayerNormBackward(FloatArray.fromArray(x), FloatArray.fromArray(dOut), separate, 1, 2, 3, 8, 1e-6f);
        FloatArray overGradient = FloatArray.fromArray(dOut);
        Normalization.qkLayerNormBackward(FloatArray.fromArray(x), overGradient, overGradient, 1, 2, 3, 8, 1e-6f);
        FloatArray overInput = FloatArray.fromArray(x);
        Normalization.qkLayerNormBackward(overInput, FloatArray.fromArray(dOut), overInput, 1, 2, 3, 8, 1e-6f);
        assertArrayEquals(separate.toHeapArray(), overGradient.toHeapArray());
        assertArrayEquals(separate.toHeapArray(), overInput.toHeapArray());
    }
}
