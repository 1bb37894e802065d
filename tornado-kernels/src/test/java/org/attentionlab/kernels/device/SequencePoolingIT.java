package org.attentionlab.kernels.device;

import java.util.Random;

import org.attentionlab.kernels.SequencePooling;
import org.attentionlab.kernels.testing.AttentionCase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** {@link SequencePooling} on a TornadoVM device against the same kernels called as plain Java. */
class SequencePoolingIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    private static FloatArray input(int batch, int seqLen, int width) {
        return FloatArray.fromArray(AttentionCase.uniform(new Random(31L * batch + 7L * seqLen + width), batch * seqLen * width));
    }

    @ParameterizedTest(name = "batch {0}, seqLen {1}, width {2}")
    @CsvSource({ "1, 1, 1", "3, 17, 29" })
    void lastPosition(int batch, int seqLen, int width) {
        FloatArray x = input(batch, seqLen, width);
        FloatArray java = DeviceTasks.nans(batch * width);
        SequencePooling.lastPosition(x, java, batch, seqLen, width);

        FloatArray device = DeviceTasks.nans(batch * width);
        TaskGraph graph = DeviceTasks.graph("lastPosition").transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task(DeviceTasks.TASK, SequencePooling::lastPosition, x, device, batch, seqLen, width)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);

        DeviceCheck.assertIdentical(java.toHeapArray(), device.toHeapArray(), "SequencePooling.lastPosition " + batch + "x" + seqLen + "x" + width);
    }

    @ParameterizedTest(name = "batch {0}, seqLen {1}, width {2}")
    @CsvSource({ "1, 1, 1", "3, 17, 29", "2, 300, 5" })
    void meanOverPositions(int batch, int seqLen, int width) {
        FloatArray x = input(batch, seqLen, width);
        FloatArray java = DeviceTasks.nans(batch * width);
        SequencePooling.meanOverPositions(x, java, batch, seqLen, width);

        FloatArray device = DeviceTasks.nans(batch * width);
        TaskGraph graph = DeviceTasks.graph("meanOverPositions").transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task(DeviceTasks.TASK, SequencePooling::meanOverPositions, x, device, batch, seqLen, width)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);

        DeviceCheck.assertMatchesJava(java.toHeapArray(), device.toHeapArray(), "SequencePooling.meanOverPositions " + batch + "x" + seqLen + "x" + width);
    }

    /** Both backward kernels: the gradient of [batch, width] spread over [batch, seqLen, width], every element written. */
    @ParameterizedTest(name = "batch {0}, seqLen {1}, width {2}")
    @CsvSource({ "1, 1, 1", "3, 17, 29" })
    void backward(int batch, int seqLen, int width) {
        FloatArray dOut = input(batch, 1, width);
        FloatArray javaLast = DeviceTasks.nans(batch * seqLen * width);
        FloatArray javaMean = DeviceTasks.nans(batch * seqLen * width);
        SequencePooling.lastPositionBackward(dOut, javaLast, batch, seqLen, width);
        SequencePooling.meanOverPositionsBackward(dOut, javaMean, batch, seqLen, width);

        FloatArray last = DeviceTasks.nans(batch * seqLen * width);
        FloatArray mean = DeviceTasks.nans(batch * seqLen * width);
        TaskGraph graph = DeviceTasks.graph("poolingBackward").transferToDevice(DataTransferMode.EVERY_EXECUTION, dOut)
                .task("last", SequencePooling::lastPositionBackward, dOut, last, batch, seqLen, width)
                .task("mean", SequencePooling::meanOverPositionsBackward, dOut, mean, batch, seqLen, width)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, last, mean);
        DeviceTasks.execute(graph);

        String shape = " " + batch + "x" + seqLen + "x" + width;
        DeviceCheck.assertIdentical(javaLast.toHeapArray(), last.toHeapArray(), "SequencePooling.lastPositionBackward" + shape);
        DeviceCheck.assertMatchesJava(javaMean.toHeapArray(), mean.toHeapArray(), "SequencePooling.meanOverPositionsBackward" + shape);
    }
}
