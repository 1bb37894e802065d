package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.LinearReference;
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
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Linear layers (through TaskGraph + TornadoExecutionPlan + GridScheduler on the JVM implementation, and as plain
 * Java loops), the fused QKV projection and the embedding lookups. Dense-layer tolerance: the classical fp32
 * dot-product bound {@code (in + 2) 2^-24 sum_k |x_k w_k| (+ |b|)}; lookups are exact.
 */
class LinearKernelsTest {

    /** y = x W^T (+ b) through a task graph on the grid {@link LinearKernels#linearGrid} returns. */
    static float[] linearThroughPlan(float[] xValues, float[] wValues, float[] bValues, int rows, int in, int out) {
        FloatArray x = FloatArray.fromArray(xValues);
        FloatArray weight = FloatArray.fromArray(wValues);
        FloatArray bias = bValues == null ? new FloatArray(1) : FloatArray.fromArray(bValues);
        FloatArray y = new FloatArray(rows * out);
        TaskGraph graph = new TaskGraph("dense")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, weight, bias)
                .task("linear", LinearKernels::linear, new KernelContext(), x, weight, bias, y, rows, in, out, bValues == null ? 0 : 1)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        Plans.executeOnce(graph, new GridScheduler("dense.linear", LinearKernels.linearGrid(rows, out)));
        return y.toHeapArray();
    }

    @Property(tries = 250)
    void linearThroughTaskGraphMatchesReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 70) int in,
            @ForAll @IntRange(min = 1, max = 70) int out, @ForAll boolean withBias, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = RandomArrays.gaussian(random, rows * in, 1.0);
        float[] w = RandomArrays.gaussian(random, out * in, 1.0 / Math.sqrt(in));
        float[] b = withBias ? RandomArrays.gaussian(random, out, 1.0) : null;
        LinearReference.Result expected = LinearReference.linear(x, w, b, rows, in, out);
        assertWithin("linear (task graph)", expected.values(), linearThroughPlan(x, w, b, rows, in, out), LinearReference.errorBound(expected.magnitudes(), in));
    }

    /** A named case: 3 rows x 5 inputs by hand, through the plan and grid, against hand values and the reference. */
    @Test
    void linearThroughPlanAndGridEqualsPlainReference() {
        float[] x = { 1, 2, 3, 4, 5, -1, 0, 1, 0, -1, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f };
        float[] w = { 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, -2, 2, -2, 2 };
        float[] b = { 0.25f, -1 };
        float[] twoOutputs = linearThroughPlan(x, Arrays.copyOf(w, 10), b, 3, 5, 2);
        assertArrayEquals(new float[] { 1.25f, 13f, -0.75f, -1f, 0.75f, 1f }, twoOutputs);
        float[] threeOutputs = linearThroughPlan(x, w, null, 3, 5, 3);
        assertArrayEquals(new float[] { 1, 14, 6, -1, 0, -2, 0.5f, 2, 1 }, threeOutputs);
        LinearReference.Result reference = LinearReference.linear(x, w, null, 3, 5, 3);
        assertWithin("reference", reference.values(), threeOutputs, LinearReference.errorBound(reference.magnitudes(), 5));
    }

    @Test
    void gridsAreMatrixMultiplyGrids() {
        assertArrayEquals(MatrixMultiply.grid(17, 1).getGlobalWork(), LinearKernels.linearGrid(17, 1).getGlobalWork());
        assertArrayEquals(MatrixMultiply.grid(17, 1).getLocalWork(), LinearKernels.linearGrid(17, 1).getLocalWork());
        assertArrayEquals(MatrixMultiply.grid(3, 16 + 2 * 300).getGlobalWork(), LinearKernels.qkvGrid(3, 16, 300).getGlobalWork());
    }

    @Property(tries = 200)
    void qkvProjectionSplitsOneFusedLinear(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 9) int seq,
            @ForAll @IntRange(min = 1, max = 4) int kvHeads, @ForAll @IntRange(min = 1, max = 3) int groupSize, @ForAll @IntRange(min = 1, max = 12) int headDim,
            @ForAll @IntRange(min = 1, max = 300) int in, @ForAll boolean withBias, @ForAll boolean tiled, @ForAll boolean eightLanes,
            @ForAll long seed) {
        int rows = batch * seq;
        int qFeatures = kvHeads * groupSize * headDim;
        int kvFeatures = kvHeads * headDim;
        int total = qFeatures + 2 * kvFeatures;
        SplittableRandom random = new SplittableRandom(seed);
        float[] xValues = RandomArrays.gaussian(random, rows * in, 1.0);
        float[] wValues = RandomArrays.gaussian(random, total * in, 1.0);
        float[] bValues = RandomArrays.gaussian(random, total, 1.0);
        FloatArray x = FloatArray.fromArray(xValues);
        FloatArray weight = FloatArray.fromArray(wValues);
        FloatArray bias = FloatArray.fromArray(bValues);
        FloatArray q = new FloatArray(rows * qFeatures);
        FloatArray k = new FloatArray(rows * kvFeatures);
        FloatArray v = new FloatArray(rows * kvFeatures);
        TaskGraph graph = new TaskGraph("attention").transferToDevice(DataTransferMode.EVERY_EXECUTION, x, weight, bias);
        if (tiled) {
            graph.task("qkv", LinearKernels::qkvProjectionTiled, new KernelContext(), x, weight, bias, q, k, v, rows, in, qFeatures, kvFeatures, withBias ? 1 : 0,
                    eightLanes ? 8 : 16);
        } else {
            graph.task("qkv", LinearKernels::qkvProjection, new KernelContext(), x, weight, bias, q, k, v, rows, in, qFeatures, kvFeatures, withBias ? 1 : 0);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, q, k, v);
        Plans.executeOnce(graph, new GridScheduler("attention.qkv", tiled ? MatrixMultiply.tiledGrid(rows, total, 1) : LinearKernels.qkvGrid(rows, qFeatures, kvFeatures)));

        LinearReference.Result fused = LinearReference.linear(xValues, wValues, withBias ? bValues : null, rows, in, total);
        double[] bound = LinearReference.errorBound(fused.magnitudes(), in);
        float[][] outputs = { q.toHeapArray(), k.toHeapArray(), v.toHeapArray() };
        int[] offsets = { 0, qFeatures, qFeatures + kvFeatures };
        int[] widths = { qFeatures, kvFeatures, kvFeatures };
        for (int part = 0; part < 3; part++) {
            double[] expected = new double[rows * widths[part]];
            double[] partBound = new double[expected.length];
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < widths[part]; j++) {
                    expected[r * widths[part] + j] = fused.values()[r * total + offsets[part] + j];
                    partBound[r * widths[part] + j] = bound[r * total + offsets[part] + j];
                }
            }
            assertWithin("qkv part " + "qkv".charAt(part), expected, outputs[part], partBound);
        }
    }

    @Property(tries = 200)
    void embeddingCopiesTableRows(@ForAll @IntRange(min = 1, max = 40) int tokens, @ForAll @IntRange(min = 1, max = 70) int dim,
            @ForAll @IntRange(min = 1, max = 30) int vocab, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] table = RandomArrays.gaussian(random, vocab * dim, 1.0);
        int[] ids = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            ids[t] = random.nextInt(-2, vocab + 2);
        }
        FloatArray out = new FloatArray(tokens * dim);
        LinearKernels.embedding(IntArray.fromArray(ids), FloatArray.fromArray(table), out, tokens, dim, vocab);
        float[] actual = out.toHeapArray();
        for (int t = 0; t < tokens; t++) {
            float[] row = Arrays.copyOfRange(actual, t * dim, (t + 1) * dim);
            float[] expected = ids[t] >= 0 && ids[t] < vocab ? Arrays.copyOfRange(table, ids[t] * dim, (ids[t] + 1) * dim) : new float[dim];
            assertArrayEquals(expected, row, "token " + t + " id " + ids[t]);
        }
    }

    /** torch.chunk(embedding(ids), 3, dim=-1): q, k, v are the three consecutive thirds of the row. */
    @Property(tries = 200)
    void embeddedQkvChunksTheRowInThree(@ForAll @IntRange(min = 1, max = 40) int tokens, @ForAll @IntRange(min = 1, max = 24) int width,
            @ForAll @IntRange(min = 1, max = 20) int vocab, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] table = RandomArrays.gaussian(random, vocab * 3 * width, 1.0);
        int[] ids = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            ids[t] = random.nextInt(-1, vocab + 1);
        }
        FloatArray q = new FloatArray(tokens * width);
        FloatArray k = new FloatArray(tokens * width);
        FloatArray v = new FloatArray(tokens * width);
        LinearKernels.embeddedQkv(IntArray.fromArray(ids), FloatArray.fromArray(table), q, k, v, tokens, width, vocab);
        FloatArray full = new FloatArray(tokens * 3 * width);
        LinearKernels.embedding(IntArray.fromArray(ids), FloatArray.fromArray(table), full, tokens, 3 * width, vocab);
        float[] all = full.toHeapArray();
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < width; j++) {
                assertEquals(all[t * 3 * width + j], q.get(t * width + j));
                assertEquals(all[t * 3 * width + width + j], k.get(t * width + j));
                assertEquals(all[t * 3 * width + 2 * width + j], v.get(t * width + j));
            }
        }
    }

    @Test
    void embeddedQkvByHand() {
        // vocab 2, width 2: row 1 is [q0 q1 k0 k1 v0 v1] = [10 11 20 21 30 31]
        FloatArray table = FloatArray.fromElements(0, 1, 2, 3, 4, 5, 10, 11, 20, 21, 30, 31);
        FloatArray q = new FloatArray(4);
        FloatArray k = new FloatArray(4);
        FloatArray v = new FloatArray(4);
        LinearKernels.embeddedQkv(IntArray.fromElements(1, 0), table, q, k, v, 2, 2, 2);
        assertArrayEquals(new float[] { 10, 11, 0, 1 }, q.toHeapArray());
        assertArrayEquals(new float[] { 20, 21, 2, 3 }, k.toHeapArray());
        assertArrayEquals(new float[] { 30, 31, 4, 5 }, v.toHeapArray());
    }
}
