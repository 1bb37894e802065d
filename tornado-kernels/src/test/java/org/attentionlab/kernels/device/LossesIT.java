package org.attentionlab.kernels.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.Losses;
import org.attentionlab.kernels.reference.LossReference;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * {@link Losses} on a TornadoVM device as a training graph runs them (row statistics, summary, gradient in one graph).
 * The work-group kernels are checked against the float64 reference with the unit tests' tolerances (loss
 * {@code 1e-6 (1 + loss)}, counts and hits exact); the {@code @Parallel} gradient kernels against the same kernel
 * called as plain Java on the device's own statistics, within {@link DeviceCheck}'s tolerance.
 */
class LossesIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    /** Next-token prediction (rows 2 x 37, a vocabulary past the work-group size, one row of logits of 1e4) and classification. */
    @ParameterizedTest(name = "rows {0}, classes {1}")
    @CsvSource({ "74, 300", "5, 7" })
    void crossEntropy(int rows, int classes) {
        SplittableRandom random = new SplittableRandom(91L + classes);
        float[] logitValues = RandomArrays.gaussian(random, rows * classes, 5.0);
        for (int j = 0; j < classes; j++) {
            logitValues[classes + j] *= 2000f;
        }
        int[] targetValues = new int[rows];
        for (int r = 0; r < rows; r++) {
            targetValues[r] = r % 4 == 3 ? Losses.IGNORE_INDEX : r % 7 == 6 ? classes : random.nextInt(classes);
        }
        FloatArray logits = FloatArray.fromArray(logitValues);
        IntArray targets = IntArray.fromArray(targetValues);
        FloatArray rowStatistics = DeviceTasks.nans(rows * Losses.ROW_STATISTICS);
        FloatArray summary = DeviceTasks.nans(Losses.SUMMARY);
        FloatArray dLogits = DeviceTasks.nans(rows * classes);
        TaskGraph graph = DeviceTasks.graph("crossEntropy").transferToDevice(DataTransferMode.EVERY_EXECUTION, logits, targets)
                .task("rows", Losses::crossEntropyRows, new KernelContext(), logits, targets, rowStatistics, rows, classes)
                .task("summary", Losses::crossEntropySummary, new KernelContext(), rowStatistics, targets, summary, rows, classes)
                .task("backward", Losses::crossEntropyBackward, logits, targets, rowStatistics, summary, dLogits, rows, classes)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, rowStatistics, summary, dLogits);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid(DeviceTasks.gridKey(graph, "rows"), Losses.rowsGrid(rows));
        grids.addWorkerGrid(DeviceTasks.gridKey(graph, "summary"), Losses.summaryGrid());
        DeviceTasks.execute(graph, grids);

        LossReference.Result expected = LossReference.crossEntropy(DeviceCheck.toDoubles(logitValues), targetValues, rows, classes);
        String what = "Losses.crossEntropy " + rows + " rows x " + classes + " classes";
        DeviceCheck.assertMatchesReference(new double[] { expected.loss() }, new float[] { summary.get(Losses.SUMMARY_LOSS) }, 1e-6 * (1 + expected.loss()), 0,
                what + ": crossEntropyRows + crossEntropySummary mean loss");
        assertEquals(expected.counted(), summary.get(Losses.SUMMARY_COUNTED), what + ": counted");
        assertEquals(expected.correct(), summary.get(Losses.SUMMARY_CORRECT), what + ": correct");

        FloatArray java = DeviceTasks.nans(rows * classes);
        Losses.crossEntropyBackward(logits, targets, rowStatistics, summary, java, rows, classes);
        DeviceCheck.assertMatchesJava(java.toHeapArray(), dLogits.toHeapArray(), what + ": crossEntropyBackward");
    }

    @Test
    void meanSquaredError() {
        int size = 1001;
        SplittableRandom random = new SplittableRandom(92);
        FloatArray prediction = FloatArray.fromArray(RandomArrays.gaussian(random, size, 2.0));
        FloatArray target = FloatArray.fromArray(RandomArrays.gaussian(random, size, 2.0));
        FloatArray summary = DeviceTasks.nans(Losses.SUMMARY);
        FloatArray gradient = DeviceTasks.nans(size);
        TaskGraph graph = DeviceTasks.graph("meanSquaredError").transferToDevice(DataTransferMode.EVERY_EXECUTION, prediction, target)
                .task("loss", Losses::meanSquaredError, new KernelContext(), prediction, target, summary, size)
                .task("backward", Losses::meanSquaredErrorBackward, prediction, target, gradient, size)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, summary, gradient);
        DeviceTasks.execute(graph, new GridScheduler(DeviceTasks.gridKey(graph, "loss"), Losses.summaryGrid()));

        LossReference.Result expected = LossReference.meanSquaredError(DeviceCheck.toDoubles(prediction.toHeapArray()), DeviceCheck.toDoubles(target.toHeapArray()));
        DeviceCheck.assertMatchesReference(new double[] { expected.loss() }, new float[] { summary.get(Losses.SUMMARY_LOSS) }, 0, 2e-6,
                "Losses.meanSquaredError (1001 elements)");
        assertEquals(size, summary.get(Losses.SUMMARY_COUNTED));
        FloatArray java = DeviceTasks.nans(size);
        Losses.meanSquaredErrorBackward(prediction, target, java, size);
        DeviceCheck.assertMatchesJava(java.toHeapArray(), gradient.toHeapArray(), "Losses.meanSquaredErrorBackward");
    }
}
