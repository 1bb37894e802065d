package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertFinite;
import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.attentionlab.kernels.testing.Closeness.toDoubles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

import org.attentionlab.kernels.reference.ActivationReference;
import org.attentionlab.kernels.reference.FiniteDifferences;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Backward of the activations: the float64 derivatives of {@link ActivationReference} against finite differences of
 * its forwards, and the kernels against them. Kernel tolerance per element: {@code |dOut| (5e-7 + 1e-6 |f'(x)|)}
 * (the derivatives are sums of O(1) terms, each a few fp32 roundings of transcendental values; the erf
 * approximation adds 1.2e-7 / 2); softmax backward 1e-6 of {@code y (|dOut| + sum |y dOut|)}.
 */
class ActivationsBackwardTest {

    interface Backward {
        void run(FloatArray x, FloatArray dOut, FloatArray dx, int size);
    }

    private static float[] run(Backward kernel, float[] x, float[] dOut) {
        FloatArray dx = new FloatArray(x.length);
        kernel.run(FloatArray.fromArray(x), FloatArray.fromArray(dOut), dx, x.length);
        return dx.toHeapArray();
    }

    private static void checkBackward(String name, Backward kernel, DoubleUnaryOperator derivative, float[] x, float[] dOut) {
        double[] expected = new double[x.length];
        double[] bound = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double slope = derivative.applyAsDouble(x[i]);
            expected[i] = dOut[i] * slope;
            bound[i] = Math.abs(dOut[i]) * (5e-7 + 1e-6 * Math.abs(slope)) + 1e-30;
        }
        assertWithin(name, expected, run(kernel, x, dOut), bound);
    }

    // ---- the references against finite differences ----

    private static void assertDerivative(String name, DoubleUnaryOperator f, DoubleUnaryOperator derivative, double x) {
        double numeric = FiniteDifferences.gradientOfScalar(v -> f.applyAsDouble(v[0]), new double[] { x })[0];
        assertEquals(numeric, derivative.applyAsDouble(x), 1e-7 * (1 + Math.abs(numeric)), name + "'(" + x + ")");
    }

    @Property(tries = 300)
    void referenceDerivativesMatchFiniteDifferences(@ForAll @DoubleRange(min = -12, max = 12) double x) {
        assertDerivative("gelu_erf", ActivationReference::geluErf, ActivationReference::geluErfDerivative, x);
        assertDerivative("gelu_tanh", ActivationReference::geluTanh, ActivationReference::geluTanhDerivative, x);
        assertDerivative("silu", ActivationReference::silu, ActivationReference::siluDerivative, x);
    }

    @Property(tries = 100)
    void softmaxReferenceGradientMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 12) int cols,
            @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] logits = toDoubles(RandomArrays.gaussian(random, rows * cols, 3.0));
        double[] dOut = toDoubles(RandomArrays.gaussian(random, rows * cols, 1.0));
        double[] numeric = FiniteDifferences.gradient(v -> ActivationReference.softmaxRows(v, rows, cols), logits, dOut);
        double[] analytic = ActivationReference.softmaxRowsBackward(ActivationReference.softmaxRows(logits, rows, cols), dOut, rows, cols);
        for (int i = 0; i < numeric.length; i++) {
            assertEquals(numeric[i], analytic[i], 1e-7, "element " + i);
        }
    }

    // ---- the kernels against the references ----

    @Property(tries = 300)
    void elementwiseBackwardMatchesReferences(@ForAll @IntRange(min = 1, max = 600) int size, @ForAll @DoubleRange(min = 0.1, max = 12) double scale,
            @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = RandomArrays.gaussian(random, size, scale);
        float[] dOut = RandomArrays.gaussian(random, size, 1.0);
        checkBackward("geluErfBackward", Activations::geluErfBackward, ActivationReference::geluErfDerivative, x, dOut);
        checkBackward("geluTanhBackward", Activations::geluTanhBackward, ActivationReference::geluTanhDerivative, x, dOut);
        checkBackward("siluBackward", Activations::siluBackward, ActivationReference::siluDerivative, x, dOut);
        checkBackward("reluBackward", Activations::reluBackward, v -> v > 0 ? 1 : 0, x, dOut);
    }

    @Property(tries = 200)
    void gatedBackwardMatchesReferences(@ForAll @IntRange(min = 1, max = 300) int size, @ForAll @DoubleRange(min = 0.1, max = 8) double scale,
            @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] gate = RandomArrays.gaussian(random, size, scale);
        float[] up = RandomArrays.gaussian(random, size, 2.0);
        float[] dOut = RandomArrays.gaussian(random, size, 1.0);
        checkGated("swiGluBackward", Activations::swiGluBackward, ActivationReference::silu, ActivationReference::siluDerivative, gate, up, dOut);
        checkGated("geGluBackward", Activations::geGluBackward, ActivationReference::geluErf, ActivationReference::geluErfDerivative, gate, up, dOut);
    }

    interface GatedBackward {
        void run(FloatArray gate, FloatArray up, FloatArray dOut, FloatArray dGate, FloatArray dUp, int size);
    }

    /** {@code out = act(gate) * up}: {@code dGate = dOut up act'(gate)}, {@code dUp = dOut act(gate)}. */
    private static void checkGated(String name, GatedBackward kernel, DoubleUnaryOperator act, DoubleUnaryOperator derivative, float[] gate, float[] up, float[] dOut) {
        int n = gate.length;
        FloatArray dGate = new FloatArray(n);
        FloatArray dUp = new FloatArray(n);
        kernel.run(FloatArray.fromArray(gate), FloatArray.fromArray(up), FloatArray.fromArray(dOut), dGate, dUp, n);
        double[] expectedGate = new double[n];
        double[] expectedUp = new double[n];
        double[] gateBound = new double[n];
        double[] upBound = new double[n];
        for (int i = 0; i < n; i++) {
            double slope = derivative.applyAsDouble(gate[i]);
            double value = act.applyAsDouble(gate[i]);
            expectedGate[i] = dOut[i] * up[i] * slope;
            expectedUp[i] = dOut[i] * value;
            gateBound[i] = Math.abs(dOut[i] * up[i]) * (5e-7 + 1e-6 * Math.abs(slope)) + 1e-30;
            upBound[i] = Math.abs(dOut[i]) * (2e-7 * (1 + Math.abs(gate[i])) + 1e-6 * Math.abs(value)) + 1e-30;
        }
        assertWithin(name + " dGate", expectedGate, dGate.toHeapArray(), gateBound);
        assertWithin(name + " dUp", expectedUp, dUp.toHeapArray(), upBound);
    }

    @Property(tries = 200)
    void softmaxBackwardMatchesReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 70) int cols,
            @ForAll @DoubleRange(min = 0.01, max = 1e4) double scale, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] logits = RandomArrays.gaussian(random, rows * cols, scale);
        float[] dOut = RandomArrays.gaussian(random, rows * cols, 1.0);
        FloatArray y = new FloatArray(rows * cols);
        Activations.softmaxRows(FloatArray.fromArray(logits), y, rows, cols);
        FloatArray dx = new FloatArray(rows * cols);
        Activations.softmaxRowsBackward(y, FloatArray.fromArray(dOut), dx, rows, cols);
        // From the kernel's own y (what a training graph has), so only the backward's arithmetic is under test.
        double[] probabilities = toDoubles(y.toHeapArray());
        double[] expected = ActivationReference.softmaxRowsBackward(probabilities, toDoubles(dOut), rows, cols);
        double[] bound = new double[expected.length];
        for (int r = 0; r < rows; r++) {
            double projection = 0;
            for (int k = 0; k < cols; k++) {
                projection += Math.abs(probabilities[r * cols + k] * dOut[r * cols + k]);
            }
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                bound[i] = 1e-6 * probabilities[i] * (Math.abs(dOut[i]) + projection) + 1e-30;
            }
        }
        assertWithin("softmaxRowsBackward", expected, dx.toHeapArray(), bound);
    }

    // ---- named cases ----

    /**
     * The erf-GELU kernels work in blocks of {@value Activations#GELU_BLOCK}: with a partial last block (37 = 2 x 16 + 5)
     * and in place (out = x, dx = dOut) every element gets the value the single-element functions give it, bit for bit.
     */
    @Test
    void geluErfBlocksInPlaceWithAPartialLastBlock() {
        float[] x = RandomArrays.gaussian(new SplittableRandom(37), 37, 3.0);
        float[] dOut = RandomArrays.gaussian(new SplittableRandom(38), 37, 1.0);
        FloatArray forward = FloatArray.fromArray(x);
        Activations.geluErf(forward, forward, x.length);
        FloatArray backward = FloatArray.fromArray(dOut);
        Activations.geluErfBackward(FloatArray.fromArray(x), backward, backward, x.length);
        for (int i = 0; i < x.length; i++) {
            float erf = Activations.erf(x[i] * 0.70710678118654752f);
            assertEquals(Float.floatToIntBits(0.5f * x[i] * (1.0f + erf)), Float.floatToIntBits(forward.get(i)), "gelu at " + i);
            assertEquals(Float.floatToIntBits(dOut[i] * Activations.geluErfDerivative(x[i])), Float.floatToIntBits(backward.get(i)), "gelu' at " + i);
        }
    }

    @Test
    void derivativesAtZero() {
        assertEquals(0.5f, Activations.geluErfDerivative(0f));
        assertEquals(0.5f, Activations.geluTanhDerivative(0f));
        assertEquals(0.5f, Activations.siluDerivative(0f));
        assertArrayEquals(new float[] { 0f, 0f, 2f }, run(Activations::reluBackward, new float[] { 0f, -0f, 1e-30f }, new float[] { 2f, 2f, 2f }),
                "ReLU passes nothing at 0");
    }

    /** Huge inputs: slopes 1 (positive) and 0 (negative), never NaN, also beyond where x^2 overflows. */
    @Test
    void hugeInputsGiveSlopesOneAndZeroWithoutNaN() {
        float[] x = { 1e4f, -1e4f, 1e20f, -1e20f, Float.MAX_VALUE, -Float.MAX_VALUE, 88.8f, -88.8f };
        float[] ones = new float[x.length];
        java.util.Arrays.fill(ones, 1f);
        for (Backward kernel : new Backward[] { Activations::geluErfBackward, Activations::geluTanhBackward, Activations::siluBackward, Activations::reluBackward }) {
            float[] dx = run(kernel, x, ones);
            assertFinite("slopes of huge inputs", dx);
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i] > 0 ? 1f : 0f, dx[i], 1e-30, "x = " + x[i]);
            }
        }
    }

    /** Every backward may write over its gradient or its input. */
    @Test
    void backwardKernelsMayWriteInPlace() {
        SplittableRandom random = new SplittableRandom(41);
        float[] x = RandomArrays.gaussian(random, 64, 3.0);
        float[] dOut = RandomArrays.gaussian(random, 64, 1.0);
        for (Backward kernel : new Backward[] { Activations::geluErfBackward, Activations::geluTanhBackward, Activations::siluBackward, Activations::reluBackward }) {
            float[] separate = run(kernel, x, dOut);
            FloatArray overGradient = FloatArray.fromArray(dOut);
            kernel.run(FloatArray.fromArray(x), overGradient, overGradient, 64);
            FloatArray overInput = FloatArray.fromArray(x);
            kernel.run(overInput, FloatArray.fromArray(dOut), overInput, 64);
            assertArrayEquals(separate, overGradient.toHeapArray());
            assertArrayEquals(separate, overInput.toHeapArray());
        }
        float[] up = RandomArrays.gaussian(random, 64, 1.0);
        FloatArray dGate = new FloatArray(64);
        FloatArray dUp = new FloatArray(64);
        Activations.swiGluBackward(FloatArray.fromArray(x), FloatArray.fromArray(up), FloatArray.fromArray(dOut), dGate, dUp, 64);
        FloatArray gate = FloatArray.fromArray(x);
        FloatArray upInPlace = FloatArray.fromArray(up);
        Activations.swiGluBackward(gate, upInPlace, FloatArray.fromArray(dOut), gate, upInPlace, 64);
        assertArrayEquals(dGate.toHeapArray(), gate.toHeapArray());
        assertArrayEquals(dUp.toHeapArray(), upInPlace.toHeapArray());
    }

    /**
     * Dropout is linear in x, so its backward is dropout of the gradient with the same seed: the kept elements of the
     * gradient scaled by 1 / (1 - p), the others 0 (the mask re-derived from the documented hash).
     */
    @Property(tries = 100)
    void dropoutBackwardIsDropoutOfTheGradient(@ForAll @IntRange(min = 1, max = 2000) int size, @ForAll @FloatRange(min = 0, max = 0.95f) float p,
            @ForAll int seed, @ForAll @IntRange(min = 0, max = 1_000_000) int step) {
        float[] dOut = RandomArrays.gaussian(new SplittableRandom(seed), size, 2.0);
        FloatArray dx = new FloatArray(size);
        IntArray counter = IntArray.fromElements(step);
        Activations.dropoutAtStep(FloatArray.fromArray(dOut), dx, size, p, seed, counter);
        int stepSeed = seed + step * Activations.DROPOUT_STEP_STRIDE;
        FloatArray direct = new FloatArray(size);
        Activations.dropout(FloatArray.fromArray(dOut), direct, size, p, stepSeed);
        assertArrayEquals(direct.toHeapArray(), dx.toHeapArray(), "dropoutAtStep = dropout with the step's seed");
        FloatArray inPlace = FloatArray.fromArray(dOut);
        Activations.dropoutAtStep(inPlace, inPlace, size, p, seed, counter);
        assertArrayEquals(dx.toHeapArray(), inPlace.toHeapArray(), "dropoutAtStep in place (out = x)");
        for (int i = 0; i < size; i++) {
            boolean keep = ActivationReference.dropoutUniform(stepSeed, i) >= p;
            double expected = keep ? dOut[i] / (1.0 - p) : 0.0;
            assertEquals(expected, dx.get(i), 2.5e-7 * Math.abs(expected), "element " + i);
        }
    }

    /** Consecutive steps draw different masks (about 2 p (1 - p) of the elements differ), the same step the same one. */
    @Test
    void dropoutMasksChangeFromStepToStep() {
        int size = 20000;
        float p = 0.3f;
        float[] ones = new float[size];
        java.util.Arrays.fill(ones, 1f);
        float[][] masks = new float[3][];
        int[] steps = { 5, 6, 5 };
        for (int k = 0; k < 3; k++) {
            FloatArray out = new FloatArray(size);
            Activations.dropoutAtStep(FloatArray.fromArray(ones), out, size, p, 1234, IntArray.fromElements(steps[k]));
            masks[k] = out.toHeapArray();
        }
        assertArrayEquals(masks[0], masks[2]);
        int differ = 0;
        for (int i = 0; i < size; i++) {
            differ += masks[0][i] != masks[1][i] ? 1 : 0;
        }
        double expected = 2 * p * (1 - p) * size;
        assertEquals(expected, differ, 5 * Math.sqrt(expected), "elements whose mask differs between steps 5 and 6");
    }
}
