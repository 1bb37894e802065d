package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.attentionlab.kernels.testing.Closeness.toDoubles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.AdamWReference;
import org.attentionlab.kernels.reference.AdamWReference.Hyperparameters;
import org.attentionlab.kernels.testing.AdamWRun;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * AdamW steps as one task graph executed once per step (parameters, moments, counter and state stay in device memory;
 * only the gradients are transferred each step), against {@link AdamWReference} in float64.
 *
 * <p>Tolerance after up to 6 steps: parameters {@code 2e-6 |p| + 1e-5 lr t}; {@code v} 1e-5 relative; {@code m} 1e-5
 * of the same average over the gradients' magnitudes (its terms may cancel). Each update is {@code lr} times a ratio of O(1) carrying a few fp32
 * roundings (relative 1e-6 at most, with the bias corrections computed without cancellation), and the decay and
 * subtraction round {@code p} once each per step.
 */
class AdamWTest {

    private static double[][] toDoubleBuffers(float[][] values) {
        double[][] wide = new double[values.length][];
        for (int b = 0; b < values.length; b++) {
            wide[b] = toDoubles(values[b]);
        }
        return wide;
    }

    static void assertMatches(AdamWRun run, AdamWReference.State expected, Hyperparameters h) {
        assertEquals(expected.step, run.step.get(0), "step counter");
        for (int b = 0; b < run.parameters.length; b++) {
            double[] parameterBound = new double[expected.parameters[b].length];
            double[] mBound = new double[parameterBound.length];
            double[] vBound = new double[parameterBound.length];
            for (int i = 0; i < parameterBound.length; i++) {
                parameterBound[i] = 2e-6 * Math.abs(expected.parameters[b][i]) + 1e-5 * h.learningRate() * expected.step;
                mBound[i] = 1e-5 * expected.mMagnitude[b][i] + 1e-30;
                vBound[i] = 1e-5 * Math.abs(expected.v[b][i]) + 1e-30;
            }
            assertWithin("parameters " + b, expected.parameters[b], run.parameters[b].toHeapArray(), parameterBound);
            assertWithin("m " + b, expected.m[b], run.m[b].toHeapArray(), mBound);
            assertWithin("v " + b, expected.v[b], run.v[b].toHeapArray(), vBound);
        }
        assertEquals(expected.lastLearningRate, run.state.get(AdamW.STATE_LEARNING_RATE), 1e-6 * expected.lastLearningRate, "learning rate");
        assertEquals(expected.lastGradientNorm, run.state.get(AdamW.STATE_GRADIENT_NORM), 1e-5 * expected.lastGradientNorm, "gradient norm");
    }

    // ---- properties ----

    @Property(tries = 60)
    void stepsMatchReference(@ForAll @IntRange(min = 1, max = 4) int buffers, @ForAll @IntRange(min = 1, max = 6) int steps, @ForAll boolean clip,
            @ForAll @IntRange(min = 0, max = 4) int warmup, @ForAll @IntRange(min = 0, max = 8) int total, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[][] initial = new float[buffers][];
        double[] decays = new double[buffers];
        for (int b = 0; b < buffers; b++) {
            int size = random.nextInt(1, random.nextBoolean() ? 50 : 9000);
            initial[b] = RandomArrays.gaussian(random, size, 0.5);
            decays[b] = random.nextBoolean() ? 0.0 : random.nextDouble(0, 0.1);
        }
        Hyperparameters h = new Hyperparameters(Math.pow(10, random.nextDouble(-4, -1)), random.nextDouble(0.5, 0.95), random.nextDouble(0.9, 0.9999),
                Math.pow(10, random.nextDouble(-10, -6)), clip ? random.nextDouble(0.1, 3) : 0, warmup, total, random.nextDouble(0, 0.5),
                random.nextBoolean() ? 1.0 : 0.25);
        float[][][] gradients = new float[steps][buffers][];
        for (int s = 0; s < steps; s++) {
            for (int b = 0; b < buffers; b++) {
                gradients[s][b] = RandomArrays.gaussian(random, initial[b].length, Math.pow(10, random.nextDouble(-3, 0)));
            }
        }
        AdamWRun run = new AdamWRun("adamw", initial, h, decays);
        run.steps(gradients);
        AdamWReference.State expected = new AdamWReference.State(toDoubleBuffers(initial));
        for (int s = 0; s < steps; s++) {
            AdamWReference.step(expected, toDoubleBuffers(gradients[s]), h, decays);
        }
        assertMatches(run, expected, h);
    }

    // ---- named cases ----

    private static final Hyperparameters TORCH_DEFAULTS = new Hyperparameters(1e-3, 0.9, 0.999, 1e-8, 0, 0, 0, 0, 1);

    /** The schedule at its landmarks: warm-up ramp, peak, cosine midpoint, floor, and constant without decay. */
    @Test
    void learningRateSchedule() {
        double[] factors = new double[13];
        Hyperparameters h = new Hyperparameters(0.5, 0.9, 0.999, 1e-8, 0, 4, 10, 0.1, 1);
        float[][] initial = { { 1f } };
        AdamWRun run = new AdamWRun("adamw", initial, h, new double[] { 0 });
        for (int t = 1; t <= 12; t++) {
            run.steps(new float[][][] { { { 0.5f } } });
            factors[t] = run.state.get(AdamW.STATE_LEARNING_RATE) / 0.5;
        }
        assertEquals(0.25, factors[1], 1e-7, "t = 1 of a 4-step warm-up");
        assertEquals(1.0, factors[4], 1e-7, "end of the warm-up");
        assertEquals(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI / 6)), factors[5], 1e-6, "first cosine step");
        assertEquals(0.55, factors[7], 1e-6, "cosine midpoint (t = 7 of 4..10)");
        assertEquals(0.1, factors[10], 1e-6, "floor at the total");
        assertEquals(0.1, factors[12], 1e-6, "floor after the total");
        AdamWRun constant = new AdamWRun("adamw", initial, new Hyperparameters(0.5, 0.9, 0.999, 1e-8, 0, 0, 0, 0, 1), new double[] { 0 });
        constant.steps(new float[][][] { { { 1f } }, { { 1f } } });
        assertEquals(0.5f, constant.state.get(AdamW.STATE_LEARNING_RATE), "no warm-up, no decay: constant");
    }

    /** The first step of Adam moves every parameter by lr * sign(g) (m-hat / sqrt(v-hat) = g / |g|), whatever |g|. */
    @Test
    void firstStepMovesByTheLearningRate() {
        float[][] initial = { { 1f, -2f, 0.5f, 3f } };
        AdamWRun run = new AdamWRun("adamw", initial, TORCH_DEFAULTS, new double[] { 0 });
        run.steps(new float[][][] { { { 1e-3f, -7f, 250f, -1e-6f } } });
        assertArrayEquals(new float[] { 1f - 1e-3f, -2f + 1e-3f, 0.5f - 1e-3f, 3f + 1e-3f * 0.99f }, run.parameters[0].toHeapArray(), 1e-3f * 0.011f);
    }

    /** Zero gradients: the moments stay 0 and the parameters only decay, by the factor 1 - lr * weight decay. */
    @Test
    void zeroGradientsOnlyDecay() {
        float[][] initial = { { 1f, -2f, 0.5f } };
        AdamWRun run = new AdamWRun("adamw", initial, new Hyperparameters(0.1, 0.9, 0.999, 1e-8, 1.0, 0, 0, 0, 1), new double[] { 0.5 });
        run.steps(new float[][][] { { new float[3] }, { new float[3] } });
        assertArrayEquals(new float[] { 1f * 0.95f * 0.95f, -2f * 0.95f * 0.95f, 0.5f * 0.95f * 0.95f }, run.parameters[0].toHeapArray(), 1e-6f);
        assertArrayEquals(new float[3], run.m[0].toHeapArray());
        assertEquals(0f, run.state.get(AdamW.STATE_GRADIENT_NORM));
    }

    /** Clipping: the global norm over all buffers, factor min(1, c / (norm + 1e-6)); below the threshold nothing changes. */
    @Test
    void clippingUsesTheGlobalNorm() {
        float[][] initial = { { 0f, 0f }, { 0f } };
        float[][][] gradients = { { { 3f, 0f }, { 4f } } };
        AdamWRun clipped = new AdamWRun("adamw", initial, new Hyperparameters(1e-3, 0.9, 0.999, 1e-8, 2.5, 0, 0, 0, 1), new double[] { 0, 0 });
        clipped.steps(gradients);
        assertEquals(5f, clipped.state.get(AdamW.STATE_GRADIENT_NORM), 1e-6);
        assertEquals(2.5 / (5 + 1e-6), clipped.state.get(AdamW.STATE_GRADIENT_FACTOR), 1e-7);
        assertEquals(0.1f * 0.5f * 3f, clipped.m[0].get(0), 1e-6, "m = (1 - beta1) * clipped g");
        AdamWRun unclipped = new AdamWRun("adamw", initial, new Hyperparameters(1e-3, 0.9, 0.999, 1e-8, 10, 0, 0, 0, 0.5), new double[] { 0, 0 });
        unclipped.steps(gradients);
        assertEquals(2.5f, unclipped.state.get(AdamW.STATE_GRADIENT_NORM), 1e-6, "the norm of the scaled gradients");
        assertEquals(0.5f, unclipped.state.get(AdamW.STATE_GRADIENT_FACTOR), "below the threshold: only the gradient scale");
    }

    /** The bias corrections stay accurate at t = 1 (no 1 - pow cancellation) and reach 1 without NaN at large t. */
    @Test
    void biasCorrectionsAtSmallAndLargeSteps() {
        float[][] initial = { { 1f } };
        AdamWRun run = new AdamWRun("adamw", initial, TORCH_DEFAULTS, new double[] { 0 });
        run.steps(new float[][][] { { { 1f } } });
        assertEquals(Math.sqrt(1 - 0.999), run.state.get(AdamW.STATE_BIAS_CORRECTION2_SQRT), 1e-7 * Math.sqrt(1e-3));
        assertEquals(1e-3 / (1 - 0.9), run.state.get(AdamW.STATE_STEP_SIZE), 1e-7 * 1e-2);
        AdamWRun late = new AdamWRun("adamw", initial, TORCH_DEFAULTS, new double[] { 0 });
        late.step.set(0, 1_000_000);
        late.steps(new float[][][] { { { 1f } } });
        assertEquals(1f, late.state.get(AdamW.STATE_BIAS_CORRECTION2_SQRT));
        assertEquals(1e-3f, late.state.get(AdamW.STATE_STEP_SIZE));
        assertEquals(1_000_001, late.step.get(0));
    }

    /** The partial sums of squares of a large buffer (many groups) add up to its squared norm; zeroGradients clears. */
    @Test
    void sumOfSquaresAndZeroing() {
        int size = 300_000;
        assertEquals(AdamW.MAX_NORM_GROUPS, AdamW.normGroups(size));
        assertEquals(1, AdamW.normGroups(1));
        assertEquals(2, AdamW.normGroups(4097));
        FloatArray gradient = FloatArray.fromArray(RandomArrays.gaussian(new SplittableRandom(5), size, 1.0));
        FloatArray partials = new FloatArray(AdamW.MAX_NORM_GROUPS + 3);
        TaskGraph graph = new TaskGraph("norm").transferToDevice(DataTransferMode.EVERY_EXECUTION, gradient, partials)
                .task("squares", AdamW::sumOfSquares, new KernelContext(), gradient, partials, size, 3)
                .task("zero", AdamW::zeroGradients, gradient, size)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, partials, gradient);
        float[] values = gradient.toHeapArray();
        org.attentionlab.kernels.testing.Plans.executeOnce(graph, new GridScheduler("norm.squares", AdamW.normGrid(size)));
        double expected = 0;
        for (float g : values) {
            expected += (double) g * g;
        }
        double total = 0;
        for (int i = 3; i < partials.getSize(); i++) {
            total += partials.get(i);
        }
        assertEquals(expected, total, 1e-6 * expected);
        assertArrayEquals(new float[size], gradient.toHeapArray());
    }

    @Test
    void settingsRejectBetasOutsideTheUnitInterval() {
        assertThrows(IllegalArgumentException.class, () -> AdamW.settings(1e-3, 1.0, 0.999, 1e-8, 0, 0, 0, 0, 1));
        FloatArray settings = AdamW.settings(1e-3, 0.9, 0.999, 1e-8, 1, 10, 100, 0.1, 0.5);
        assertEquals((float) (1 - 0.999), settings.get(AdamW.SETTING_ONE_MINUS_BETA2), "1 - beta2 rounded from double, as PyTorch's scalar");
    }
}
