package org.attentionlab.kernels.device;

import java.util.SplittableRandom;

import org.attentionlab.kernels.RotaryEmbedding;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.common.TornadoFunctions.Task8;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * {@link RotaryEmbedding#apply} and its backward (in place) on a TornadoVM device against the same kernels called as plain Java, both
 * pairings, at small positions and at positions past 1000 with a large base.
 *
 * <p>Tolerance: the angle is {@code position * theta^(-2p/d)} in fp32; OpenCL's {@code pow}, {@code sin} and
 * {@code cos} may each be a few ulp off Java's, and an error in the frequency is multiplied by the position. So the
 * bound grows with the position like the unit tests' float64 bound does:
 * {@code ABS + |pair| (REL + position * 8 * 2^-24)}, where {@code |pair|} is the norm of the rotated pair.
 */
class RotaryEmbeddingIT {

    private static final double ANGLE_ERROR_PER_POSITION = 8 * Math.pow(2, -24);

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @ParameterizedTest(name = "pairing {0}, theta {1}, offset {2}")
    @CsvSource({ "0, 10000, 3", "1, 10000, 3", "0, 500000, 1000", "1, 500000, 1000" })
    void apply(int pairing, float theta, int positionOffset) {
        compareWithJava("RotaryEmbedding.apply", RotaryEmbedding::apply, pairing, theta, positionOffset);
    }

    /** The backward, the rotation by minus the angle in place, on output gradients. */
    @ParameterizedTest(name = "pairing {0}, theta {1}, offset {2}")
    @CsvSource({ "0, 10000, 3", "1, 500000, 1000" })
    void applyBackward(int pairing, float theta, int positionOffset) {
        compareWithJava("RotaryEmbedding.applyBackward", RotaryEmbedding::applyBackward, pairing, theta, positionOffset);
    }

    private static void compareWithJava(String name, Task8<FloatArray, Integer, Integer, Integer, Integer, Integer, Float, Integer> kernel, int pairing, float theta,
            int positionOffset) {
        int batch = 2;
        int seqLen = 11;
        int heads = 3;
        int headDim = 16;
        float[] values = RandomArrays.gaussian(new SplittableRandom(31L + pairing + positionOffset), batch * seqLen * heads * headDim, 1.0);
        FloatArray java = FloatArray.fromArray(values);
        FloatArray device = FloatArray.fromArray(values);
        kernel.apply(java, batch, seqLen, heads, headDim, positionOffset, theta, pairing);

        TaskGraph graph = DeviceTasks.graph("rope").transferToDevice(DataTransferMode.EVERY_EXECUTION, device)
                .task(DeviceTasks.TASK, kernel, device, batch, seqLen, heads, headDim, positionOffset, theta, pairing)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);

        double[] bound = new double[values.length];
        int half = headDim / 2;
        for (int vector = 0; vector < batch * seqLen * heads; vector++) {
            int position = (vector / heads) % seqLen + positionOffset;
            for (int pair = 0; pair < half; pair++) {
                int first = vector * headDim + (pairing == RotaryEmbedding.GPTJ ? 2 * pair : pair);
                int second = pairing == RotaryEmbedding.GPTJ ? first + 1 : first + half;
                double norm = Math.hypot(values[first], values[second]);
                double b = DeviceCheck.ABS + norm * (DeviceCheck.REL + position * ANGLE_ERROR_PER_POSITION);
                bound[first] = b;
                bound[second] = b;
            }
        }
        DeviceCheck.assertWithinJava(java.toHeapArray(), device.toHeapArray(), bound,
                name + " " + (pairing == RotaryEmbedding.GPTJ ? "GPTJ" : "NEOX") + " theta " + theta + " positions " + positionOffset + ".."
                        + (positionOffset + seqLen - 1));
    }
}
