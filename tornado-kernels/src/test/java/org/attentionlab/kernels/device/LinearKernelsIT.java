package org.attentionlab.kernels.device;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.kernels.reference.LinearReference;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * {@link LinearKernels} on a TornadoVM device. The KernelContext kernels ({@code linear}, {@code qkvProjection}) have
 * no plain Java call, so they are checked against the unit tests' float64 reference within its bound, the classical
 * fp32 dot-product error {@code (in + 2) 2^-24 sum_k |x_k w_k| (+ |b|)}; sizes are odd and not multiples of the
 * 16 x 16 work-groups, so the grid's spare items are exercised. The lookups must match plain Java bit for bit,
 * out-of-range ids (zero rows) included.
 */
class LinearKernelsIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @ParameterizedTest(name = "with bias: {0}")
    @ValueSource(booleans = { true, false })
    void linear(boolean withBias) {
        int rows = 37;
        int in = 29;
        int out = 45;
        SplittableRandom random = new SplittableRandom(withBias ? 51 : 52);
        float[] xValues = RandomArrays.gaussian(random, rows * in, 1.0);
        float[] wValues = RandomArrays.gaussian(random, out * in, 1.0 / Math.sqrt(in));
        float[] bValues = withBias ? RandomArrays.gaussian(random, out, 1.0) : null;
        FloatArray x = FloatArray.fromArray(xValues);
        FloatArray weight = FloatArray.fromArray(wValues);
        FloatArray bias = withBias ? FloatArray.fromArray(bValues) : new FloatArray(1);
        FloatArray y = DeviceTasks.nans(rows * out);
        TaskGraph graph = DeviceTasks.graph("linear").transferToDevice(DataTransferMode.EVERY_EXECUTION, x, weight, bias)
                .task(DeviceTasks.TASK, LinearKernels::linear, new KernelContext(), x, weight, bias, y, rows, in, out, withBias ? 1 : 0)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        DeviceTasks.execute(graph, LinearKernels.linearGrid(rows, out));

        LinearReference.Result expected = LinearReference.linear(xValues, wValues, bValues, rows, in, out);
        DeviceCheck.assertWithinReference(expected.values(), y.toHeapArray(), LinearReference.errorBound(expected.magnitudes(), in),
                "LinearKernels.linear " + rows + "x" + in + " -> " + out + (withBias ? " with bias" : " without bias"));
    }

    /** Grouped-query shapes: 4 query heads and 2 kv heads of 8, from 24 inputs, 19 rows. */
    @Test
    void qkvProjection() {
        int rows = 19;
        int in = 24;
        int qFeatures = 4 * 8;
        int kvFeatures = 2 * 8;
        int out = qFeatures + 2 * kvFeatures;
        SplittableRandom random = new SplittableRandom(53);
        float[] xValues = RandomArrays.gaussian(random, rows * in, 1.0);
        float[] wValues = RandomArrays.gaussian(random, out * in, 1.0 / Math.sqrt(in));
        float[] bValues = RandomArrays.gaussian(random, out, 1.0);
        FloatArray x = FloatArray.fromArray(xValues);
        FloatArray weight = FloatArray.fromArray(wValues);
        FloatArray bias = FloatArray.fromArray(bValues);
        FloatArray q = DeviceTasks.nans(rows * qFeatures);
        FloatArray k = DeviceTasks.nans(rows * kvFeatures);
        FloatArray v = DeviceTasks.nans(rows * kvFeatures);
        TaskGraph graph = DeviceTasks.graph("qkvProjection").transferToDevice(DataTransferMode.EVERY_EXECUTION, x, weight, bias)
                .task(DeviceTasks.TASK, LinearKernels::qkvProjection, new KernelContext(), x, weight, bias, q, k, v, rows, in, qFeatures, kvFeatures, 1)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, q, k, v);
        DeviceTasks.execute(graph, LinearKernels.qkvGrid(rows, qFeatures, kvFeatures));

        LinearReference.Result fused = LinearReference.linear(xValues, wValues, bValues, rows, in, out);
        double[] bound = LinearReference.errorBound(fused.magnitudes(), in);
        String what = "LinearKernels.qkvProjection GQA 4/2 heads of 8";
        DeviceCheck.assertWithinReference(columns(fused.values(), rows, out, 0, qFeatures), q.toHeapArray(), columns(bound, rows, out, 0, qFeatures), what + ": q");
        DeviceCheck.assertWithinReference(columns(fused.values(), rows, out, qFeatures, kvFeatures), k.toHeapArray(),
                columns(bound, rows, out, qFeatures, kvFeatures), what + ": k");
        DeviceCheck.assertWithinReference(columns(fused.values(), rows, out, qFeatures + kvFeatures, kvFeatures), v.toHeapArray(),
                columns(bound, rows, out, qFeatures + kvFeatures, kvFeatures), what + ": v");
    }

    /** Columns {@code [first, first + count)} of a row-major {@code [rows, width]} matrix. */
    private static double[] columns(double[] matrix, int rows, int width, int first, int count) {
        double[] part = new double[rows * count];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(matrix, r * width + first, part, r * count, count);
        }
        return part;
    }

    private static IntArray idsWithOutOfRange(int tokens, int vocab) {
        int[] ids = new SplittableRandom(54).ints(tokens, 0, vocab).toArray();
        ids[1] = -1;
        ids[tokens - 1] = vocab;
        return IntArray.fromArray(ids);
    }

    @Test
    void embedding() {
        int tokens = 23;
        int dim = 13;
        int vocab = 17;
        IntArray ids = idsWithOutOfRange(tokens, vocab);
        FloatArray table = FloatArray.fromArray(RandomArrays.gaussian(new SplittableRandom(55), vocab * dim, 1.0));
        FloatArray java = DeviceTasks.nans(tokens * dim);
        LinearKernels.embedding(ids, table, java, tokens, dim, vocab);

        FloatArray device = DeviceTasks.nans(tokens * dim);
        TaskGraph graph = DeviceTasks.graph("embedding").transferToDevice(DataTransferMode.EVERY_EXECUTION, ids, table)
                .task(DeviceTasks.TASK, LinearKernels::embedding, ids, table, device, tokens, dim, vocab).transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        DeviceCheck.assertIdentical(java.toHeapArray(), device.toHeapArray(), "LinearKernels.embedding (ids -1 and vocab give zero rows)");
    }

    @Test
    void embeddedQkv() {
        int tokens = 23;
        int width = 11;
        int vocab = 17;
        IntArray ids = idsWithOutOfRange(tokens, vocab);
        FloatArray table = FloatArray.fromArray(RandomArrays.gaussian(new SplittableRandom(56), vocab * 3 * width, 1.0));
        FloatArray[] java = { DeviceTasks.nans(tokens * width), DeviceTasks.nans(tokens * width), DeviceTasks.nans(tokens * width) };
        LinearKernels.embeddedQkv(ids, table, java[0], java[1], java[2], tokens, width, vocab);

        FloatArray[] device = { DeviceTasks.nans(tokens * width), DeviceTasks.nans(tokens * width), DeviceTasks.nans(tokens * width) };
        TaskGraph graph = DeviceTasks.graph("embeddedQkv").transferToDevice(DataTransferMode.EVERY_EXECUTION, ids, table)
                .task(DeviceTasks.TASK, LinearKernels::embeddedQkv, ids, table, device[0], device[1], device[2], tokens, width, vocab)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, device[0], device[1], device[2]);
        DeviceTasks.execute(graph);
        for (int part = 0; part < 3; part++) {
            DeviceCheck.assertIdentical(java[part].toHeapArray(), device[part].toHeapArray(), "LinearKernels.embeddedQkv " + Arrays.asList("q", "k", "v").get(part));
        }
    }
}
