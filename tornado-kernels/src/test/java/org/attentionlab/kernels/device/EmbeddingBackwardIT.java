package org.attentionlab.kernels.device;

import java.util.SplittableRandom;

import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The embeddings' backward (scatter-add, one work-item per column walking the tokens in order) on a TornadoVM device
 * against the same kernels called as plain Java, accumulating into gradients that already hold values: 300 tokens
 * over a vocabulary of 13 (about 23 tokens per row) with ids -1 and 13 among them (they contribute nothing).
 */
class EmbeddingBackwardIT {

    private static final int TOKENS = 300;
    private static final int VOCAB = 13;

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    private static IntArray ids() {
        SplittableRandom random = new SplittableRandom(71);
        IntArray ids = new IntArray(TOKENS);
        for (int t = 0; t < TOKENS; t++) {
            ids.set(t, random.nextInt(-1, VOCAB + 1));
        }
        return ids;
    }

    @Test
    void embeddingBackward() {
        int dim = 37;
        IntArray ids = ids();
        FloatArray dOut = FloatArray.fromArray(RandomArrays.gaussian(new SplittableRandom(72), TOKENS * dim, 1.0));
        float[] initial = RandomArrays.gaussian(new SplittableRandom(73), VOCAB * dim, 1.0);
        FloatArray java = FloatArray.fromArray(initial);
        LinearKernels.embeddingBackward(ids, dOut, java, TOKENS, dim, VOCAB);

        FloatArray device = FloatArray.fromArray(initial);
        TaskGraph graph = DeviceTasks.graph("embeddingBackward").transferToDevice(DataTransferMode.EVERY_EXECUTION, ids, dOut, device)
                .task(DeviceTasks.TASK, LinearKernels::embeddingBackward, ids, dOut, device, TOKENS, dim, VOCAB)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        DeviceCheck.assertMatchesJava(java.toHeapArray(), device.toHeapArray(), "LinearKernels.embeddingBackward (accumulated, ids -1 and vocab)");
    }

    @Test
    void embeddedQkvBackward() {
        int width = 11;
        IntArray ids = ids();
        SplittableRandom random = new SplittableRandom(74);
        FloatArray dq = FloatArray.fromArray(RandomArrays.gaussian(random, TOKENS * width, 1.0));
        FloatArray dk = FloatArray.fromArray(RandomArrays.gaussian(random, TOKENS * width, 1.0));
        FloatArray dv = FloatArray.fromArray(RandomArrays.gaussian(random, TOKENS * width, 1.0));
        float[] initial = RandomArrays.gaussian(random, VOCAB * 3 * width, 1.0);
        FloatArray java = FloatArray.fromArray(initial);
        LinearKernels.embeddedQkvBackward(ids, dq, dk, dv, java, TOKENS, width, VOCAB);

        FloatArray device = FloatArray.fromArray(initial);
        TaskGraph graph = DeviceTasks.graph("embeddedQkvBackward").transferToDevice(DataTransferMode.EVERY_EXECUTION, ids, dq, dk, dv, device)
                .task(DeviceTasks.TASK, LinearKernels::embeddedQkvBackward, ids, dq, dk, dv, device, TOKENS, width, VOCAB)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        DeviceCheck.assertMatchesJava(java.toHeapArray(), device.toHeapArray(), "LinearKernels.embeddedQkvBackward (accumulated)");
    }
}
