package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.MatrixReference.Expected;
import org.attentionlab.kernels.reference.NormProjectionReference;
import org.attentionlab.kernels.testing.AttentionRunner;
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
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The projections that normalise their own input ({@link MatrixMultiply#normLinearTiled},
 * {@link MatrixMultiply#normGatedLinearTiled}, {@link LinearKernels#normQkvProjectionTiled}) on the JVM implementation
 * (a work-group's items are threads meeting at the barrier; device buffers start as NaN), over randomised shapes:
 * rows that are not a multiple of the group's rows, inner dimensions of 64, 256, 1024 and 1100 (panels of
 * {@value MatrixMultiply#PROJECTION_PANEL_DEPTH}; past {@value MatrixMultiply#INPUT_PANEL_DEPTH} the row tiles restage
 * their input panel per column tile), columns that end in a partial tile, LayerNorm and RMSNorm, every
 * activation, with and without biases. Each case is checked against float64 ({@link NormProjectionReference}) and,
 * bit for bit, against the norm kernel followed by the unfused projection, which is the claim the model relies on.
 */
class NormProjectionsTest {

    private static final int[] INNER = { 64, 256, 1024, 1100 };
    private static final int[] GROUP_ROWS = { 32, 64, 128 };
    /** The row tiles' vector widths the norm-fused kernels take ({@code lanes}, or a bit of their flags): both run in every try. */
    static final int[] LANES = { 16, 8 };

    /** One case's inputs: x, the norm's parameters and what the projection reads. */
    private record Case(int rows, int inner, int cols, int groupRows, boolean rms, float[] x, float[] normWeight, float[] normBias, float eps) {

        static Case random(long seed, int rows, int innerIndex, int cols, int groupRowsIndex, boolean rms) {
            SplittableRandom random = new SplittableRandom(seed);
            int inner = INNER[innerIndex];
            float[] x = RandomArrays.gaussian(random, rows * inner, 2.0);
            // A mean far from zero in some rows: the LayerNorm's two-pass mean matters there.
            for (int r = 0; r < rows; r += 3) {
                for (int k = 0; k < inner; k++) {
                    x[r * inner + k] += 5.0f;
                }
            }
            float[] normWeight = RandomArrays.uniform(random, inner, 0.5, 1.5);
            float[] normBias = RandomArrays.gaussian(random, inner, 0.5);
            return new Case(rows, inner, cols, GROUP_ROWS[groupRowsIndex], rms, x, normWeight, normBias, rms ? 1e-6f : Normalization.LAYER_NORM_EPS);
        }

        int norm() {
            return rms ? Normalization.RMS_NORM : Normalization.LAYER_NORM;
        }

        double[] reference() {
            return NormProjectionReference.normalized(x, normWeight, normBias, rms, rows, inner, eps);
        }

        /** The separate norm task's output: the norm kernel called as plain Java. */
        float[] normalizedByNormKernel() {
            FloatArray out = new FloatArray(rows * inner);
            if (rms) {
                Normalization.rmsNorm(FloatArray.fromArray(x), FloatArray.fromArray(normWeight), out, rows, inner, eps);
            } else {
                Normalization.layerNorm(FloatArray.fromArray(x), FloatArray.fromArray(normWeight), FloatArray.fromArray(normBias), out, rows, inner, eps);
            }
            return out.toHeapArray();
        }
    }

    private static FloatArray orPlaceholder(float[] values) {
        return values == null ? new FloatArray(1) : FloatArray.fromArray(values);
    }

    private static float[] run(TaskGraph graph, int rows, int cols, int groupRows, FloatArray... outputs) {
        return run(graph, MatrixMultiply.normTiledGrid(rows, cols, groupRows), outputs);
    }

    private static float[] run(TaskGraph graph, WorkerGrid grid, FloatArray... outputs) {
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, (Object[]) outputs);
        Plans.executeOnce(graph, new GridScheduler(graph.getTaskGraphName() + ".kernel", grid));
        return outputs[0].toHeapArray();
    }

    /** normTiledGrid's groups with {@code items} work-items each, which share the column tiles. */
    private static WorkerGrid gridWithItems(int rows, int groupRows, int items) {
        WorkerGrid grid = new WorkerGrid2D(items, (rows + groupRows - 1) / groupRows);
        grid.setLocalWork(items, 1, 1);
        return grid;
    }

    private static FloatArray nans(int size) {
        FloatArray array = new FloatArray(size);
        array.init(Float.NaN);
        return array;
    }

    /** normLinearTiled's y and the normalised rows it wrote. */
    private record Fused(float[] y, float[] normed) {
    }

    static Fused normLinear(Case c, float[] w, float[] bias, int activation, int items, int lanes) {
        FloatArray xa = FloatArray.fromArray(c.x);
        FloatArray nw = FloatArray.fromArray(c.normWeight);
        FloatArray nb = FloatArray.fromArray(c.normBias);
        FloatArray normed = nans(c.rows * c.inner);
        FloatArray wa = FloatArray.fromArray(w);
        FloatArray ba = orPlaceholder(bias);
        FloatArray y = nans(c.rows * c.cols);
        TaskGraph graph = new TaskGraph("normLinear").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, nw, nb, wa, ba).task("kernel",
                MatrixMultiply::normLinearTiled, new KernelContext(), xa, nw, nb, normed, wa, ba, y, c.rows, c.inner, c.cols, c.groupRows, c.norm(), c.eps,
                bias == null ? 0 : 1, activation, lanes);
        run(graph, gridWithItems(c.rows, c.groupRows, items), y, normed);
        return new Fused(y.toHeapArray(), normed.toHeapArray());
    }

    @Property(tries = 24)
    void normLinearTiledMatchesFloat64AndTheSeparateTasks(@ForAll @IntRange(min = 1, max = 150) int rows, @ForAll @IntRange(min = 0, max = 3) int innerIndex,
            @ForAll @IntRange(min = 1, max = 40) int cols, @ForAll @IntRange(min = 0, max = 2) int groupRowsIndex, @ForAll boolean rms,
            @ForAll @IntRange(min = 0, max = 4) int activation, @ForAll boolean hasBias, @ForAll @IntRange(min = 1, max = 3) int items) {
        Case c = Case.random(rows * 31L + cols, rows, innerIndex, cols, groupRowsIndex, rms);
        SplittableRandom random = new SplittableRandom(rows + 7L * cols);
        float[] w = RandomArrays.gaussian(random, cols * c.inner, 1.0 / Math.sqrt(c.inner));
        float[] bias = hasBias ? RandomArrays.gaussian(random, cols, 1.0) : null;
        for (int lanes : LANES) {
            Fused fused = normLinear(c, w, bias, activation, items, lanes);
            String what = "normLinearTiled " + rows + "x" + c.inner + "->" + cols + " (" + c.groupRows + " rows and " + items + " items per group, "
                    + (rms ? "RMSNorm" : "LayerNorm") + ", activation " + activation + (hasBias ? ", bias" : "") + ", " + lanes + " lanes)";
            Expected expected = NormProjectionReference.linear(c.reference(), w, bias, rows, c.inner, cols, activation);
            assertWithin(what, expected.values(), fused.y(), expected.bounds());
            float[] normalized = c.normalizedByNormKernel();
            assertArrayEquals(normalized, fused.normed(), what + ": normalised rows");
            float[] separate = MatrixMultiplyTest.linear(true, normalized, w, bias, null, rows, c.inner, cols, activation, 1);
            assertArrayEquals(separate, fused.y(), what + ": against the norm task, then linearTiled");
        }
    }

    @Property(tries = 12)
    void normGatedLinearTiledMatchesFloat64AndTheSeparateTasks(@ForAll @IntRange(min = 1, max = 150) int rows,
            @ForAll @IntRange(min = 0, max = 3) int innerIndex, @ForAll @IntRange(min = 1, max = 40) int hidden,
            @ForAll @IntRange(min = 0, max = 2) int groupRowsIndex, @ForAll boolean rms, @ForAll @IntRange(min = 0, max = 4) int activation,
            @ForAll boolean hasBias) {
        Case c = Case.random(rows * 37L + hidden, rows, innerIndex, hidden, groupRowsIndex, rms);
        SplittableRandom random = new SplittableRandom(rows + 11L * hidden);
        float[] gate = RandomArrays.gaussian(random, hidden * c.inner, 1.0 / Math.sqrt(c.inner));
        float[] up = RandomArrays.gaussian(random, hidden * c.inner, 1.0 / Math.sqrt(c.inner));
        float[] gateBias = hasBias ? RandomArrays.gaussian(random, hidden, 1.0) : null;
        float[] upBias = hasBias ? RandomArrays.gaussian(random, hidden, 1.0) : null;
        FloatArray xa = FloatArray.fromArray(c.x);
        FloatArray nw = FloatArray.fromArray(c.normWeight);
        FloatArray nb = FloatArray.fromArray(c.normBias);
        FloatArray normed = nans(rows * c.inner);
        FloatArray ga = FloatArray.fromArray(gate);
        FloatArray ua = FloatArray.fromArray(up);
        FloatArray gb = orPlaceholder(gateBias);
        FloatArray ub = orPlaceholder(upBias);
        FloatArray h = nans(rows * hidden);
        TaskGraph graph = new TaskGraph("normGated").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, nw, nb, ga, ua, gb, ub).task("kernel",
                MatrixMultiply::normGatedLinearTiled, new KernelContext(), xa, nw, nb, normed, ga, ua, gb, ub, h, rows, c.inner, hidden, c.groupRows, c.norm(),
                c.eps, hasBias ? 1 : 0, activation);
        float[] fused = run(graph, rows, hidden, c.groupRows, h);
        String what = "normGatedLinearTiled " + rows + "x" + c.inner + "->" + hidden + " (" + c.groupRows + " rows per group, " + (rms ? "RMSNorm" : "LayerNorm")
                + ", activation " + activation + (hasBias ? ", biases" : "") + ")";
        Expected expected = NormProjectionReference.gatedLinear(c.reference(), gate, up, gateBias, upBias, rows, c.inner, hidden, activation);
        assertWithin(what, expected.values(), fused, expected.bounds());
        float[] separate = gatedLinearTiled(c.normalizedByNormKernel(), gate, up, gateBias, upBias, rows, c.inner, hidden, activation);
        assertArrayEquals(separate, fused, what + ": against the norm task, then gatedLinearTiled");
    }

    private static float[] gatedLinearTiled(float[] x, float[] gate, float[] up, float[] gateBias, float[] upBias, int rows, int inner, int hidden, int activation) {
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray ga = FloatArray.fromArray(gate);
        FloatArray ua = FloatArray.fromArray(up);
        FloatArray gb = orPlaceholder(gateBias);
        FloatArray ub = orPlaceholder(upBias);
        FloatArray h = nans(rows * hidden);
        TaskGraph graph = new TaskGraph("gated").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, ga, ua, gb, ub)
                .task("kernel", MatrixMultiply::gatedLinearTiled, new KernelContext(), xa, ga, ua, gb, ub, h, rows, inner, hidden, gateBias == null ? 0 : 1,
                        activation, 16)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, h);
        Plans.executeOnce(graph, new GridScheduler("gated.kernel", MatrixMultiply.tiledGrid(rows, hidden, 1)));
        return h.toHeapArray();
    }

    @Property(tries = 12)
    void normQkvProjectionTiledMatchesFloat64AndTheSeparateTasks(@ForAll @IntRange(min = 1, max = 150) int rows,
            @ForAll @IntRange(min = 0, max = 3) int innerIndex, @ForAll @IntRange(min = 1, max = 24) int qFeatures,
            @ForAll @IntRange(min = 1, max = 12) int kvFeatures, @ForAll @IntRange(min = 0, max = 2) int groupRowsIndex, @ForAll boolean rms,
            @ForAll boolean hasBias) {
        int outFeatures = qFeatures + 2 * kvFeatures;
        Case c = Case.random(rows * 41L + outFeatures, rows, innerIndex, outFeatures, groupRowsIndex, rms);
        SplittableRandom random = new SplittableRandom(rows + 13L * outFeatures);
        float[] w = RandomArrays.gaussian(random, outFeatures * c.inner, 1.0 / Math.sqrt(c.inner));
        float[] bias = hasBias ? RandomArrays.gaussian(random, outFeatures, 1.0) : null;
        float[][] separate = qkv(false, c.normalizedByNormKernel(), c, w, bias, qFeatures, kvFeatures, 0);
        Expected expected = NormProjectionReference.linear(c.reference(), w, bias, rows, c.inner, outFeatures, MatrixMultiply.NONE);
        int[] from = { 0, qFeatures, qFeatures + kvFeatures };
        int[] width = { qFeatures, kvFeatures, kvFeatures };
        for (int lanes : LANES) {
            float[][] fused = qkv(true, c.x, c, w, bias, qFeatures, kvFeatures, lanes);
            String what = "normQkvProjectionTiled " + rows + "x" + c.inner + "->" + qFeatures + "+2x" + kvFeatures + " (" + c.groupRows + " rows per group, "
                    + (rms ? "RMSNorm" : "LayerNorm") + (hasBias ? ", bias" : "") + ", " + lanes + " lanes)";
            for (int part = 0; part < 3; part++) {
                Expected columns = NormProjectionReference.columns(expected, rows, outFeatures, from[part], width[part]);
                assertWithin(what + " part " + "qkv".charAt(part), columns.values(), fused[part], columns.bounds());
                assertArrayEquals(separate[part], fused[part], what + " part " + "qkv".charAt(part) + ": against the norm task, then qkvProjectionTiled");
            }
        }
    }

    /**
     * q, k, v of {@link LinearKernels#normQkvProjectionTiled} of x ({@code fusedNorm}, its row tiles for {@code lanes}), or
     * of {@link LinearKernels#qkvProjectionTiled} of x ({@code lanes} unused).
     */
    private static float[][] qkv(boolean fusedNorm, float[] x, Case c, float[] w, float[] bias, int qFeatures, int kvFeatures, int lanes) {
        return qkv(fusedNorm, x, c, w, bias, qFeatures, kvFeatures, lanes, bias == null ? 0 : 1);
    }

    /** {@link #qkv(boolean, float[], Case, float[], float[], int, int, int)} with the kernels' {@link LinearKernels#qkvStoreCode} given. */
    private static float[][] qkv(boolean fusedNorm, float[] x, Case c, float[] w, float[] bias, int qFeatures, int kvFeatures, int lanes, int storeCode) {
        int rows = c.rows;
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray wa = FloatArray.fromArray(w);
        FloatArray ba = orPlaceholder(bias);
        FloatArray q = nans(rows * qFeatures);
        FloatArray k = nans(rows * kvFeatures);
        FloatArray v = nans(rows * kvFeatures);
        int hasBias = storeCode;
        TaskGraph graph = new TaskGraph("qkv");
        if (fusedNorm) {
            FloatArray nw = FloatArray.fromArray(c.normWeight);
            FloatArray nb = FloatArray.fromArray(c.normBias);
            graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, nw, nb, wa, ba).task("kernel", LinearKernels::normQkvProjectionTiled,
                    new KernelContext(), xa, nw, nb, nans(rows * c.inner), wa, ba, q, k, v, rows, c.inner, qFeatures, kvFeatures, c.groupRows, c.norm(), c.eps,
                    hasBias, lanes);
            run(graph, rows, qFeatures + 2 * kvFeatures, c.groupRows, q, k, v);
        } else {
            graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, wa, ba).task("kernel", LinearKernels::qkvProjectionTiled, new KernelContext(), xa, wa,
                    ba, q, k, v, rows, c.inner, qFeatures, kvFeatures, hasBias, lanes == 0 ? 16 : lanes).transferToHost(DataTransferMode.EVERY_EXECUTION, q, k, v);
            Plans.executeOnce(graph, new GridScheduler("qkv.kernel", MatrixMultiply.tiledGrid(rows, qFeatures + 2 * kvFeatures, 1)));
        }
        return new float[][] { q.toHeapArray(), k.toHeapArray(), v.toHeapArray() };
    }

    /**
     * k and v stored head-major ({@link LinearKernels#qkvStoreCode}: {@code [batch][kvHead][seqLen][headDim]}, what
     * flashTiled reads in a model's forward) hold the same bits as the token-major store, permuted; q is unchanged.
     * Both kernels, both lane widths; head dimensions below, at and above a row tile's 8 columns, not multiples of it.
     */
    @Property(tries = 12)
    void headMajorKeysAndValuesAreTheTokenMajorOnesPermuted(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 75) int seqLen,
            @ForAll @IntRange(min = 1, max = 3) int kvHeads, @ForAll @IntRange(min = 0, max = 5) int headDimIndex, @ForAll @IntRange(min = 1, max = 3) int group,
            @ForAll @IntRange(min = 0, max = 3) int innerIndex, @ForAll boolean hasBias) {
        int headDim = new int[] { 1, 3, 8, 12, 16, 24 }[headDimIndex];
        int rows = batch * seqLen;
        int kvFeatures = kvHeads * headDim;
        int qFeatures = group * kvFeatures;
        int outFeatures = qFeatures + 2 * kvFeatures;
        Case c = Case.random(rows * 43L + outFeatures, rows, innerIndex, outFeatures, 0, false);
        SplittableRandom random = new SplittableRandom(rows + 17L * outFeatures);
        float[] w = RandomArrays.gaussian(random, outFeatures * c.inner, 1.0 / Math.sqrt(c.inner));
        float[] bias = hasBias ? RandomArrays.gaussian(random, outFeatures, 1.0) : null;
        int headMajor = LinearKernels.qkvStoreCode(hasBias, true, seqLen, headDim);
        for (boolean fusedNorm : new boolean[] { false, true }) {
            for (int lanes : LANES) {
                float[][] tokenMajor = qkv(fusedNorm, c.x, c, w, bias, qFeatures, kvFeatures, lanes);
                float[][] permuted = qkv(fusedNorm, c.x, c, w, bias, qFeatures, kvFeatures, lanes, headMajor);
                String what = (fusedNorm ? "normQkvProjectionTiled" : "qkvProjectionTiled") + " batch " + batch + " x L " + seqLen + ", " + kvHeads + " kv heads of "
                        + headDim + ", q " + qFeatures + (hasBias ? ", bias" : "") + ", " + lanes + " lanes";
                assertArrayEquals(tokenMajor[0], permuted[0], what + ": q stays token-major");
                assertArrayEquals(AttentionRunner.headMajor(tokenMajor[1], batch, seqLen, kvHeads, headDim), permuted[1], what + ": k");
                assertArrayEquals(AttentionRunner.headMajor(tokenMajor[2], batch, seqLen, kvHeads, headDim), permuted[2], what + ": v");
            }
        }
    }

    /** The store code's edges: what fits is encoded and read back by the kernels' layout; beyond it the model keeps token-major. */
    @Test
    void headMajorStoreCodesCoverTheShapesTheyCanCarry() {
        assertEquals(1, LinearKernels.qkvStoreCode(true, false, 1 << 22, 4096), "token-major: the bias bit alone, for any shape");
        assertEquals(true, LinearKernels.headMajorFits(1, 1));
        assertEquals(true, LinearKernels.headMajorFits((1 << 21) - 1, 511));
        assertEquals(false, LinearKernels.headMajorFits(1 << 21, 64), "sequence length beyond 21 bits");
        assertEquals(false, LinearKernels.headMajorFits(128, 512), "head dimension beyond 9 bits");
        assertEquals(false, LinearKernels.headMajorFits(0, 64));
        assertThrows(IllegalArgumentException.class, () -> LinearKernels.qkvStoreCode(false, true, 128, 512));
        assertEquals(1 | 511 << 1 | ((1 << 21) - 1) << 10, LinearKernels.qkvStoreCode(true, true, (1 << 21) - 1, 511), "the largest code stays positive");
    }

    @Test
    void groupRowsGiveEveryCoreAGroupWithTheMostRowsThatDo() {
        assertEquals(64, MatrixMultiply.normGroupRows(128, 2), "rnope-swa at L = 128 on 2 cores: two groups of 64");
        assertEquals(256, MatrixMultiply.normGroupRows(1024, 2), "groups as tall as a projection item, TILED_ITEM_ROWS");
        assertEquals(128, MatrixMultiply.normGroupRows(256, 2));
        assertEquals(128, MatrixMultiply.normGroupRows(129, 2), "two groups, the second of one row");
        assertEquals(32, MatrixMultiply.normGroupRows(64, 2));
        assertEquals(0, MatrixMultiply.normGroupRows(32, 2), "fewer rows than two groups of the fewest: the norm stays a task");
        assertEquals(0, MatrixMultiply.normGroupRows(1, 2), "a decode step");
        assertEquals(32, MatrixMultiply.normGroupRows(128, 4));
        assertEquals(0, MatrixMultiply.normGroupRows(128, 16), "16 cores: groups of 8 rows would stage W 16 times as often");
        assertEquals(64, MatrixMultiply.normGroupRows(300, 2), "256 would leave one core 256 rows and the other 44; 64: 192 on the busier");
        assertEquals(256, MatrixMultiply.normGroupRows(4096, 2));
        assertEquals(64, MatrixMultiply.normGroupRows(384, 2), "6 groups of 64: 192 rows a core, where 256 would leave 256 and 128");
    }

    @Test
    void theGridHasOneGroupOfOneItemPerRowBlock() {
        var grid = MatrixMultiply.normTiledGrid(130, 768, 64);
        assertArrayEquals(new long[] { MatrixMultiply.NORM_GROUP_ITEMS, 3, 1 }, grid.getGlobalWork());
        assertArrayEquals(new long[] { MatrixMultiply.NORM_GROUP_ITEMS, 1, 1 }, grid.getLocalWork());
        assertThrows(IllegalArgumentException.class, () -> MatrixMultiply.normTiledGrid(130, 768, 60));
        assertThrows(IllegalArgumentException.class, () -> MatrixMultiply.normTiledGrid(130, 768, 2 * MatrixMultiply.TILED_ITEM_ROWS));
    }
}
