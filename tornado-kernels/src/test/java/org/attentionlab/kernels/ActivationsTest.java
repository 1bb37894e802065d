package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertClose;
import static org.attentionlab.kernels.testing.Closeness.assertFinite;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

import org.attentionlab.kernels.reference.ActivationReference;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Element-wise activations, softmax and residual kernels against float64 references. Tolerances: GELU (both
 * forms) and SiLU 2e-7 * (1 + |x|) absolute + 1e-6 relative (the erf approximation is within 1.5e-7, and
 * 1 + erf cancels for negative x, as in PyTorch's fp32 formula); softmax 1e-6 absolute + 1e-5 relative; additions
 * one float rounding (1e-7 relative).
 */
class ActivationsTest {

    interface Kernel {
        void run(FloatArray x, FloatArray out, int size);
    }

    private static void checkElementwise(String name, Kernel kernel, DoubleUnaryOperator reference, float[] input, double absPerUnit, double rel) {
        FloatArray out = new FloatArray(input.length);
        kernel.run(FloatArray.fromArray(input), out, input.length);
        double[] expected = new double[input.length];
        double[] bound = new double[input.length];
        for (int i = 0; i < input.length; i++) {
            expected[i] = reference.applyAsDouble(input[i]);
            bound[i] = absPerUnit * (1 + Math.abs(input[i])) + rel * Math.abs(expected[i]);
        }
        org.attentionlab.kernels.testing.Closeness.assertWithin(name, expected, out.toHeapArray(), bound);
    }

    @Property(tries = 300)
    void elementwiseActivationsMatchReferences(@ForAll @IntRange(min = 1, max = 600) int size, @ForAll @DoubleRange(min = 0.1, max = 12) double scale,
            @ForAll long seed) {
        float[] input = RandomArrays.gaussian(new SplittableRandom(seed), size, scale);
        checkElementwise("geluErf", Activations::geluErf, ActivationReference::geluErf, input, 2e-7, 1e-6);
        checkElementwise("geluTanh", Activations::geluTanh, ActivationReference::geluTanh, input, 2e-7, 1e-6);
        checkElementwise("silu", Activations::silu, ActivationReference::silu, input, 2e-7, 1e-6);
        checkElementwise("relu", Activations::relu, v -> Math.max(v, 0), input, 0, 0);
    }

    @Test
    void erfIsAccurateToAboutOneTenMillionth() {
        double worst = 0;
        for (int i = -80000; i <= 80000; i++) {
            float x = i * 1e-4f;
            worst = Math.max(worst, Math.abs(Activations.erf(x) - ActivationReference.erf(x)));
        }
        for (float x : new float[] { 0f, -0f, 1e-30f, 1e-8f, 0.74999994f, 0.75f, 10f, 1e4f, Float.MAX_VALUE, -Float.MAX_VALUE }) {
            worst = Math.max(worst, Math.abs(Activations.erf(x) - ActivationReference.erf(x)));
        }
        assertTrue(worst < 1.2e-7, "max |erf error| " + worst);
        // small arguments keep their relative accuracy (the series branch)
        assertEquals(ActivationReference.erf(1e-6f), Activations.erf(1e-6f), 2 * Math.ulp(1.13e-6f));
        assertEquals(1f, Activations.erf(Float.POSITIVE_INFINITY));
        assertEquals(-1f, Activations.erf(Float.NEGATIVE_INFINITY));
    }

    /** The vectorizable erf is erf bit for bit (the JVM's goldens run through erf; PoCL's projections through it). */
    @Property(tries = 2000)
    void erfWithoutBranchesIsErfBitForBit(@ForAll int bits, @ForAll @FloatRange(min = -6, max = 6) float near) {
        float anyFloat = Float.intBitsToFloat(bits);
        assertEquals(Float.floatToIntBits(Activations.erf(anyFloat)), Float.floatToIntBits(Activations.erfWithoutBranches(anyFloat)), "x = " + anyFloat);
        assertEquals(Float.floatToIntBits(Activations.erf(near)), Float.floatToIntBits(Activations.erfWithoutBranches(near)), "x = " + near);
    }

    /** Both sides of the series limit, zeros of both signs, huge values whose square overflows, infinities, NaN, subnormals. */
    @Test
    void erfWithoutBranchesAtTheEdges() {
        float[] edges = { 0f, -0f, 0.75f, -0.75f, Math.nextDown(0.75f), Math.nextUp(0.75f), -Math.nextDown(0.75f), Float.MIN_VALUE, -Float.MIN_VALUE,
                Float.MIN_NORMAL, 1.8e19f, 2e19f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN };
        for (float x : edges) {
            assertEquals(Float.floatToIntBits(Activations.erf(x)), Float.floatToIntBits(Activations.erfWithoutBranches(x)), "x = " + x);
        }
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(Activations.erfWithoutBranches(-0f)), "erf(-0) is +0, as erf gives");
    }

    /** The tanh form approximates the erf form to within about 5e-4 (its known maximum error is near |x| = 2). */
    @Test
    void geluErfAndTanhDifferAsExpected() {
        int n = 12001;
        float[] input = new float[n];
        for (int i = 0; i < n; i++) {
            input[i] = -6f + i * 1e-3f;
        }
        FloatArray erfForm = new FloatArray(n);
        FloatArray tanhForm = new FloatArray(n);
        Activations.geluErf(FloatArray.fromArray(input), erfForm, n);
        Activations.geluTanh(FloatArray.fromArray(input), tanhForm, n);
        double kernelGap = 0;
        double referenceGap = 0;
        for (int i = 0; i < n; i++) {
            kernelGap = Math.max(kernelGap, Math.abs(erfForm.get(i) - tanhForm.get(i)));
            referenceGap = Math.max(referenceGap, Math.abs(ActivationReference.geluErf(input[i]) - ActivationReference.geluTanh(input[i])));
            assertEquals(ActivationReference.geluErf(input[i]) - ActivationReference.geluTanh(input[i]), erfForm.get(i) - tanhForm.get(i), 1e-6, "x = " + input[i]);
        }
        assertTrue(kernelGap > 1e-4 && kernelGap < 1e-3, "max |gelu_erf - gelu_tanh| " + kernelGap);
        assertEquals(referenceGap, kernelGap, 1e-6);
    }

    @Test
    void hugeInputsGiveNoNaN() {
        float[] input = { 1e4f, -1e4f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE, 88.8f, -88.8f, 0f, -0f };
        for (Kernel kernel : new Kernel[] { Activations::geluErf, Activations::geluTanh, Activations::silu, Activations::relu }) {
            FloatArray out = new FloatArray(input.length);
            kernel.run(FloatArray.fromArray(input), out, input.length);
            assertFinite("activation of huge inputs", out.toHeapArray());
            assertEquals(1e4f, out.get(0), "large positive inputs pass through");
            assertEquals(0f, out.get(1), 1e-30, "large negative inputs vanish");
        }
    }

    interface GatedKernel {
        void run(FloatArray gate, FloatArray up, FloatArray out, int size);
    }

    /** SwiGLU is silu(gate) * up, GeGLU is gelu(gate) * up (the erf form). */
    @Test
    void gatedUnitsAreTheActivationOfTheGateTimesUp() {
        float[] gate = RandomArrays.gaussian(new SplittableRandom(21), 77, 3.0);
        float[] up = RandomArrays.gaussian(new SplittableRandom(22), 77, 2.0);
        GatedKernel[] kernels = { Activations::swiGlu, Activations::geGlu };
        DoubleUnaryOperator[] activations = { ActivationReference::silu, ActivationReference::geluErf };
        for (int k = 0; k < kernels.length; k++) {
            FloatArray out = new FloatArray(77);
            kernels[k].run(FloatArray.fromArray(gate), FloatArray.fromArray(up), out, 77);
            double[] expected = new double[77];
            for (int i = 0; i < 77; i++) {
                expected[i] = activations[k].applyAsDouble(gate[i]) * up[i];
            }
            assertClose(k == 0 ? "swiGlu" : "geGlu", expected, out.toHeapArray(), 1e-6, 1e-6);
        }
    }

    @Test
    void elementwiseKernelsMayWriteInPlace() {
        float[] input = RandomArrays.gaussian(new SplittableRandom(23), 50, 3.0);
        FloatArray separate = new FloatArray(50);
        Activations.geluErf(FloatArray.fromArray(input), separate, 50);
        FloatArray inPlace = FloatArray.fromArray(input);
        Activations.geluErf(inPlace, inPlace, 50);
        assertArrayEquals(separate.toHeapArray(), inPlace.toHeapArray());
    }

    // ---- softmax ----

    @Property(tries = 300)
    void softmaxMatchesReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 70) int cols,
            @ForAll @DoubleRange(min = 0.01, max = 1e4) double scale, @ForAll long seed) {
        float[] logits = RandomArrays.gaussian(new SplittableRandom(seed), rows * cols, scale);
        FloatArray out = new FloatArray(rows * cols);
        Activations.softmaxRows(FloatArray.fromArray(logits), out, rows, cols);
        assertClose("softmax", ActivationReference.softmaxRows(logits, rows, cols), out.toHeapArray(), 1e-6, 1e-5);
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += out.get(r * cols + j);
            }
            assertEquals(1.0, sum, 1e-5, "row " + r);
        }
    }

    @Test
    void softmaxOfHugeLogitsHasNoNaNOrInf() {
        float[] logits = { 1e4f, 9999f, -1e4f, 3e38f, -3e38f, 0f };
        FloatArray out = new FloatArray(6);
        Activations.softmaxRows(FloatArray.fromArray(logits), out, 1, 6);
        assertFinite("softmax", out.toHeapArray());
        assertEquals(1f, out.get(3), "3e38 dominates");
        FloatArray pair = new FloatArray(2);
        Activations.softmaxRows(FloatArray.fromElements(1e4f, 9999f), pair, 1, 2);
        assertEquals(1 / (1 + Math.exp(-1)), pair.get(0), 1e-6);
    }

    @Test
    void softmaxEdgeRows() {
        FloatArray single = new FloatArray(3);
        Activations.softmaxRows(FloatArray.fromElements(-5f, 0f, 1e4f), single, 3, 1);
        assertArrayEquals(new float[] { 1f, 1f, 1f }, single.toHeapArray(), "one column: probability 1");
        FloatArray masked = new FloatArray(4);
        float inf = Float.NEGATIVE_INFINITY;
        Activations.softmaxRows(FloatArray.fromElements(inf, inf, inf, 2f), masked, 1, 4);
        assertArrayEquals(new float[] { 0f, 0f, 0f, 1f }, masked.toHeapArray(), "masked logits get 0");
        FloatArray allMasked = new FloatArray(3);
        Activations.softmaxRows(FloatArray.fromElements(inf, inf, inf), allMasked, 1, 3);
        assertArrayEquals(new float[] { 0f, 0f, 0f }, allMasked.toHeapArray(), "a fully masked row is zeros, not NaN");
        FloatArray constant = new FloatArray(5);
        FloatArray logits = new FloatArray(5);
        logits.init(123.25f);
        Activations.softmaxRows(logits, constant, 1, 5);
        for (int j = 0; j < 5; j++) {
            assertEquals(0.2f, constant.get(j), 1e-7);
        }
    }

    // ---- residuals ----

    @Property(tries = 200)
    void residualAdditions(@ForAll @IntRange(min = 1, max = 500) int size, @ForAll @FloatRange(min = -100, max = 100) float scale, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] a = RandomArrays.gaussian(random, size, 5.0);
        float[] b = RandomArrays.gaussian(random, size, 5.0);
        double[] sum = new double[size];
        double[] scaled = new double[size];
        for (int i = 0; i < size; i++) {
            sum[i] = (double) a[i] + b[i];
            scaled[i] = a[i] + (double) scale * b[i];
        }
        FloatArray out = new FloatArray(size);
        Activations.add(FloatArray.fromArray(a), FloatArray.fromArray(b), out, size);
        assertClose("add", sum, out.toHeapArray(), 1e-30, 1.2e-7);
        FloatArray accumulator = FloatArray.fromArray(a);
        Activations.accumulate(accumulator, FloatArray.fromArray(b), size);
        assertArrayEquals(out.toHeapArray(), accumulator.toHeapArray(), "accumulate == add");
        FloatArray scaledAccumulator = FloatArray.fromArray(a);
        Activations.accumulateScaled(scaledAccumulator, FloatArray.fromArray(b), scale, size);
        double[] bound = new double[size];
        for (int i = 0; i < size; i++) {
            bound[i] = 1.2e-7 * (Math.abs(a[i]) + 2 * Math.abs((double) scale * b[i]));
        }
        org.attentionlab.kernels.testing.Closeness.assertWithin("accumulateScaled", scaled, scaledAccumulator.toHeapArray(), bound);
    }

    // ---- element-wise product and scale ----

    @Property(tries = 200)
    void multiplyAndScaleAreOneRoundedOperationPerElement(@ForAll @IntRange(min = 1, max = 500) int size, @ForAll @FloatRange(min = -100, max = 100) float factor,
            @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] a = RandomArrays.gaussian(random, size, 5.0);
        float[] b = RandomArrays.gaussian(random, size, 5.0);
        FloatArray product = new FloatArray(size);
        Activations.multiply(FloatArray.fromArray(a), FloatArray.fromArray(b), product, size);
        FloatArray scaled = FloatArray.fromArray(a);
        Activations.scale(scaled, scaled, factor, size);
        for (int i = 0; i < size; i++) {
            assertEquals((float) ((double) a[i] * b[i]), product.get(i), "product " + i);
            assertEquals((float) ((double) factor * a[i]), scaled.get(i), "scaled in place " + i);
        }
        FloatArray inPlace = FloatArray.fromArray(a);
        Activations.multiply(inPlace, FloatArray.fromArray(b), inPlace, size);
        assertArrayEquals(product.toHeapArray(), inPlace.toHeapArray(), "multiply may write its first input");
    }
}
