package org.attentionlab.kernels.device;

import java.util.SplittableRandom;

import org.attentionlab.kernels.SinusoidalEncoding;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * {@link SinusoidalEncoding#add} (in place) on a TornadoVM device against the same kernel called as plain Java:
 * both forms, an odd width, a position offset. Tolerance as {@link RotaryEmbeddingIT}'s: the angle's error grows with
 * the position, {@code ABS + REL |java| + position * 8 * 2^-24}.
 */
class SinusoidalEncodingIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @ParameterizedTest(name = "form {0}, offset {1}")
    @CsvSource({ "0, 0", "0, 500", "1, 7" })
    void add(int form, int positionOffset) {
        int batch = 2;
        int seqLen = 13;
        int dim = 33;
        float[] values = RandomArrays.gaussian(new SplittableRandom(41L + form + positionOffset), batch * seqLen * dim, 1.0);
        FloatArray java = FloatArray.fromArray(values);
        FloatArray device = FloatArray.fromArray(values);
        SinusoidalEncoding.add(java, batch, seqLen, dim, positionOffset, form);

        TaskGraph graph = DeviceTasks.graph("sinusoidal").transferToDevice(DataTransferMode.EVERY_EXECUTION, device)
                .task(DeviceTasks.TASK, SinusoidalEncoding::add, device, batch, seqLen, dim, positionOffset, form)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);

        float[] expected = java.toHeapArray();
        double[] bound = new double[values.length];
        for (int row = 0; row < batch * seqLen; row++) {
            int position = row % seqLen + positionOffset;
            for (int j = 0; j < dim; j++) {
                int i = row * dim + j;
                bound[i] = DeviceCheck.ABS + DeviceCheck.REL * Math.abs(expected[i]) + position * 8 * Math.pow(2, -24);
            }
        }
        DeviceCheck.assertWithinJava(expected, device.toHeapArray(), bound,
                "SinusoidalEncoding.add " + (form == SinusoidalEncoding.EDIFICE ? "EDIFICE" : "STANDARD") + " positions " + positionOffset + ".."
                        + (positionOffset + seqLen - 1));
    }
}
