package org.attentionlab.kernels.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.Losses;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * {@link Losses#maskedMeanSquaredError} and its backward on a TornadoVM device, in one graph as training runs them:
 * the loss against float64 (2e-6 relative, as the unit test), the count exactly, the gradient against the same kernel
 * called as plain Java on the device's summary.
 */
class MaskedMeanSquaredErrorIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @Test
    void maskedMeanSquaredError() {
        int rows = 333;
        int width = 3;
        SplittableRandom random = new SplittableRandom(93);
        FloatArray prediction = FloatArray.fromArray(RandomArrays.gaussian(random, rows * width, 2.0));
        FloatArray target = FloatArray.fromArray(RandomArrays.gaussian(random, rows * width, 2.0));
        int[] countedValues = new int[rows];
        double total = 0;
        int positions = 0;
        for (int r = 0; r < rows; r++) {
            countedValues[r] = r % 5 == 0 ? 0 : 1;
            for (int j = 0; j < width && countedValues[r] == 1; j++) {
                double d = (double) prediction.get(r * width + j) - target.get(r * width + j);
                total += d * d;
            }
            positions += countedValues[r];
        }
        IntArray counted = IntArray.fromArray(countedValues);
        FloatArray summary = DeviceTasks.nans(Losses.SUMMARY);
        FloatArray gradient = DeviceTasks.nans(rows * width);
        TaskGraph graph = DeviceTasks.graph("maskedMeanSquaredError").transferToDevice(DataTransferMode.EVERY_EXECUTION, prediction, target, counted)
                .task("loss", Losses::maskedMeanSquaredError, new KernelContext(), prediction, target, counted, summary, rows, width)
                .task("backward", Losses::maskedMeanSquaredErrorBackward, prediction, target, counted, summary, gradient, rows, width)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, summary, gradient);
        DeviceTasks.execute(graph, new GridScheduler(DeviceTasks.gridKey(graph, "loss"), Losses.summaryGrid()));

        DeviceCheck.assertMatchesReference(new double[] { total / (positions * (double) width) }, new float[] { summary.get(Losses.SUMMARY_LOSS) }, 0, 2e-6,
                "Losses.maskedMeanSquaredError (333 x 3, every 5th row not counted)");
        assertEquals(positions, summary.get(Losses.SUMMARY_COUNTED));
        FloatArray java = DeviceTasks.nans(rows * width);
        Losses.maskedMeanSquaredErrorBackward(prediction, target, counted, summary, java, rows, width);
        DeviceCheck.assertMatchesJava(java.toHeapArray(), gradient.toHeapArray(), "Losses.maskedMeanSquaredErrorBackward");
    }
}
