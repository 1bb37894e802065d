package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.LstmReference;
import org.attentionlab.kernels.testing.Plans;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * LSTM against a float64 reference of torch.nn.LSTM's equations. Tolerance: one step 1e-5 absolute + 1e-4
 * relative; whole sequences (up to 30 steps) 3e-5 absolute + 1e-4 relative, as fp32 rounding of each step feeds
 * into the next (the recurrence is contractive, so it does not grow without bound).
 */
class LstmKernelsTest {

    /** Parameters with torch's default initialisation U(-1/sqrt(H), 1/sqrt(H)). */
    record Parameters(float[] wIh, float[] wHh, float[] bIh, float[] bHh) {
        static Parameters random(SplittableRandom random, int inputSize, int hidden) {
            double k = 1 / Math.sqrt(hidden);
            return new Parameters(RandomArrays.uniform(random, 4 * hidden * inputSize, -k, k), RandomArrays.uniform(random, 4 * hidden * hidden, -k, k),
                    RandomArrays.uniform(random, 4 * hidden, -k, k), RandomArrays.uniform(random, 4 * hidden, -k, k));
        }
    }

    record SequenceResult(float[] output, float[] hN, float[] cN) {
    }

    /** Input projection (linear kernel) and recurrence (sequence kernel) as two tasks of one graph, as the model runs them. */
    static SequenceResult runSequence(float[] xValues, Parameters p, float[] h0Values, float[] c0Values, int batch, int seq, int inputSize, int hidden) {
        FloatArray x = FloatArray.fromArray(xValues);
        FloatArray wIh = FloatArray.fromArray(p.wIh());
        FloatArray wHh = FloatArray.fromArray(p.wHh());
        FloatArray bIh = FloatArray.fromArray(p.bIh());
        FloatArray bHh = FloatArray.fromArray(p.bHh());
        boolean hasInitial = h0Values != null;
        FloatArray h0 = hasInitial ? FloatArray.fromArray(h0Values) : new FloatArray(1);
        FloatArray c0 = hasInitial ? FloatArray.fromArray(c0Values) : new FloatArray(1);
        FloatArray inputGates = new FloatArray(batch * seq * 4 * hidden);
        FloatArray output = new FloatArray(batch * seq * hidden);
        FloatArray hN = new FloatArray(batch * hidden);
        FloatArray cN = new FloatArray(batch * hidden);
        TaskGraph graph = new TaskGraph("lstm")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, wIh, wHh, bIh, bHh, h0, c0)
                .task("inputProjection", LinearKernels::linear, new KernelContext(), x, wIh, bIh, inputGates, batch * seq, inputSize, 4 * hidden, 1)
                .task("recurrence", LstmKernels::sequence, new KernelContext(), inputGates, wHh, bHh, h0, c0, output, hN, cN, batch, seq, hidden, hasInitial ? 1 : 0)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, output, hN, cN);
        GridScheduler scheduler = new GridScheduler();
        scheduler.addWorkerGrid("lstm.inputProjection", LstmKernels.inputProjectionGrid(batch, seq, hidden));
        scheduler.addWorkerGrid("lstm.recurrence", LstmKernels.sequenceGrid(batch, hidden));
        Plans.executeOnce(graph, scheduler);
        return new SequenceResult(output.toHeapArray(), hN.toHeapArray(), cN.toHeapArray());
    }

    static void assertMatches(LstmReference.Result expected, SequenceResult actual, double abs, double rel) {
        assertClose("output", expected.output(), actual.output(), abs, rel);
        assertClose("h_n", expected.hN(), actual.hN(), abs, rel);
        assertClose("c_n", expected.cN(), actual.cN(), abs, rel);
    }

    @Property(tries = 150)
    void sequenceThroughTaskGraphMatchesReference(@ForAll @IntRange(min = 1, max = 4) int batch, @ForAll @IntRange(min = 1, max = 30) int seq,
            @ForAll @IntRange(min = 1, max = 20) int inputSize, @ForAll @IntRange(min = 1, max = 40) int hidden, @ForAll boolean initialState,
            @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Parameters p = Parameters.random(random, inputSize, hidden);
        float[] x = RandomArrays.gaussian(random, batch * seq * inputSize, 1.0);
        float[] h0 = initialState ? RandomArrays.gaussian(random, batch * hidden, 0.5) : null;
        float[] c0 = initialState ? RandomArrays.gaussian(random, batch * hidden, 0.5) : null;
        LstmReference.Result expected = LstmReference.run(x, p.wIh(), p.wHh(), p.bIh(), p.bHh(), h0, c0, batch, seq, inputSize, hidden);
        assertMatches(expected, runSequence(x, p, h0, c0, batch, seq, inputSize, hidden), 3e-5, 1e-4);
    }

    @Property(tries = 300)
    void cellStepMatchesReference(@ForAll @IntRange(min = 1, max = 4) int batch, @ForAll @IntRange(min = 1, max = 20) int inputSize,
            @ForAll @IntRange(min = 1, max = 40) int hidden, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Parameters p = Parameters.random(random, inputSize, hidden);
        float[] x = RandomArrays.gaussian(random, batch * inputSize, 1.0);
        float[] h = RandomArrays.gaussian(random, batch * hidden, 0.5);
        float[] c = RandomArrays.gaussian(random, batch * hidden, 2.0);
        FloatArray hOut = new FloatArray(batch * hidden);
        FloatArray cOut = new FloatArray(batch * hidden);
        LstmKernels.cellStep(FloatArray.fromArray(x), FloatArray.fromArray(h), FloatArray.fromArray(c), FloatArray.fromArray(p.wIh()), FloatArray.fromArray(p.wHh()),
                FloatArray.fromArray(p.bIh()), FloatArray.fromArray(p.bHh()), hOut, cOut, batch, inputSize, hidden);
        LstmReference.Result expected = LstmReference.run(x, p.wIh(), p.wHh(), p.bIh(), p.bHh(), h, c, batch, 1, inputSize, hidden);
        assertClose("h", expected.hN(), hOut.toHeapArray(), 1e-5, 1e-4);
        assertClose("c", expected.cN(), cOut.toHeapArray(), 1e-5, 1e-4);
    }

    /** Stepping cellStep through time (the plain-Java path) gives what the sequence kernel gives. */
    @Test
    void cellStepsThroughTimeAgreeWithTheSequenceKernel() {
        int batch = 3, seq = 12, inputSize = 7, hidden = 10;
        SplittableRandom random = new SplittableRandom(77);
        Parameters p = Parameters.random(random, inputSize, hidden);
        float[] x = RandomArrays.gaussian(random, batch * seq * inputSize, 1.0);
        SequenceResult sequence = runSequence(x, p, null, null, batch, seq, inputSize, hidden);
        FloatArray h = new FloatArray(batch * hidden);
        FloatArray c = new FloatArray(batch * hidden);
        FloatArray hNext = new FloatArray(batch * hidden);
        FloatArray cNext = new FloatArray(batch * hidden);
        for (int t = 0; t < seq; t++) {
            FloatArray xt = new FloatArray(batch * inputSize);
            for (int b = 0; b < batch; b++) {
                for (int k = 0; k < inputSize; k++) {
                    xt.set(b * inputSize + k, x[(b * seq + t) * inputSize + k]);
                }
            }
            LstmKernels.cellStep(xt, h, c, FloatArray.fromArray(p.wIh()), FloatArray.fromArray(p.wHh()), FloatArray.fromArray(p.bIh()), FloatArray.fromArray(p.bHh()),
                    hNext, cNext, batch, inputSize, hidden);
            FloatArray swap = h;
            h = hNext;
            hNext = swap;
            swap = c;
            c = cNext;
            cNext = swap;
        }
        assertClose("h_n", org.attentionlab.kernels.testing.Closeness.toDoubles(sequence.hN()), h.toHeapArray(), 1e-6, 1e-5);
        assertClose("c_n", org.attentionlab.kernels.testing.Closeness.toDoubles(sequence.cN()), c.toHeapArray(), 1e-6, 1e-5);
    }

    /** Hidden sizes beyond one work-group: each item owns several units (300 units, 256 items). */
    @Test
    void hiddenLargerThanTheWorkGroup() {
        int batch = 2, seq = 5, inputSize = 6, hidden = 300;
        assertEquals(LstmKernels.MAX_GROUP, LstmKernels.sequenceGroupSize(hidden));
        SplittableRandom random = new SplittableRandom(5);
        Parameters p = Parameters.random(random, inputSize, hidden);
        float[] x = RandomArrays.gaussian(random, batch * seq * inputSize, 1.0);
        float[] h0 = RandomArrays.gaussian(random, batch * hidden, 0.5);
        float[] c0 = RandomArrays.gaussian(random, batch * hidden, 0.5);
        LstmReference.Result expected = LstmReference.run(x, p.wIh(), p.wHh(), p.bIh(), p.bHh(), h0, c0, batch, seq, inputSize, hidden);
        assertMatches(expected, runSequence(x, p, h0, c0, batch, seq, inputSize, hidden), 3e-5, 1e-4);
    }

    @Test
    void sizeOneEverything() {
        SplittableRandom random = new SplittableRandom(6);
        Parameters p = Parameters.random(random, 1, 1);
        float[] x = { 0.7f };
        LstmReference.Result expected = LstmReference.run(x, p.wIh(), p.wHh(), p.bIh(), p.bHh(), null, null, 1, 1, 1, 1);
        assertMatches(expected, runSequence(x, p, null, null, 1, 1, 1, 1), 1e-6, 1e-5);
    }

    /** An empty sequence returns the initial state as the final state. */
    @Test
    void emptySequenceReturnsTheInitialState() {
        SplittableRandom random = new SplittableRandom(8);
        Parameters p = Parameters.random(random, 3, 4);
        float[] h0 = RandomArrays.gaussian(random, 2 * 4, 1.0);
        float[] c0 = RandomArrays.gaussian(random, 2 * 4, 1.0);
        SequenceResult result = runSequence(new float[0], p, h0, c0, 2, 0, 3, 4);
        assertArrayEquals(h0, result.hN());
        assertArrayEquals(c0, result.cN());
        SequenceResult zeros = runSequence(new float[0], p, null, null, 2, 0, 3, 4);
        assertArrayEquals(new float[8], zeros.hN());
        assertArrayEquals(new float[8], zeros.cN());
    }

    /** Saturating inputs: gates at 0 or 1, no NaN. */
    @Test
    void hugeInputsSaturateWithoutNaN() {
        SplittableRandom random = new SplittableRandom(9);
        int batch = 2, seq = 4, inputSize = 3, hidden = 5;
        Parameters p = Parameters.random(random, inputSize, hidden);
        float[] x = RandomArrays.gaussian(random, batch * seq * inputSize, 1e6);
        SequenceResult result = runSequence(x, p, null, null, batch, seq, inputSize, hidden);
        org.attentionlab.kernels.testing.Closeness.assertFinite("output", result.output());
        org.attentionlab.kernels.testing.Closeness.assertFinite("c_n", result.cN());
    }

    @Test
    void gridHelpers() {
        WorkerGrid grid = LstmKernels.sequenceGrid(3, 40);
        assertArrayEquals(new long[] { 3 * 64, 1, 1 }, grid.getGlobalWork());
        assertArrayEquals(new long[] { 64, 1, 1 }, grid.getLocalWork());
        assertEquals(32, LstmKernels.sequenceGroupSize(1));
        assertArrayEquals(LinearKernels.linearGrid(5 * 7, 4 * 10).getGlobalWork(), LstmKernels.inputProjectionGrid(5, 7, 10).getGlobalWork());
    }
}
