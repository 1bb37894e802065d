package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertClose;
import static org.attentionlab.kernels.testing.Closeness.assertFinite;
import static org.attentionlab.kernels.testing.Closeness.toDoubles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.function.Function;

import org.attentionlab.kernels.LstmKernelsTest.Parameters;
import org.attentionlab.kernels.reference.FiniteDifferences;
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
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * LSTM backward through time: {@link LstmReference#backward} against float64 finite differences of its forward, and
 * the kernels (input projection, {@code sequenceForTraining}, {@code sequenceBackward}, {@code recurrentWeightGradients}
 * as one task graph, as training runs them) against that reference. The input gradient and the input weight's come
 * from the gate gradients through the input projection's linear backward, which is not an LSTM kernel; here they are
 * formed from the kernels' {@code dGates} in float64 ({@link #throughInputProjection}), so they check {@code dGates}
 * once more in the form PyTorch reports.
 *
 * <p>Tolerance: gate and state gradients {@code 3e-5 + 1e-4 |expected|}, as the forward sequence's (fp32 roundings
 * of each step feed the next, and the backward walks the same contractive recurrence); parameter gradients, sums of
 * {@code batch * seq} such terms, {@code 3e-5 (1 + sum of |terms|)}.
 */
class LstmBackwardTest {

    record Training(float[] output, float[] hN, float[] cN, float[] cells, float[] dGates, float[] dH0, float[] dC0, float[] dWeightHh,
            float[] dBiasIh, float[] dBiasHh) {
    }

    /** Upstream gradients: of every h_t, and of the final state (null: none). */
    record Upstream(float[] dOutput, float[] dHN, float[] dCN) {
        static Upstream random(SplittableRandom random, int batch, int seq, int hidden, boolean finalState) {
            return new Upstream(RandomArrays.gaussian(random, batch * seq * hidden, 1.0), finalState ? RandomArrays.gaussian(random, batch * hidden, 1.0) : null,
                    finalState ? RandomArrays.gaussian(random, batch * hidden, 1.0) : null);
        }
    }

    /**
     * Forward and backward as one graph: projection, recurrence saving gates and cells, backward through time (over the
     * gates buffer itself when {@code gradientsOverGates}), recurrent weight gradients accumulated onto {@code initial}.
     */
    static Training runTraining(float[] xValues, Parameters p, float[] h0Values, float[] c0Values, Upstream upstream, float initial, int batch, int seq,
            int inputSize, int hidden, boolean gradientsOverGates) {
        FloatArray x = FloatArray.fromArray(xValues);
        FloatArray wIh = FloatArray.fromArray(p.wIh());
        FloatArray wHh = FloatArray.fromArray(p.wHh());
        FloatArray bIh = FloatArray.fromArray(p.bIh());
        FloatArray bHh = FloatArray.fromArray(p.bHh());
        boolean hasInitial = h0Values != null;
        boolean hasFinal = upstream.dHN() != null;
        FloatArray h0 = hasInitial ? FloatArray.fromArray(h0Values) : new FloatArray(1);
        FloatArray c0 = hasInitial ? FloatArray.fromArray(c0Values) : new FloatArray(1);
        FloatArray dOutput = FloatArray.fromArray(upstream.dOutput().length == 0 ? new float[1] : upstream.dOutput());
        FloatArray dHN = hasFinal ? FloatArray.fromArray(upstream.dHN()) : new FloatArray(1);
        FloatArray dCN = hasFinal ? FloatArray.fromArray(upstream.dCN()) : new FloatArray(1);
        int steps = Math.max(batch * seq, 1);
        FloatArray gates = new FloatArray(steps * 4 * hidden);
        FloatArray cells = new FloatArray(steps * hidden);
        FloatArray output = new FloatArray(steps * hidden);
        FloatArray hN = new FloatArray(batch * hidden);
        FloatArray cN = new FloatArray(batch * hidden);
        FloatArray dGates = gradientsOverGates ? gates : new FloatArray(steps * 4 * hidden);
        FloatArray dH0 = new FloatArray(batch * hidden);
        FloatArray dC0 = new FloatArray(batch * hidden);
        FloatArray dWeightHh = filled(4 * hidden * hidden, initial);
        FloatArray dBiasIh = filled(4 * hidden, initial);
        FloatArray dBiasHh = filled(4 * hidden, initial);
        int initialState = hasInitial ? 1 : 0;
        TaskGraph graph = new TaskGraph("lstmTraining")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, wIh, wHh, bIh, bHh, h0, c0, dOutput, dHN, dCN, dWeightHh, dBiasIh, dBiasHh)
                .task("projection", LinearKernels::linear, new KernelContext(), x, wIh, bIh, gates, batch * seq, inputSize, 4 * hidden, 1)
                .task("forward", LstmKernels::sequenceForTraining, new KernelContext(), gates, wHh, bHh, h0, c0, output, cells, hN, cN, batch, seq, hidden, initialState)
                .task("backward", LstmKernels::sequenceBackward, new KernelContext(), gates, cells, c0, wHh, dOutput, dHN, dCN, dGates, dH0, dC0, batch, seq, hidden,
                        initialState, hasFinal ? 1 : 0)
                .task("weights", LstmKernels::recurrentWeightGradients, dGates, output, h0, dWeightHh, dBiasIh, dBiasHh, batch, seq, hidden, initialState)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, output, hN, cN, cells, dGates, dH0, dC0, dWeightHh, dBiasIh, dBiasHh);
        GridScheduler scheduler = new GridScheduler();
        scheduler.addWorkerGrid("lstmTraining.projection", LstmKernels.inputProjectionGrid(batch, seq, hidden));
        scheduler.addWorkerGrid("lstmTraining.forward", LstmKernels.sequenceGrid(batch, hidden));
        scheduler.addWorkerGrid("lstmTraining.backward", LstmKernels.sequenceGrid(batch, hidden));
        Plans.executeOnce(graph, scheduler);
        int used = batch * seq;
        return new Training(head(output, used * hidden), hN.toHeapArray(), cN.toHeapArray(), head(cells, used * hidden),
                head(dGates, used * 4 * hidden), dH0.toHeapArray(), dC0.toHeapArray(), dWeightHh.toHeapArray(), dBiasIh.toHeapArray(), dBiasHh.toHeapArray());
    }

    private static FloatArray filled(int size, float value) {
        FloatArray array = new FloatArray(size);
        array.init(value);
        return array;
    }

    private static float[] head(FloatArray array, int length) {
        return java.util.Arrays.copyOf(array.toHeapArray(), length);
    }

    /** dx = dGates W_ih and dW_ih = dGates^T x in float64: the input projection's linear backward. */
    static double[][] throughInputProjection(float[] dGates, float[] x, float[] wIh, int rows, int inputSize, int gateRows) {
        double[] dx = new double[rows * inputSize];
        double[] dWeightIh = new double[gateRows * inputSize];
        for (int n = 0; n < rows; n++) {
            for (int r = 0; r < gateRows; r++) {
                double dz = dGates[n * gateRows + r];
                for (int k = 0; k < inputSize; k++) {
                    dx[n * inputSize + k] += dz * wIh[r * inputSize + k];
                    dWeightIh[r * inputSize + k] += dz * x[n * inputSize + k];
                }
            }
        }
        return new double[][] { dx, dWeightIh };
    }

    private static double[] orNull(float[] values) {
        return values == null ? null : toDoubles(values);
    }

    static LstmReference.Gradients reference(float[] x, Parameters p, float[] h0, float[] c0, Upstream upstream, int batch, int seq, int inputSize, int hidden) {
        return LstmReference.backward(toDoubles(x), toDoubles(p.wIh()), toDoubles(p.wHh()), toDoubles(p.bIh()), toDoubles(p.bHh()), orNull(h0), orNull(c0),
                toDoubles(upstream.dOutput()), orNull(upstream.dHN()), orNull(upstream.dCN()), batch, seq, inputSize, hidden);
    }

    /** Parameter-gradient bound: 3e-5 (1 + sum over steps of |term|) with the terms' magnitudes from the reference. */
    private static void assertParameterGradient(String what, double[] expected, float[] actual, double[] magnitudes) {
        double[] bound = new double[expected.length];
        for (int i = 0; i < bound.length; i++) {
            bound[i] = 3e-5 * (1 + magnitudes[i]);
        }
        org.attentionlab.kernels.testing.Closeness.assertWithin(what, expected, actual, bound);
    }

    static void assertMatchesReference(Training kernels, LstmReference.Gradients expected, float[] x, Parameters p, float initial, int batch, int seq,
            int inputSize, int hidden) {
        assertClose("dGates", expected.dGates(), kernels.dGates(), 3e-5, 1e-4);
        assertClose("dh0", expected.dH0(), kernels.dH0(), 3e-5, 1e-4);
        assertClose("dc0", expected.dC0(), kernels.dC0(), 3e-5, 1e-4);
        double[] shiftedWeightHh = expected.dWeightHh().clone();
        double[] shiftedBiasIh = expected.dBiasIh().clone();
        double[] shiftedBiasHh = expected.dBiasHh().clone();
        double[] weightMagnitude = new double[shiftedWeightHh.length];
        double[] biasMagnitude = new double[shiftedBiasIh.length];
        int rows = 4 * hidden;
        for (int n = 0; n < batch * seq; n++) {
            for (int r = 0; r < rows; r++) {
                double dz = Math.abs(expected.dGates()[n * rows + r]);
                biasMagnitude[r] += dz;
                for (int k = 0; k < hidden; k++) {
                    weightMagnitude[r * hidden + k] += dz; // |h| <= 1
                }
            }
        }
        for (int i = 0; i < shiftedWeightHh.length; i++) {
            shiftedWeightHh[i] += initial;
        }
        for (int i = 0; i < rows; i++) {
            shiftedBiasIh[i] += initial;
            shiftedBiasHh[i] += initial;
        }
        assertParameterGradient("dW_hh (accumulated)", shiftedWeightHh, kernels.dWeightHh(), weightMagnitude);
        assertParameterGradient("db_ih (accumulated)", shiftedBiasIh, kernels.dBiasIh(), biasMagnitude);
        assertParameterGradient("db_hh (accumulated)", shiftedBiasHh, kernels.dBiasHh(), biasMagnitude);
        double[][] projected = throughInputProjection(kernels.dGates(), x, p.wIh(), batch * seq, inputSize, rows);
        assertClose("dx (dGates through W_ih)", expected.dx(), toFloats(projected[0]), 3e-5, 1e-4);
        double[] inputMagnitude = new double[rows * inputSize];
        for (int n = 0; n < batch * seq; n++) {
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < inputSize; k++) {
                    inputMagnitude[r * inputSize + k] += Math.abs(expected.dGates()[n * rows + r] * x[n * inputSize + k]);
                }
            }
        }
        assertParameterGradient("dW_ih (dGates^T x)", expected.dWeightIh(), toFloats(projected[1]), inputMagnitude);
    }

    private static float[] toFloats(double[] values) {
        float[] narrow = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            narrow[i] = (float) values[i];
        }
        return narrow;
    }

    // ---- the reference against finite differences ----

    @Property(tries = 40)
    void referenceMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 4) int seq,
            @ForAll @IntRange(min = 1, max = 3) int inputSize, @ForAll @IntRange(min = 1, max = 3) int hidden, @ForAll boolean initialState,
            @ForAll boolean finalState, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Parameters p = Parameters.random(random, inputSize, 3 * hidden);
        Parameters q = new Parameters(java.util.Arrays.copyOf(p.wIh(), 4 * hidden * inputSize), java.util.Arrays.copyOf(p.wHh(), 4 * hidden * hidden),
                java.util.Arrays.copyOf(p.bIh(), 4 * hidden), java.util.Arrays.copyOf(p.bHh(), 4 * hidden));
        double[] x = toDoubles(RandomArrays.gaussian(random, batch * seq * inputSize, 1.0));
        double[] h0 = initialState ? toDoubles(RandomArrays.gaussian(random, batch * hidden, 0.5)) : null;
        double[] c0 = initialState ? toDoubles(RandomArrays.gaussian(random, batch * hidden, 0.5)) : null;
        Upstream upstream = Upstream.random(random, batch, seq, hidden, finalState);
        double[] wIh = toDoubles(q.wIh());
        double[] wHh = toDoubles(q.wHh());
        double[] bIh = toDoubles(q.bIh());
        double[] bHh = toDoubles(q.bHh());
        double[] dOutput = toDoubles(upstream.dOutput());
        double[] dHN = orNull(upstream.dHN());
        double[] dCN = orNull(upstream.dCN());
        LstmReference.Gradients analytic = LstmReference.backward(x, wIh, wHh, bIh, bHh, h0, c0, dOutput, dHN, dCN, batch, seq, inputSize, hidden);
        Function<LstmReference.Result, Double> loss = r -> FiniteDifferences.dot(dOutput, r.output()) + (dHN == null ? 0 : FiniteDifferences.dot(dHN, r.hN()))
                + (dCN == null ? 0 : FiniteDifferences.dot(dCN, r.cN()));
        assertGradient("dx", FiniteDifferences.gradientOfScalar(v -> loss.apply(LstmReference.run(v, wIh, wHh, bIh, bHh, h0, c0, batch, seq, inputSize, hidden)), x),
                analytic.dx());
        assertGradient("dW_ih", FiniteDifferences.gradientOfScalar(v -> loss.apply(LstmReference.run(x, v, wHh, bIh, bHh, h0, c0, batch, seq, inputSize, hidden)), wIh),
                analytic.dWeightIh());
        assertGradient("dW_hh", FiniteDifferences.gradientOfScalar(v -> loss.apply(LstmReference.run(x, wIh, v, bIh, bHh, h0, c0, batch, seq, inputSize, hidden)), wHh),
                analytic.dWeightHh());
        assertGradient("db_ih", FiniteDifferences.gradientOfScalar(v -> loss.apply(LstmReference.run(x, wIh, wHh, v, bHh, h0, c0, batch, seq, inputSize, hidden)), bIh),
                analytic.dBiasIh());
        assertGradient("db_hh", FiniteDifferences.gradientOfScalar(v -> loss.apply(LstmReference.run(x, wIh, wHh, bIh, v, h0, c0, batch, seq, inputSize, hidden)), bHh),
                analytic.dBiasHh());
        if (initialState) {
            assertGradient("dh0", FiniteDifferences.gradientOfScalar(v -> loss.apply(LstmReference.run(x, wIh, wHh, bIh, bHh, v, c0, batch, seq, inputSize, hidden)), h0),
                    analytic.dH0());
            assertGradient("dc0", FiniteDifferences.gradientOfScalar(v -> loss.apply(LstmReference.run(x, wIh, wHh, bIh, bHh, h0, v, batch, seq, inputSize, hidden)), c0),
                    analytic.dC0());
        }
    }

    private static void assertGradient(String what, double[] numeric, double[] analytic) {
        for (int i = 0; i < numeric.length; i++) {
            assertEquals(numeric[i], analytic[i], 1e-7 * (1 + Math.abs(numeric[i])), what + " element " + i);
        }
    }

    // ---- the kernels against the reference ----

    @Property(tries = 100)
    void kernelsMatchReference(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 20) int seq,
            @ForAll @IntRange(min = 1, max = 12) int inputSize, @ForAll @IntRange(min = 1, max = 40) int hidden, @ForAll boolean initialState,
            @ForAll boolean finalState, @ForAll boolean gradientsOverGates, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Parameters p = Parameters.random(random, inputSize, hidden);
        float[] x = RandomArrays.gaussian(random, batch * seq * inputSize, 1.0);
        float[] h0 = initialState ? RandomArrays.gaussian(random, batch * hidden, 0.5) : null;
        float[] c0 = initialState ? RandomArrays.gaussian(random, batch * hidden, 0.5) : null;
        Upstream upstream = Upstream.random(random, batch, seq, hidden, finalState);
        float initial = (float) random.nextDouble(-1, 1);
        Training kernels = runTraining(x, p, h0, c0, upstream, initial, batch, seq, inputSize, hidden, gradientsOverGates);
        assertMatchesReference(kernels, reference(x, p, h0, c0, upstream, batch, seq, inputSize, hidden), x, p, initial, batch, seq, inputSize, hidden);
    }

    // ---- named cases ----

    /** The training forward gives the plain forward's outputs bit for bit. */
    @Test
    void trainingForwardEqualsTheForward() {
        int batch = 2, seq = 9, inputSize = 5, hidden = 7;
        SplittableRandom random = new SplittableRandom(81);
        Parameters p = Parameters.random(random, inputSize, hidden);
        float[] x = RandomArrays.gaussian(random, batch * seq * inputSize, 1.0);
        float[] h0 = RandomArrays.gaussian(random, batch * hidden, 0.5);
        float[] c0 = RandomArrays.gaussian(random, batch * hidden, 0.5);
        LstmKernelsTest.SequenceResult plain = LstmKernelsTest.runSequence(x, p, h0, c0, batch, seq, inputSize, hidden);
        Training training = runTraining(x, p, h0, c0, Upstream.random(random, batch, seq, hidden, true), 0f, batch, seq, inputSize, hidden, false);
        assertArrayEquals(plain.output(), training.output());
        assertArrayEquals(plain.hN(), training.hN());
        assertArrayEquals(plain.cN(), training.cN());
        for (int b = 0; b < batch; b++) {
            for (int u = 0; u < hidden; u++) {
                assertEquals(plain.cN()[b * hidden + u], training.cells()[(b * seq + seq - 1) * hidden + u], "last saved cell state is c_n");
            }
        }
    }

    /** 300 hidden units, groups of 256: items own two units in both directions. */
    @Test
    void hiddenLargerThanTheWorkGroup() {
        int batch = 2, seq = 4, inputSize = 3, hidden = 300;
        SplittableRandom random = new SplittableRandom(82);
        Parameters p = Parameters.random(random, inputSize, hidden);
        float[] x = RandomArrays.gaussian(random, batch * seq * inputSize, 1.0);
        float[] h0 = RandomArrays.gaussian(random, batch * hidden, 0.5);
        float[] c0 = RandomArrays.gaussian(random, batch * hidden, 0.5);
        Upstream upstream = Upstream.random(random, batch, seq, hidden, true);
        Training kernels = runTraining(x, p, h0, c0, upstream, 0f, batch, seq, inputSize, hidden, true);
        assertMatchesReference(kernels, reference(x, p, h0, c0, upstream, batch, seq, inputSize, hidden), x, p, 0f, batch, seq, inputSize, hidden);
    }

    /** An empty sequence: the initial state's gradients are the final state's, and the parameters get nothing. */
    @Test
    void emptySequencePassesTheFinalStateGradientThrough() {
        int batch = 2, hidden = 4;
        SplittableRandom random = new SplittableRandom(83);
        Parameters p = Parameters.random(random, 3, hidden);
        float[] h0 = RandomArrays.gaussian(random, batch * hidden, 0.5);
        float[] c0 = RandomArrays.gaussian(random, batch * hidden, 0.5);
        Upstream upstream = new Upstream(new float[0], RandomArrays.gaussian(random, batch * hidden, 1.0), RandomArrays.gaussian(random, batch * hidden, 1.0));
        Training kernels = runTraining(new float[1], p, h0, c0, upstream, 0.25f, batch, 0, 3, hidden, false);
        assertArrayEquals(upstream.dHN(), kernels.dH0());
        assertArrayEquals(upstream.dCN(), kernels.dC0());
        float[] quarter = new float[4 * hidden];
        java.util.Arrays.fill(quarter, 0.25f);
        assertArrayEquals(quarter, kernels.dBiasHh());
    }

    /** Saturated gates (inputs of 1e3) give finite gradients. */
    @Test
    void saturatedGatesGiveFiniteGradients() {
        int batch = 2, seq = 5, inputSize = 3, hidden = 6;
        SplittableRandom random = new SplittableRandom(84);
        Parameters p = Parameters.random(random, inputSize, hidden);
        float[] x = RandomArrays.gaussian(random, batch * seq * inputSize, 1e3);
        Training kernels = runTraining(x, p, null, null, Upstream.random(random, batch, seq, hidden, false), 0f, batch, seq, inputSize, hidden, false);
        assertFinite("dGates", kernels.dGates());
        assertFinite("dW_hh", kernels.dWeightHh());
        assertFinite("dh0", kernels.dH0());
    }
}
