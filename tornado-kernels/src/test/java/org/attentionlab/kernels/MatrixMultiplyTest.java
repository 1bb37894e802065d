package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.MatrixReference;
import org.attentionlab.kernels.testing.Plans;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * {@link MatrixMultiply} through TaskGraph + TornadoExecutionPlan + GridScheduler on the JVM implementation (whose
 * device buffers start as NaN, so an unwritten output fails), against float64 products from the definitions. Shapes
 * cross the block edges ({@value MatrixMultiply#BLOCK_ROWS} and {@value MatrixMultiply#ITEM_ROWS} rows, {@value MatrixMultiply#BLOCK_COLUMNS} columns,
 * {@value MatrixMultiply#DEPTH_STEP} inner values). Tolerance: the fp32 dot-product bound
 * {@code (n + 2) 2^-24 sum|a b|}, carried through the activation by its largest slope, plus the activation's own
 * fp32 error and one rounding per residual add.
 */
class MatrixMultiplyTest {

    private static final double UNIT = Math.pow(2, -24);

    // ---- runners ----

    static float[] linear(float[] x, float[] w, float[] bias, float[] yBefore, int rows, int inner, int cols, int activation, int groupItems) {
        return linear(false, x, w, bias, yBefore, rows, inner, cols, activation, groupItems);
    }

    /** {@link MatrixMultiply#linearTiled} (16-lane tiles) when {@code tiled}, else {@link MatrixMultiply#linear}. */
    static float[] linear(boolean tiled, float[] x, float[] w, float[] bias, float[] yBefore, int rows, int inner, int cols, int activation, int groupItems) {
        return linear(tiled, 16, x, w, bias, yBefore, rows, inner, cols, activation, groupItems);
    }

    /** {@link MatrixMultiply#linearTiled} with the tiles for {@code lanes} when {@code tiled}, else {@link MatrixMultiply#linear}. */
    static float[] linear(boolean tiled, int lanes, float[] x, float[] w, float[] bias, float[] yBefore, int rows, int inner, int cols, int activation,
            int groupItems) {
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray wa = FloatArray.fromArray(w);
        FloatArray ba = bias == null ? new FloatArray(1) : FloatArray.fromArray(bias);
        FloatArray y = yBefore == null ? new FloatArray(rows * cols) : FloatArray.fromArray(yBefore);
        TaskGraph graph = new TaskGraph("mm").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, wa, ba);
        if (yBefore != null) {
            graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, y);
        }
        if (tiled) {
            graph.task("linear", MatrixMultiply::linearTiled, new KernelContext(), xa, wa, ba, y, rows, inner, cols, bias == null ? 0 : 1, activation,
                    yBefore == null ? 0 : 1, lanes);
        } else {
            graph.task("linear", MatrixMultiply::linear, new KernelContext(), xa, wa, ba, y, rows, inner, cols, bias == null ? 0 : 1, activation, yBefore == null ? 0 : 1);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        Plans.executeOnce(graph, new GridScheduler("mm.linear", tiled ? MatrixMultiply.tiledGrid(rows, cols, groupItems) : MatrixMultiply.grid(rows, cols, groupItems)));
        return y.toHeapArray();
    }

    static float[] product(boolean transposedA, float[] a, float[] b, float[] yBefore, int rows, int inner, int cols) {
        return product(false, 16, transposedA, a, b, yBefore, rows, inner, cols, MatrixMultiply.groupItemsForDefaultDevice());
    }

    /** {@link MatrixMultiply#productTiled} with the tiles for {@code lanes} when {@code tiled}, else {@link MatrixMultiply#product}. */
    static float[] product(boolean tiled, int lanes, boolean transposedA, float[] a, float[] b, float[] yBefore, int rows, int inner, int cols,
            int groupItems) {
        FloatArray aa = FloatArray.fromArray(a);
        FloatArray ba = FloatArray.fromArray(b);
        FloatArray y = yBefore == null ? new FloatArray(rows * cols) : FloatArray.fromArray(yBefore);
        TaskGraph graph = new TaskGraph("mm").transferToDevice(DataTransferMode.EVERY_EXECUTION, aa, ba);
        if (yBefore != null) {
            graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, y);
        }
        if (tiled) {
            graph.task("product", MatrixMultiply::productTiled, new KernelContext(), aa, ba, y, rows, inner, cols, transposedA ? 1 : 0, yBefore == null ? 0 : 1,
                    lanes);
        } else {
            graph.task("product", MatrixMultiply::product, new KernelContext(), aa, ba, y, rows, inner, cols, transposedA ? 1 : 0, yBefore == null ? 0 : 1);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        Plans.executeOnce(graph, new GridScheduler("mm.product", tiled ? MatrixMultiply.productTiledGrid(rows, cols, groupItems) : MatrixMultiply.grid(rows, cols, groupItems)));
        return y.toHeapArray();
    }

    static float[] gated(float[] x, float[] gate, float[] up, float[] gateBias, float[] upBias, int rows, int inner, int hidden, int activation) {
        return gated(false, 16, x, gate, up, gateBias, upBias, rows, inner, hidden, activation, 1);
    }

    /** {@link MatrixMultiply#gatedLinearTiled} with the tiles for {@code lanes} when {@code tiled}, else {@link MatrixMultiply#gatedLinear}. */
    static float[] gated(boolean tiled, int lanes, float[] x, float[] gate, float[] up, float[] gateBias, float[] upBias, int rows, int inner, int hidden, int activation,
            int groupItems) {
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray ga = FloatArray.fromArray(gate);
        FloatArray ua = FloatArray.fromArray(up);
        FloatArray gb = gateBias == null ? new FloatArray(1) : FloatArray.fromArray(gateBias);
        FloatArray ub = upBias == null ? new FloatArray(1) : FloatArray.fromArray(upBias);
        FloatArray h = new FloatArray(rows * hidden);
        TaskGraph graph = new TaskGraph("mm").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, ga, ua, gb, ub);
        if (tiled) {
            graph.task("gated", MatrixMultiply::gatedLinearTiled, new KernelContext(), xa, ga, ua, gb, ub, h, rows, inner, hidden, gateBias == null ? 0 : 1,
                    activation, lanes);
        } else {
            graph.task("gated", MatrixMultiply::gatedLinear, new KernelContext(), xa, ga, ua, gb, ub, h, rows, inner, hidden, gateBias == null ? 0 : 1, activation);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, h);
        Plans.executeOnce(graph, new GridScheduler("mm.gated", tiled ? MatrixMultiply.tiledGrid(rows, hidden, groupItems) : MatrixMultiply.grid(rows, hidden, groupItems)));
        return h.toHeapArray();
    }

    // ---- properties ----

    @Property(tries = 120)
    void linearWithEveryEpilogueMatchesReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 70) int inner,
            @ForAll @IntRange(min = 1, max = 300) int cols, @ForAll @IntRange(min = 0, max = 4) int activation, @ForAll boolean withBias,
            @ForAll boolean accumulate, @ForAll @IntRange(min = 1, max = 5) int groupItems, @ForAll long seed) {
        assertLinearMeetsReference(false, 16, rows, inner, cols, activation, withBias, accumulate, groupItems, seed);
    }

    /** Shapes that cross the register tiles' edges: {@value MatrixMultiply#TILE_ROWS} and {@value MatrixMultiply#TILED_ITEM_ROWS} rows, {@value MatrixMultiply#TILE_COLUMNS} columns, {@value MatrixMultiply#PROJECTION_PANEL_DEPTH} inner values. */
    @Property(tries = 40)
    void linearTiledWithEveryEpilogueMatchesReference(@ForAll @IntRange(min = 1, max = 300) int rows, @ForAll @IntRange(min = 1, max = 300) int inner,
            @ForAll @IntRange(min = 1, max = 40) int cols, @ForAll @IntRange(min = 0, max = 4) int activation, @ForAll boolean withBias,
            @ForAll boolean accumulate, @ForAll @IntRange(min = 1, max = 3) int groupItems, @ForAll boolean eightLanes, @ForAll long seed) {
        assertLinearMeetsReference(true, eightLanes ? 8 : 16, rows, inner, cols, activation, withBias, accumulate, groupItems, seed);
    }

    private static void assertLinearMeetsReference(boolean tiled, int lanes, int rows, int inner, int cols, int activation, boolean withBias, boolean accumulate,
            int groupItems, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = RandomArrays.gaussian(random, rows * inner, 1.0);
        float[] w = RandomArrays.gaussian(random, cols * inner, 1.0 / Math.sqrt(inner));
        float[] bias = withBias ? RandomArrays.gaussian(random, cols, 1.0) : null;
        float[] before = accumulate ? RandomArrays.gaussian(random, rows * cols, 1.0) : null;
        float[] actual = linear(tiled, lanes, x, w, bias, before, rows, inner, cols, activation, groupItems);
        assertMeets((tiled ? "linearTiled lanes " + lanes : "linear") + " act " + activation, MatrixReference.linear(x, w, bias, before, rows, inner, cols, activation), actual);
    }

    @Property(tries = 80)
    void productMatchesReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 70) int inner,
            @ForAll @IntRange(min = 1, max = 300) int cols, @ForAll boolean accumulate, @ForAll long seed) {
        assertProduct(false, rows, inner, cols, accumulate, seed);
    }

    @Property(tries = 80)
    void productOfTransposedMatchesReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 70) int inner,
            @ForAll @IntRange(min = 1, max = 300) int cols, @ForAll boolean accumulate, @ForAll long seed) {
        assertProduct(true, rows, inner, cols, accumulate, seed);
    }

    /** Shapes that cross the register tiles' edges, as for {@link #linearTiledWithEveryEpilogueMatchesReference}; both layouts of a. */
    @Property(tries = 60)
    void productTiledMatchesReference(@ForAll @IntRange(min = 1, max = 150) int rows, @ForAll @IntRange(min = 1, max = 140) int inner,
            @ForAll @IntRange(min = 1, max = 40) int cols, @ForAll boolean transposedA, @ForAll boolean accumulate,
            @ForAll @IntRange(min = 1, max = 3) int groupItems, @ForAll boolean eightLanes, @ForAll long seed) {
        assertProduct(true, eightLanes ? 8 : 16, transposedA, rows, inner, cols, accumulate, groupItems, seed);
    }

    private static void assertProduct(boolean transposedA, int rows, int inner, int cols, boolean accumulate, long seed) {
        assertProduct(false, 16, transposedA, rows, inner, cols, accumulate, MatrixMultiply.groupItemsForDefaultDevice(), seed);
    }

    private static void assertProduct(boolean tiled, int lanes, boolean transposedA, int rows, int inner, int cols, boolean accumulate, int groupItems, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] a = RandomArrays.gaussian(random, rows * inner, 1.0);
        float[] b = RandomArrays.gaussian(random, inner * cols, 1.0);
        float[] before = accumulate ? RandomArrays.gaussian(random, rows * cols, 1.0) : null;
        assertMeets((tiled ? "productTiled lanes " + lanes + " " : "product ") + (transposedA ? "a^T b" : "a b"),
                MatrixReference.product(transposedA, a, b, before, rows, inner, cols), product(tiled, lanes, transposedA, a, b, before, rows, inner, cols, groupItems));
    }

    static void assertMeets(String what, MatrixReference.Expected expected, float[] actual) {
        assertWithin(what, expected.values(), actual, expected.bounds());
    }

    @Property(tries = 80)
    void gatedLinearMatchesReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 50) int inner,
            @ForAll @IntRange(min = 1, max = 300) int hidden, @ForAll @IntRange(min = 0, max = 4) int activation, @ForAll boolean withBias, @ForAll long seed) {
        assertGatedMeetsReference(false, 16, rows, inner, hidden, activation, withBias, 1, seed);
    }

    /** Shapes that cross the register tiles' edges, as {@link #linearTiledWithEveryEpilogueMatchesReference}. */
    @Property(tries = 30)
    void gatedLinearTiledMatchesReference(@ForAll @IntRange(min = 1, max = 150) int rows, @ForAll @IntRange(min = 1, max = 300) int inner,
            @ForAll @IntRange(min = 1, max = 40) int hidden, @ForAll @IntRange(min = 0, max = 4) int activation, @ForAll boolean withBias,
            @ForAll @IntRange(min = 1, max = 3) int groupItems, @ForAll boolean eightLanes, @ForAll long seed) {
        assertGatedMeetsReference(true, eightLanes ? 8 : 16, rows, inner, hidden, activation, withBias, groupItems, seed);
    }

    private static void assertGatedMeetsReference(boolean tiled, int lanes, int rows, int inner, int hidden, int activation, boolean withBias, int groupItems, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = RandomArrays.gaussian(random, rows * inner, 1.0);
        float[] gate = RandomArrays.gaussian(random, hidden * inner, 1.0 / Math.sqrt(inner));
        float[] up = RandomArrays.gaussian(random, hidden * inner, 1.0 / Math.sqrt(inner));
        float[] gateBias = withBias ? RandomArrays.gaussian(random, hidden, 1.0) : null;
        float[] upBias = withBias ? RandomArrays.gaussian(random, hidden, 1.0) : null;
        assertMeets((tiled ? "gatedLinearTiled lanes " + lanes : "gatedLinear") + " act " + activation,
                MatrixReference.gatedLinear(x, gate, up, gateBias, upBias, rows, inner, hidden, activation),
                gated(tiled, lanes, x, gate, up, gateBias, upBias, rows, inner, hidden, activation, groupItems));
    }

    @Property(tries = 100)
    void columnSumsMatchReference(@ForAll @IntRange(min = 1, max = 300) int rows, @ForAll @IntRange(min = 1, max = 40) int cols, @ForAll boolean accumulate,
            @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] a = RandomArrays.gaussian(random, rows * cols, 1.0);
        float[] before = RandomArrays.gaussian(random, cols, 1.0);
        FloatArray sums = accumulate ? FloatArray.fromArray(before) : new FloatArray(cols);
        MatrixMultiply.columnSums(FloatArray.fromArray(a), sums, rows, cols, accumulate ? 1 : 0);
        MatrixReference.Result reference = MatrixReference.columnSums(a, rows, cols);
        double[] expected = reference.values().clone();
        double[] bound = new double[cols];
        for (int c = 0; c < cols; c++) {
            bound[c] = MatrixReference.productBound(reference.magnitudes()[c], rows);
            if (accumulate) {
                expected[c] += before[c];
                bound[c] += UNIT * Math.abs(expected[c]);
            }
        }
        assertWithin("columnSums", expected, sums.toHeapArray(), bound);
    }

    // ---- named cases ----

    /**
     * 1 x N, N x 1, a large inner dimension not a multiple of the step, exact block multiples, inner 1 and 3, full and
     * partial lower blocks; for the projections' register tiles a full item of {@value MatrixMultiply#TILED_ITEM_ROWS}
     * rows and one of 1 row (257), and one of 44 rows whose last register tile has 4 (300, with two panels); for
     * {@code productTiled}'s a^T b two items in tiles of {@value MatrixMultiply#WIDE_TILE_ROWS} rows (144).
     */
    @ParameterizedTest(name = "{0} x {1} -> {2}")
    @CsvSource({ "1, 300, 513", "37, 1, 1", "33, 4099, 7", "32, 64, 512", "17, 1, 257", "16, 3, 256", "48, 5, 9", "65, 7, 130", "64, 64, 16", "129, 65, 17", "8, 128, 15",
            "257, 9, 33", "300, 300, 37", "144, 70, 20" })
    void namedShapes(int rows, int inner, int cols) {
        SplittableRandom random = new SplittableRandom(rows * 31L + inner * 7L + cols);
        float[] x = RandomArrays.gaussian(random, rows * inner, 1.0);
        float[] w = RandomArrays.gaussian(random, cols * inner, 1.0 / Math.sqrt(inner));
        float[] bias = RandomArrays.gaussian(random, cols, 1.0);
        assertMeets("linear " + rows + "x" + inner + "->" + cols, MatrixReference.linear(x, w, bias, null, rows, inner, cols, MatrixMultiply.NONE),
                linear(x, w, bias, null, rows, inner, cols, MatrixMultiply.NONE, 1));
        float[] up = RandomArrays.gaussian(random, cols * inner, 1.0 / Math.sqrt(inner));
        float[] upBias = RandomArrays.gaussian(random, cols, 1.0);
        float[] b = RandomArrays.gaussian(random, inner * cols, 1.0);
        assertMeets("a b", MatrixReference.product(false, x, b, null, rows, inner, cols), product(false, x, b, null, rows, inner, cols));
        for (int lanes : new int[] { 16, 8 }) {
            assertMeets("linearTiled lanes " + lanes + " " + rows + "x" + inner + "->" + cols,
                    MatrixReference.linear(x, w, bias, null, rows, inner, cols, MatrixMultiply.NONE),
                    linear(true, lanes, x, w, bias, null, rows, inner, cols, MatrixMultiply.NONE, 1));
            assertMeets("gatedLinearTiled lanes " + lanes + " " + rows + "x" + inner + "->" + cols,
                    MatrixReference.gatedLinear(x, w, up, bias, upBias, rows, inner, cols, MatrixMultiply.SILU),
                    gated(true, lanes, x, w, up, bias, upBias, rows, inner, cols, MatrixMultiply.SILU, 1));
            assertMeets("productTiled lanes " + lanes + " a b", MatrixReference.product(false, x, b, null, rows, inner, cols),
                    product(true, lanes, false, x, b, null, rows, inner, cols, 1));
            assertMeets("productTiled lanes " + lanes + " a^T b", MatrixReference.product(true, x, b, null, rows, inner, cols),
                    product(true, lanes, true, x, b, null, rows, inner, cols, 1));
        }
    }

    /**
     * The tiles for 8 lanes give the same bits as those for 16 (each output the same serial sum per panel, added to the
     * item's sums in the same order), for the shapes of {@link #namedShapes}.
     */
    @ParameterizedTest(name = "{0} x {1} -> {2}")
    @CsvSource({ "1, 300, 513", "33, 4099, 7", "17, 1, 257", "65, 7, 130", "257, 9, 33", "300, 300, 37", "144, 70, 20" })
    void eightLaneTilesGiveTheSameBitsAsSixteen(int rows, int inner, int cols) {
        SplittableRandom random = new SplittableRandom(rows * 17L + inner * 5L + cols);
        float[] x = RandomArrays.gaussian(random, rows * inner, 1.0);
        float[] w = RandomArrays.gaussian(random, cols * inner, 1.0);
        float[] up = RandomArrays.gaussian(random, cols * inner, 1.0);
        float[] bias = RandomArrays.gaussian(random, cols, 1.0);
        float[] before = RandomArrays.gaussian(random, rows * cols, 1.0);
        float[] b = RandomArrays.gaussian(random, inner * cols, 1.0);
        assertArrayEquals(linear(true, 16, x, w, bias, before, rows, inner, cols, MatrixMultiply.GELU_TANH, 1),
                linear(true, 8, x, w, bias, before, rows, inner, cols, MatrixMultiply.GELU_TANH, 1), "linearTiled");
        assertArrayEquals(gated(true, 16, x, w, up, bias, bias, rows, inner, cols, MatrixMultiply.SILU, 1),
                gated(true, 8, x, w, up, bias, bias, rows, inner, cols, MatrixMultiply.SILU, 1), "gatedLinearTiled");
        for (boolean transposedA : new boolean[] { false, true }) {
            assertArrayEquals(product(true, 16, transposedA, x, b, before, rows, inner, cols, 1), product(true, 8, transposedA, x, b, before, rows, inner, cols, 1),
                    "productTiled " + (transposedA ? "a^T b" : "a b"));
        }
    }

    /**
     * The fused activations are Activations' kernels applied to the plain product, bit for bit (the same formulas), in
     * the row blocks and in the register tiles' branch-free epilogue (inputs of scale 2 cross erf's series limit).
     */
    @ParameterizedTest(name = "tiled {0}")
    @ValueSource(booleans = { false, true })
    void fusedActivationsEqualActivationsKernels(boolean tiled) {
        int rows = 19;
        int inner = 23;
        int cols = 270;
        SplittableRandom random = new SplittableRandom(3);
        float[] x = RandomArrays.gaussian(random, rows * inner, 2.0);
        float[] w = RandomArrays.gaussian(random, cols * inner, 1.0);
        float[] bias = RandomArrays.gaussian(random, cols, 1.0);
        FloatArray plain = FloatArray.fromArray(linear(tiled, x, w, bias, null, rows, inner, cols, MatrixMultiply.NONE, 1));
        int size = rows * cols;
        int[] kinds = { MatrixMultiply.RELU, MatrixMultiply.GELU_ERF, MatrixMultiply.GELU_TANH, MatrixMultiply.SILU };
        for (int kind : kinds) {
            FloatArray separate = new FloatArray(size);
            switch (kind) {
            case MatrixMultiply.RELU -> Activations.relu(plain, separate, size);
            case MatrixMultiply.GELU_ERF -> Activations.geluErf(plain, separate, size);
            case MatrixMultiply.GELU_TANH -> Activations.geluTanh(plain, separate, size);
            default -> Activations.silu(plain, separate, size);
            }
            assertArrayEquals(separate.toHeapArray(), linear(tiled, x, w, bias, null, rows, inner, cols, kind, 1), "activation " + kind);
        }
    }

    /** Two accumulating a^T b products equal one over the concatenated rows (gradient accumulation over micro-batches). */
    @Test
    void accumulatingWeightGradientSumsMicroBatches() {
        int out = 9;
        int in = 260;
        int half = 21;
        SplittableRandom random = new SplittableRandom(11);
        float[] dy = RandomArrays.gaussian(random, 2 * half * out, 1.0);
        float[] x = RandomArrays.gaussian(random, 2 * half * in, 1.0);
        float[] zeros = new float[out * in];
        float[] first = product(true, java.util.Arrays.copyOf(dy, half * out), java.util.Arrays.copyOf(x, half * in), zeros, out, half, in);
        float[] both = product(true, java.util.Arrays.copyOfRange(dy, half * out, 2 * half * out), java.util.Arrays.copyOfRange(x, half * in, 2 * half * in),
                first, out, half, in);
        assertMeets("dW over two micro-batches", MatrixReference.product(true, dy, x, null, out, 2 * half, in), both);
    }

    /** The group size is a scheduling choice only: every size gives the same bits. */
    @Test
    void everyGroupSizeGivesTheSameResult() {
        int rows = 70;
        int inner = 33;
        int cols = 300;
        SplittableRandom random = new SplittableRandom(5);
        float[] x = RandomArrays.gaussian(random, rows * inner, 1.0);
        float[] w = RandomArrays.gaussian(random, cols * inner, 1.0);
        float[] one = linear(x, w, null, null, rows, inner, cols, MatrixMultiply.GELU_ERF, 1);
        for (int items : new int[] { 2, 3, 8, 32 }) {
            assertArrayEquals(one, linear(x, w, null, null, rows, inner, cols, MatrixMultiply.GELU_ERF, items), items + " items per group");
        }
    }

    @Test
    void gridShapes() {
        WorkerGrid grid = MatrixMultiply.grid(33, 257, 1);
        assertArrayEquals(new long[] { 2, 2, 1 }, grid.getGlobalWork());
        assertArrayEquals(new long[] { 1, 1, 1 }, grid.getLocalWork());
        WorkerGrid grouped = MatrixMultiply.grid(32 * 40, 1, 32);
        assertArrayEquals(new long[] { 1, 64, 1 }, grouped.getGlobalWork());
        assertArrayEquals(new long[] { 1, 32, 1 }, grouped.getLocalWork());
        assertArrayEquals(new long[] { 1, 1, 1 }, MatrixMultiply.grid(0, 0, 1).getGlobalWork());
        assertThrows(IllegalArgumentException.class, () -> MatrixMultiply.grid(1, 1, 0));
        assertArrayEquals(new long[] { 2, 2, 1 }, MatrixMultiply.tiledGrid(MatrixMultiply.TILED_ITEM_ROWS + 1, 17, 1).getGlobalWork());
        assertArrayEquals(new long[] { 1, 8, 1 }, MatrixMultiply.tiledGrid(MatrixMultiply.TILED_ITEM_ROWS * 5, 16, 4).getGlobalWork());
        assertArrayEquals(new long[] { 1, 4, 1 }, MatrixMultiply.tiledGrid(MatrixMultiply.TILED_ITEM_ROWS * 5, 16, 4).getLocalWork());
        assertThrows(IllegalArgumentException.class, () -> MatrixMultiply.tiledGrid(1, 1, 0));
        assertArrayEquals(new long[] { 2, 2, 1 }, MatrixMultiply.productTiledGrid(MatrixMultiply.PRODUCT_ITEM_ROWS + 1, 17, 1).getGlobalWork());
        assertArrayEquals(new long[] { 1, 8, 1 }, MatrixMultiply.productTiledGrid(MatrixMultiply.PRODUCT_ITEM_ROWS * 5, 16, 4).getGlobalWork());
        assertThrows(IllegalArgumentException.class, () -> MatrixMultiply.productTiledGrid(1, 1, 0));
        // The JVM implementation's only device is a CPU.
        assertArrayEquals(new long[] { 1, 1, 1 }, MatrixMultiply.grid(1, 1).getLocalWork());
        assertArrayEquals(new int[] { MatrixMultiply.GPU_GROUP_ITEMS, MatrixMultiply.CPU_GROUP_ITEMS, MatrixMultiply.CPU_GROUP_ITEMS },
                new int[] { MatrixMultiply.groupItemsFor(TornadoDeviceType.GPU), MatrixMultiply.groupItemsFor(TornadoDeviceType.CPU),
                        MatrixMultiply.groupItemsFor(TornadoDeviceType.FPGA) });
    }
}
