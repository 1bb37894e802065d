package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertClose;
import static org.attentionlab.kernels.testing.Closeness.assertFinite;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.NormalizationReference;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * LayerNorm, RMSNorm and QK-LayerNorm against float64 references; tolerance 1e-5 absolute + 1e-4 relative
 * (outputs are O(|weight| + |bias|)). Rows get a random mean up to 1000x their spread to exercise the
 * variance computation.
 */
class NormalizationTest {

    @Provide
    Arbitrary<Float> epsilons() {
        return Arbitraries.of(1e-5f, 1e-6f, 1e-12f);
    }

    /** Rows of spread {@code spread} around a mean of up to {@code 1000 * spread}, the mean drawn per row. */
    static float[] rowsWithOffsets(SplittableRandom random, int rows, int dim) {
        float[] x = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            double spread = Math.pow(10, random.nextDouble(-2, 2));
            double mean = random.nextDouble(-1000, 1000) * spread * (random.nextBoolean() ? 1 : 0.001);
            for (int j = 0; j < dim; j++) {
                x[r * dim + j] = (float) (mean + spread * RandomArrays.nextGaussian(random));
            }
        }
        return x;
    }

    @Property(tries = 300)
    void layerNormMatchesReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 70) int dim,
            @ForAll("epsilons") float eps, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] input = rowsWithOffsets(random, rows, dim);
        float[] weight = RandomArrays.gaussian(random, dim, 1.0);
        float[] bias = RandomArrays.gaussian(random, dim, 1.0);
        FloatArray out = new FloatArray(rows * dim);
        Normalization.layerNorm(FloatArray.fromArray(input), FloatArray.fromArray(weight), FloatArray.fromArray(bias), out, rows, dim, eps);
        assertClose("layerNorm", NormalizationReference.layerNorm(input, weight, bias, rows, dim, eps), out.toHeapArray(), 1e-5, 1e-4);
    }

    @Property(tries = 300)
    void rmsNormMatchesReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 70) int dim,
            @ForAll("epsilons") float eps, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] input = rowsWithOffsets(random, rows, dim);
        float[] weight = RandomArrays.gaussian(random, dim, 1.0);
        FloatArray out = new FloatArray(rows * dim);
        Normalization.rmsNorm(FloatArray.fromArray(input), FloatArray.fromArray(weight), out, rows, dim, eps);
        assertClose("rmsNorm", NormalizationReference.rmsNorm(input, weight, rows, dim, eps), out.toHeapArray(), 1e-5, 1e-4);
    }

    @Property(tries = 300)
    void qkLayerNormMatchesReference(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 9) int seq,
            @ForAll @IntRange(min = 1, max = 4) int heads, @ForAll @IntRange(min = 1, max = 40) int headDim, @ForAll long seed) {
        int vectors = batch * seq * heads;
        float[] input = rowsWithOffsets(new SplittableRandom(seed), vectors, headDim);
        FloatArray x = FloatArray.fromArray(input);
        Normalization.qkLayerNorm(x, batch, seq, heads, headDim, Normalization.QK_LAYER_NORM_EPS);
        double[] expected = NormalizationReference.layerNorm(input, null, null, vectors, headDim, Normalization.QK_LAYER_NORM_EPS);
        assertClose("qkLayerNorm", expected, x.toHeapArray(), 1e-5, 1e-4);
    }

    @Test
    void layerNormOfAConstantRowIsTheBiasWithoutNaN() {
        for (float value : new float[] { 0f, 0.1f, -3.7f, 12345.678f, 1e-30f, 3e18f }) {
            int dim = 37;
            FloatArray x = new FloatArray(dim);
            x.init(value);
            FloatArray weight = new FloatArray(dim);
            weight.init(2f);
            FloatArray bias = FloatArray.fromArray(RandomArrays.gaussian(new SplittableRandom(3), dim, 1.0));
            FloatArray out = new FloatArray(dim);
            Normalization.layerNorm(x, weight, bias, out, 1, dim, 1e-5f);
            assertFinite("constant row " + value, out.toHeapArray());
            for (int j = 0; j < dim; j++) {
                assertEquals(bias.get(j), out.get(j), 1e-4, "constant row " + value + " element " + j);
            }
            FloatArray q = new FloatArray(dim);
            q.init(value);
            Normalization.qkLayerNorm(q, 1, 1, 1, dim, Normalization.QK_LAYER_NORM_EPS);
            assertFinite("qk constant row " + value, q.toHeapArray());
        }
    }

    @Test
    void sizeOneRows() {
        FloatArray out = new FloatArray(3);
        Normalization.layerNorm(FloatArray.fromElements(5f, -2f, 0f), FloatArray.fromElements(3f), FloatArray.fromElements(0.5f), out, 3, 1, 1e-5f);
        // one element: x - mean = 0, so every output is the bias
        assertEquals("[0.5, 0.5, 0.5]", java.util.Arrays.toString(out.toHeapArray()));
        FloatArray rms = new FloatArray(2);
        Normalization.rmsNorm(FloatArray.fromElements(4f, -0.5f), FloatArray.fromElements(2f), rms, 2, 1, 0f);
        assertEquals(2f, rms.get(0), 1e-6);
        assertEquals(-2f, rms.get(1), 1e-6);
    }

    /** Each head of [batch, seq, heads, headDim] is normalised on its own: mean 0 and variance 1 - eps correction. */
    @Test
    void qkLayerNormNormalisesEachHeadSeparately() {
        int heads = 3;
        int headDim = 6;
        float[] input = RandomArrays.gaussian(new SplittableRandom(5), 2 * heads * headDim, 4.0);
        for (int h = 0; h < 2 * heads; h++) {
            for (int j = 0; j < headDim; j++) {
                input[h * headDim + j] += 10 * h;
            }
        }
        FloatArray x = FloatArray.fromArray(input);
        Normalization.qkLayerNorm(x, 1, 2, heads, headDim, 0f);
        for (int h = 0; h < 2 * heads; h++) {
            double mean = 0;
            double square = 0;
            for (int j = 0; j < headDim; j++) {
                mean += x.get(h * headDim + j);
                square += x.get(h * headDim + j) * x.get(h * headDim + j);
            }
            assertEquals(0.0, mean / headDim, 1e-6, "head " + h);
            assertEquals(1.0, square / headDim, 1e-5, "head " + h);
        }
    }

    /**
     * LayerNorm normalises {@link Normalization#ROW_GROUP} rows side by side: every row, also in a last group that is not
     * full and in place, gets the bits it gets as a matrix of that one row (RMSNorm, one row per iteration, likewise).
     */
    @Property(tries = 100)
    void rowGroupsGiveEachRowItsOwnBits(@ForAll @IntRange(min = 1, max = 3 * Normalization.ROW_GROUP + 1) int rows,
            @ForAll @IntRange(min = 1, max = 70) int dim, @ForAll boolean inPlace, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] input = rowsWithOffsets(random, rows, dim);
        FloatArray weight = FloatArray.fromArray(RandomArrays.gaussian(random, dim, 1.0));
        FloatArray bias = FloatArray.fromArray(RandomArrays.gaussian(random, dim, 1.0));
        FloatArray layer = FloatArray.fromArray(input);
        FloatArray rms = FloatArray.fromArray(input);
        FloatArray layerOut = inPlace ? layer : new FloatArray(rows * dim);
        FloatArray rmsOut = inPlace ? rms : new FloatArray(rows * dim);
        Normalization.layerNorm(layer, weight, bias, layerOut, rows, dim, 1e-5f);
        Normalization.rmsNorm(rms, weight, rmsOut, rows, dim, 1e-6f);
        for (int r = 0; r < rows; r++) {
            FloatArray row = FloatArray.fromArray(java.util.Arrays.copyOfRange(input, r * dim, (r + 1) * dim));
            FloatArray alone = new FloatArray(dim);
            Normalization.layerNorm(row, weight, bias, alone, 1, dim, 1e-5f);
            org.junit.jupiter.api.Assertions.assertArrayEquals(alone.toHeapArray(), java.util.Arrays.copyOfRange(layerOut.toHeapArray(), r * dim, (r + 1) * dim),
                    "layerNorm row " + r);
            Normalization.rmsNorm(row, weight, alone, 1, dim, 1e-6f);
            org.junit.jupiter.api.Assertions.assertArrayEquals(alone.toHeapArray(), java.util.Arrays.copyOfRange(rmsOut.toHeapArray(), r * dim, (r + 1) * dim),
                    "rmsNorm row " + r);
        }
    }

    @Test
    void layerNormMayWriteInPlace() {
        float[] input = RandomArrays.gaussian(new SplittableRandom(8), 4 * 9, 3.0);
        float[] weight = RandomArrays.gaussian(new SplittableRandom(9), 9, 1.0);
        float[] bias = RandomArrays.gaussian(new SplittableRandom(10), 9, 1.0);
        FloatArray separate = new FloatArray(input.length);
        Normalization.layerNorm(FloatArray.fromArray(input), FloatArray.fromArray(weight), FloatArray.fromArray(bias), separate, 4, 9, 1e-5f);
        FloatArray inPlace = FloatArray.fromArray(input);
        Normalization.layerNorm(inPlace, FloatArray.fromArray(weight), FloatArray.fromArray(bias), inPlace, 4, 9, 1e-5f);
        org.junit.jupiter.api.Assertions.assertArrayEquals(separate.toHeapArray(), inPlace.toHeapArray());
    }
}
