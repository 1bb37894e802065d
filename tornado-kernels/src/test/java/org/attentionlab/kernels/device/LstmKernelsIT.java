package org.attentionlab.kernels.device;

import java.util.SplittableRandom;

import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.kernels.LstmKernels;
import org.attentionlab.kernels.reference.LstmReference;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * {@link LstmKernels} on a TornadoVM device. {@code cellStep} ({@code @Parallel}) against the same kernel called as
 * plain Java. The whole-sequence path runs as an application runs it, one task graph of two tasks (the input
 * projections by {@link LinearKernels#linear}, then the recurrence {@code sequence}, a work-group per batch row with
 * a global barrier per step), and is checked against the plain-Java path of the same recurrence, {@code cellStep}
 * called step by step, within {@link DeviceCheck}'s tolerance, and against the float64 reference within the unit
 * tests' tolerance (3e-5 absolute + 1e-4 relative over a sequence). The training path (forward saving gates and
 * cells, backward through time, recurrent weight gradients) is checked against the float64 backward.
 */
class LstmKernelsIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    private record Parameters(float[] wIh, float[] wHh, float[] bIh, float[] bHh) {
        static Parameters random(SplittableRandom random, int inputSize, int hidden) {
            double k = 1 / Math.sqrt(hidden);
            return new Parameters(RandomArrays.uniform(random, 4 * hidden * inputSize, -k, k), RandomArrays.uniform(random, 4 * hidden * hidden, -k, k),
                    RandomArrays.uniform(random, 4 * hidden, -k, k), RandomArrays.uniform(random, 4 * hidden, -k, k));
        }
    }

    @Test
    void cellStep() {
        int batch = 3;
        int inputSize = 7;
        int hidden = 10;
        SplittableRandom random = new SplittableRandom(61);
        Parameters p = Parameters.random(random, inputSize, hidden);
        FloatArray x = FloatArray.fromArray(RandomArrays.gaussian(random, batch * inputSize, 1.0));
        FloatArray h = FloatArray.fromArray(RandomArrays.gaussian(random, batch * hidden, 0.5));
        FloatArray c = FloatArray.fromArray(RandomArrays.gaussian(random, batch * hidden, 0.5));
        FloatArray wIh = FloatArray.fromArray(p.wIh());
        FloatArray wHh = FloatArray.fromArray(p.wHh());
        FloatArray bIh = FloatArray.fromArray(p.bIh());
        FloatArray bHh = FloatArray.fromArray(p.bHh());
        FloatArray javaH = DeviceTasks.nans(batch * hidden);
        FloatArray javaC = DeviceTasks.nans(batch * hidden);
        LstmKernels.cellStep(x, h, c, wIh, wHh, bIh, bHh, javaH, javaC, batch, inputSize, hidden);

        FloatArray deviceH = DeviceTasks.nans(batch * hidden);
        FloatArray deviceC = DeviceTasks.nans(batch * hidden);
        TaskGraph graph = DeviceTasks.graph("lstmCell").transferToDevice(DataTransferMode.EVERY_EXECUTION, x, h, c, wIh, wHh, bIh, bHh)
                .task(DeviceTasks.TASK, LstmKernels::cellStep, x, h, c, wIh, wHh, bIh, bHh, deviceH, deviceC, batch, inputSize, hidden)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, deviceH, deviceC);
        DeviceTasks.execute(graph);
        DeviceCheck.assertMatchesJava(javaH.toHeapArray(), deviceH.toHeapArray(), "LstmKernels.cellStep h");
        DeviceCheck.assertMatchesJava(javaC.toHeapArray(), deviceC.toHeapArray(), "LstmKernels.cellStep c");
    }

    /**
     * hidden 10 (one group of 32 items, 22 idle) with an initial state; hidden 300 (groups of 256, so items own two
     * units) without one; batch 1 and seq 1 with hidden 1.
     */
    @ParameterizedTest(name = "batch {0}, seq {1}, input {2}, hidden {3}, initial state {4}")
    @CsvSource({ "2, 12, 7, 10, true", "2, 5, 6, 300, false", "1, 1, 1, 1, true" })
    void sequence(int batch, int seqLen, int inputSize, int hidden, boolean withInitialState) {
        SplittableRandom random = new SplittableRandom(62L + hidden);
        Parameters p = Parameters.random(random, inputSize, hidden);
        float[] xValues = RandomArrays.gaussian(random, batch * seqLen * inputSize, 1.0);
        float[] h0Values = withInitialState ? RandomArrays.gaussian(random, batch * hidden, 0.5) : null;
        float[] c0Values = withInitialState ? RandomArrays.gaussian(random, batch * hidden, 0.5) : null;

        FloatArray x = FloatArray.fromArray(xValues);
        FloatArray wIh = FloatArray.fromArray(p.wIh());
        FloatArray wHh = FloatArray.fromArray(p.wHh());
        FloatArray bIh = FloatArray.fromArray(p.bIh());
        FloatArray bHh = FloatArray.fromArray(p.bHh());
        FloatArray h0 = withInitialState ? FloatArray.fromArray(h0Values) : new FloatArray(1);
        FloatArray c0 = withInitialState ? FloatArray.fromArray(c0Values) : new FloatArray(1);
        FloatArray inputGates = DeviceTasks.nans(batch * seqLen * 4 * hidden);
        FloatArray output = DeviceTasks.nans(batch * seqLen * hidden);
        FloatArray hN = DeviceTasks.nans(batch * hidden);
        FloatArray cN = DeviceTasks.nans(batch * hidden);
        TaskGraph graph = DeviceTasks.graph("lstm").transferToDevice(DataTransferMode.EVERY_EXECUTION, x, wIh, wHh, bIh, bHh, h0, c0)
                .task("projection", LinearKernels::linear, new KernelContext(), x, wIh, bIh, inputGates, batch * seqLen, inputSize, 4 * hidden, 1)
                .task("recurrence", LstmKernels::sequence, new KernelContext(), inputGates, wHh, bHh, h0, c0, output, hN, cN, batch, seqLen, hidden,
                        withInitialState ? 1 : 0)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, output, hN, cN);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid(DeviceTasks.gridKey(graph, "projection"), LstmKernels.inputProjectionGrid(batch, seqLen, hidden));
        grids.addWorkerGrid(DeviceTasks.gridKey(graph, "recurrence"), LstmKernels.sequenceGrid(batch, hidden));
        DeviceTasks.execute(graph, grids);

        float[][] java = cellStepsThroughTime(xValues, p, h0Values, c0Values, batch, seqLen, inputSize, hidden);
        String what = "LstmKernels.sequence (after linear) batch " + batch + " seq " + seqLen + " hidden " + hidden;
        DeviceCheck.assertMatchesJava(java[0], output.toHeapArray(), what + ": output");
        DeviceCheck.assertMatchesJava(java[1], hN.toHeapArray(), what + ": h_n");
        DeviceCheck.assertMatchesJava(java[2], cN.toHeapArray(), what + ": c_n");

        LstmReference.Result reference = LstmReference.run(xValues, p.wIh(), p.wHh(), p.bIh(), p.bHh(), h0Values, c0Values, batch, seqLen, inputSize, hidden);
        DeviceCheck.assertMatchesReference(reference.output(), output.toHeapArray(), 3e-5, 1e-4, what + ": output");
        DeviceCheck.assertMatchesReference(reference.cN(), cN.toHeapArray(), 3e-5, 1e-4, what + ": c_n");
    }

    /**
     * Training: projection, {@code sequenceForTraining}, {@code sequenceBackward} (over the gates buffer itself) and
     * {@code recurrentWeightGradients} as one graph on the device, against the float64 backward through time with the
     * unit tests' tolerances: gate and state gradients 3e-5 + 1e-4 relative, parameter gradients
     * {@code 3e-5 (1 + sum over steps of |dz|)}. hidden 10 with initial state and final-state gradients; hidden 300
     * (items own two units) without.
     */
    @ParameterizedTest(name = "batch {0}, seq {1}, input {2}, hidden {3}, initial state {4}")
    @CsvSource({ "2, 12, 7, 10, true", "2, 5, 6, 300, false" })
    void backwardThroughTime(int batch, int seqLen, int inputSize, int hidden, boolean withState) {
        SplittableRandom random = new SplittableRandom(63L + hidden);
        Parameters p = Parameters.random(random, inputSize, hidden);
        float[] xValues = RandomArrays.gaussian(random, batch * seqLen * inputSize, 1.0);
        float[] h0Values = withState ? RandomArrays.gaussian(random, batch * hidden, 0.5) : null;
        float[] c0Values = withState ? RandomArrays.gaussian(random, batch * hidden, 0.5) : null;
        float[] dOutputValues = RandomArrays.gaussian(random, batch * seqLen * hidden, 1.0);
        float[] dHNValues = withState ? RandomArrays.gaussian(random, batch * hidden, 1.0) : null;
        float[] dCNValues = withState ? RandomArrays.gaussian(random, batch * hidden, 1.0) : null;
        int rows = 4 * hidden;

        FloatArray x = FloatArray.fromArray(xValues);
        FloatArray wIh = FloatArray.fromArray(p.wIh());
        FloatArray wHh = FloatArray.fromArray(p.wHh());
        FloatArray bIh = FloatArray.fromArray(p.bIh());
        FloatArray bHh = FloatArray.fromArray(p.bHh());
        FloatArray h0 = withState ? FloatArray.fromArray(h0Values) : new FloatArray(1);
        FloatArray c0 = withState ? FloatArray.fromArray(c0Values) : new FloatArray(1);
        FloatArray dOutput = FloatArray.fromArray(dOutputValues);
        FloatArray dHN = withState ? FloatArray.fromArray(dHNValues) : new FloatArray(1);
        FloatArray dCN = withState ? FloatArray.fromArray(dCNValues) : new FloatArray(1);
        FloatArray gates = DeviceTasks.nans(batch * seqLen * rows);
        FloatArray cells = DeviceTasks.nans(batch * seqLen * hidden);
        FloatArray output = DeviceTasks.nans(batch * seqLen * hidden);
        FloatArray hN = DeviceTasks.nans(batch * hidden);
        FloatArray cN = DeviceTasks.nans(batch * hidden);
        FloatArray dH0 = DeviceTasks.nans(batch * hidden);
        FloatArray dC0 = DeviceTasks.nans(batch * hidden);
        FloatArray dWeightHh = new FloatArray(rows * hidden);
        FloatArray dBiasIh = new FloatArray(rows);
        FloatArray dBiasHh = new FloatArray(rows);
        int state = withState ? 1 : 0;
        TaskGraph graph = DeviceTasks.graph("lstmTraining")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, wIh, wHh, bIh, bHh, h0, c0, dOutput, dHN, dCN, dWeightHh, dBiasIh, dBiasHh)
                .task("projection", LinearKernels::linear, new KernelContext(), x, wIh, bIh, gates, batch * seqLen, inputSize, rows, 1)
                .task("forward", LstmKernels::sequenceForTraining, new KernelContext(), gates, wHh, bHh, h0, c0, output, cells, hN, cN, batch, seqLen, hidden, state)
                .task("backward", LstmKernels::sequenceBackward, new KernelContext(), gates, cells, c0, wHh, dOutput, dHN, dCN, gates, dH0, dC0, batch, seqLen, hidden,
                        state, state)
                .task("weights", LstmKernels::recurrentWeightGradients, gates, output, h0, dWeightHh, dBiasIh, dBiasHh, batch, seqLen, hidden, state)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, output, gates, dH0, dC0, dWeightHh, dBiasIh, dBiasHh);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid(DeviceTasks.gridKey(graph, "projection"), LstmKernels.inputProjectionGrid(batch, seqLen, hidden));
        grids.addWorkerGrid(DeviceTasks.gridKey(graph, "forward"), LstmKernels.sequenceGrid(batch, hidden));
        grids.addWorkerGrid(DeviceTasks.gridKey(graph, "backward"), LstmKernels.sequenceGrid(batch, hidden));
        DeviceTasks.execute(graph, grids);

        LstmReference.Gradients expected = LstmReference.backward(toDoubles(xValues), toDoubles(p.wIh()), toDoubles(p.wHh()), toDoubles(p.bIh()),
                toDoubles(p.bHh()), withState ? toDoubles(h0Values) : null, withState ? toDoubles(c0Values) : null, toDoubles(dOutputValues),
                withState ? toDoubles(dHNValues) : null, withState ? toDoubles(dCNValues) : null, batch, seqLen, inputSize, hidden);
        String what = "LstmKernels training batch " + batch + " seq " + seqLen + " hidden " + hidden;
        DeviceCheck.assertMatchesReference(expected.dGates(), gates.toHeapArray(), 3e-5, 1e-4, what + ": sequenceBackward dGates");
        DeviceCheck.assertMatchesReference(expected.dH0(), dH0.toHeapArray(), 3e-5, 1e-4, what + ": dh0");
        DeviceCheck.assertMatchesReference(expected.dC0(), dC0.toHeapArray(), 3e-5, 1e-4, what + ": dc0");
        double[] gateMagnitude = new double[rows];
        for (int n = 0; n < batch * seqLen; n++) {
            for (int r = 0; r < rows; r++) {
                gateMagnitude[r] += Math.abs(expected.dGates()[n * rows + r]);
            }
        }
        double[] weightBound = new double[rows * hidden];
        double[] biasBound = new double[rows];
        for (int r = 0; r < rows; r++) {
            biasBound[r] = 3e-5 * (1 + gateMagnitude[r]);
            for (int k = 0; k < hidden; k++) {
                weightBound[r * hidden + k] = biasBound[r];
            }
        }
        DeviceCheck.assertWithinReference(expected.dWeightHh(), dWeightHh.toHeapArray(), weightBound, what + ": recurrentWeightGradients dW_hh");
        DeviceCheck.assertWithinReference(expected.dBiasIh(), dBiasIh.toHeapArray(), biasBound, what + ": recurrentWeightGradients db_ih");
        DeviceCheck.assertWithinReference(expected.dBiasHh(), dBiasHh.toHeapArray(), biasBound, what + ": recurrentWeightGradients db_hh");
    }

    private static double[] toDoubles(float[] values) {
        return DeviceCheck.toDoubles(values);
    }

    /** The plain-Java path: {@link LstmKernels#cellStep} once per step; returns {output, h_n, c_n}. */
    private static float[][] cellStepsThroughTime(float[] x, Parameters p, float[] h0, float[] c0, int batch, int seqLen, int inputSize, int hidden) {
        FloatArray h = h0 == null ? zeros(batch * hidden) : FloatArray.fromArray(h0);
        FloatArray c = c0 == null ? zeros(batch * hidden) : FloatArray.fromArray(c0);
        FloatArray hNext = new FloatArray(batch * hidden);
        FloatArray cNext = new FloatArray(batch * hidden);
        FloatArray wIh = FloatArray.fromArray(p.wIh());
        FloatArray wHh = FloatArray.fromArray(p.wHh());
        FloatArray bIh = FloatArray.fromArray(p.bIh());
        FloatArray bHh = FloatArray.fromArray(p.bHh());
        float[] output = new float[batch * seqLen * hidden];
        for (int t = 0; t < seqLen; t++) {
            FloatArray xt = new FloatArray(batch * inputSize);
            for (int b = 0; b < batch; b++) {
                for (int k = 0; k < inputSize; k++) {
                    xt.set(b * inputSize + k, x[(b * seqLen + t) * inputSize + k]);
                }
            }
            LstmKernels.cellStep(xt, h, c, wIh, wHh, bIh, bHh, hNext, cNext, batch, inputSize, hidden);
            for (int b = 0; b < batch; b++) {
                for (int u = 0; u < hidden; u++) {
                    output[(b * seqLen + t) * hidden + u] = hNext.get(b * hidden + u);
                }
            }
            FloatArray swap = h;
            h = hNext;
            hNext = swap;
            swap = c;
            c = cNext;
            cNext = swap;
        }
        return new float[][] { output, h.toHeapArray(), c.toHeapArray() };
    }

    private static FloatArray zeros(int size) {
        FloatArray array = new FloatArray(size);
        array.init(0f);
        return array;
    }
}
