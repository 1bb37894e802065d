package org.attentionlab.kernels.device;

import java.util.SplittableRandom;

import org.attentionlab.kernels.MatrixMultiply;
import org.attentionlab.kernels.reference.MatrixReference;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * {@link MatrixMultiply} on a TornadoVM device against the unit tests' float64 expectations and bounds
 * ({@link MatrixReference}): 37 rows (three row blocks, the last partial), inner 29 (the last step one deep),
 * 300 columns (a full and a partial column block), so every edge of the blocks is crossed. Each kernel runs with
 * one block per work-group (the CPU geometry) and with several (the GPU one); {@code columnSums} is checked
 * against itself called as plain Java.
 */
class MatrixMultiplyIT {

    private static final int ROWS = 37;
    private static final int INNER = 29;
    private static final int COLS = 300;
    /**
     * The register tiles' shape: 300 rows (a full item of {@value MatrixMultiply#TILED_ITEM_ROWS} and a partial one of
     * 44, whose last register tile is partial), inner 300 (a full projection panel of {@value MatrixMultiply#PROJECTION_PANEL_DEPTH} and one 44 deep;
     * productTiled's: four of {@value MatrixMultiply#PANEL_DEPTH} and one 44 deep), 37 columns (two full tiles and a
     * partial one).
     */
    private static final int TILED_ROWS = 300;
    private static final int TILED_INNER = 300;
    private static final int TILED_COLS = 37;

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    private static void assertMeets(MatrixReference.Expected expected, FloatArray actual, String what) {
        DeviceCheck.assertWithinReference(expected.values(), actual.toHeapArray(), expected.bounds(), what);
    }

    @ParameterizedTest(name = "activation {0}, {1} blocks per group, accumulate {2}")
    @CsvSource({ "0, 1, 0", "1, 1, 0", "2, 1, 0", "3, 4, 0", "4, 1, 0", "2, 1, 1", "0, 3, 1" })
    void linear(int activation, int groupItems, int accumulate) {
        SplittableRandom random = new SplittableRandom(61 + activation * 7L + groupItems);
        float[] x = RandomArrays.gaussian(random, ROWS * INNER, 1.0);
        float[] w = RandomArrays.gaussian(random, COLS * INNER, 1.0 / Math.sqrt(INNER));
        float[] b = RandomArrays.gaussian(random, COLS, 1.0);
        float[] before = accumulate != 0 ? RandomArrays.gaussian(random, ROWS * COLS, 1.0) : null;
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray wa = FloatArray.fromArray(w);
        FloatArray ba = FloatArray.fromArray(b);
        FloatArray y = before != null ? FloatArray.fromArray(before) : DeviceTasks.nans(ROWS * COLS);
        TaskGraph graph = DeviceTasks.graph("linear").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, wa, ba, y)
                .task(DeviceTasks.TASK, MatrixMultiply::linear, new KernelContext(), xa, wa, ba, y, ROWS, INNER, COLS, 1, activation, accumulate)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        DeviceTasks.execute(graph, MatrixMultiply.grid(ROWS, COLS, groupItems));
        assertMeets(MatrixReference.linear(x, w, b, before, ROWS, INNER, COLS, activation), y,
                "MatrixMultiply.linear " + ROWS + "x" + INNER + "->" + COLS + " activation " + activation + (accumulate != 0 ? " accumulating" : ""));
    }

    /** {@link MatrixMultiply#linearTiled} at the tiles' shape ({@link #TILED_ROWS}), with the tiles for 16 and for 8 lanes. */
    @ParameterizedTest(name = "activation {0}, {1} items per group, accumulate {2}, {3} lanes")
    @CsvSource({ "0, 1, 0, 16", "2, 3, 1, 16", "4, 1, 0, 16", "1, 1, 1, 16", "3, 1, 0, 16", "0, 1, 0, 8", "2, 3, 1, 8", "4, 1, 0, 8", "1, 1, 1, 8", "3, 1, 0, 8" })
    void linearTiled(int activation, int groupItems, int accumulate, int lanes) {
        int rows = TILED_ROWS;
        int inner = TILED_INNER;
        int cols = TILED_COLS;
        SplittableRandom random = new SplittableRandom(83 + activation * 7L + groupItems);
        float[] x = RandomArrays.gaussian(random, rows * inner, 1.0);
        float[] w = RandomArrays.gaussian(random, cols * inner, 1.0 / Math.sqrt(inner));
        float[] b = RandomArrays.gaussian(random, cols, 1.0);
        float[] before = accumulate != 0 ? RandomArrays.gaussian(random, rows * cols, 1.0) : null;
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray wa = FloatArray.fromArray(w);
        FloatArray ba = FloatArray.fromArray(b);
        FloatArray y = before != null ? FloatArray.fromArray(before) : DeviceTasks.nans(rows * cols);
        TaskGraph graph = DeviceTasks.graph("linear").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, wa, ba, y)
                .task(DeviceTasks.TASK, MatrixMultiply::linearTiled, new KernelContext(), xa, wa, ba, y, rows, inner, cols, 1, activation, accumulate, lanes)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        DeviceTasks.execute(graph, MatrixMultiply.tiledGrid(rows, cols, groupItems));
        assertMeets(MatrixReference.linear(x, w, b, before, rows, inner, cols, activation), y,
                "MatrixMultiply.linearTiled lanes " + lanes + " " + rows + "x" + inner + "->" + cols + " activation " + activation + (accumulate != 0 ? " accumulating" : ""));
    }

    @ParameterizedTest(name = "activation {0}")
    @ValueSource(ints = { MatrixMultiply.SILU, MatrixMultiply.GELU_TANH })
    void gatedLinear(int activation) {
        SplittableRandom random = new SplittableRandom(71 + activation);
        float[] x = RandomArrays.gaussian(random, ROWS * INNER, 1.0);
        float[] gate = RandomArrays.gaussian(random, COLS * INNER, 1.0 / Math.sqrt(INNER));
        float[] up = RandomArrays.gaussian(random, COLS * INNER, 1.0 / Math.sqrt(INNER));
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray ga = FloatArray.fromArray(gate);
        FloatArray ua = FloatArray.fromArray(up);
        FloatArray none = new FloatArray(1);
        FloatArray h = DeviceTasks.nans(ROWS * COLS);
        TaskGraph graph = DeviceTasks.graph("gatedLinear").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, ga, ua, none)
                .task(DeviceTasks.TASK, MatrixMultiply::gatedLinear, new KernelContext(), xa, ga, ua, none, none, h, ROWS, INNER, COLS, 0, activation)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, h);
        DeviceTasks.execute(graph, MatrixMultiply.grid(ROWS, COLS));
        assertMeets(MatrixReference.gatedLinear(x, gate, up, null, null, ROWS, INNER, COLS, activation), h, "MatrixMultiply.gatedLinear activation " + activation);
    }

    /**
     * {@link MatrixMultiply#gatedLinearTiled} at the tiles' shape ({@link #TILED_ROWS}): every edge of the tiles, items
     * and panels, with the tiles for 16 and for 8 lanes.
     */
    @ParameterizedTest(name = "activation {0}, {1} items per group, bias {2}, {3} lanes")
    @CsvSource({ "4, 1, 1, 16", "3, 3, 0, 16", "2, 1, 0, 16", "4, 1, 1, 8", "3, 3, 0, 8", "2, 1, 0, 8" })
    void gatedLinearTiled(int activation, int groupItems, int hasBias, int lanes) {
        int rows = TILED_ROWS;
        int inner = TILED_INNER;
        int hidden = TILED_COLS;
        SplittableRandom random = new SplittableRandom(97 + activation * 7L + groupItems);
        float[] x = RandomArrays.gaussian(random, rows * inner, 1.0);
        float[] gate = RandomArrays.gaussian(random, hidden * inner, 1.0 / Math.sqrt(inner));
        float[] up = RandomArrays.gaussian(random, hidden * inner, 1.0 / Math.sqrt(inner));
        float[] gateBias = hasBias != 0 ? RandomArrays.gaussian(random, hidden, 1.0) : null;
        float[] upBias = hasBias != 0 ? RandomArrays.gaussian(random, hidden, 1.0) : null;
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray ga = FloatArray.fromArray(gate);
        FloatArray ua = FloatArray.fromArray(up);
        FloatArray gb = hasBias != 0 ? FloatArray.fromArray(gateBias) : new FloatArray(1);
        FloatArray ub = hasBias != 0 ? FloatArray.fromArray(upBias) : new FloatArray(1);
        FloatArray h = DeviceTasks.nans(rows * hidden);
        TaskGraph graph = DeviceTasks.graph("gatedLinearTiled").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, ga, ua, gb, ub)
                .task(DeviceTasks.TASK, MatrixMultiply::gatedLinearTiled, new KernelContext(), xa, ga, ua, gb, ub, h, rows, inner, hidden, hasBias, activation, lanes)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, h);
        DeviceTasks.execute(graph, MatrixMultiply.tiledGrid(rows, hidden, groupItems));
        assertMeets(MatrixReference.gatedLinear(x, gate, up, gateBias, upBias, rows, inner, hidden, activation), h,
                "MatrixMultiply.gatedLinearTiled lanes " + lanes + " " + rows + "x" + inner + "->" + hidden + " activation " + activation + (hasBias != 0 ? " with biases" : ""));
    }

    @ParameterizedTest(name = "transposeA {0}")
    @ValueSource(ints = { 0, 1 })
    void productAccumulating(int transposeA) {
        SplittableRandom random = new SplittableRandom(81 + transposeA);
        float[] a = RandomArrays.gaussian(random, ROWS * INNER, 1.0);
        float[] b = RandomArrays.gaussian(random, INNER * COLS, 1.0);
        float[] before = RandomArrays.gaussian(random, ROWS * COLS, 1.0);
        FloatArray aa = FloatArray.fromArray(a);
        FloatArray ba = FloatArray.fromArray(b);
        FloatArray y = FloatArray.fromArray(before);
        TaskGraph graph = DeviceTasks.graph("product").transferToDevice(DataTransferMode.EVERY_EXECUTION, aa, ba, y)
                .task(DeviceTasks.TASK, MatrixMultiply::product, new KernelContext(), aa, ba, y, ROWS, INNER, COLS, transposeA, 1)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        DeviceTasks.execute(graph, MatrixMultiply.grid(ROWS, COLS));
        assertMeets(MatrixReference.product(transposeA != 0, a, b, before, ROWS, INNER, COLS), y,
                "MatrixMultiply.product " + (transposeA != 0 ? "a^T b" : "a b") + " + y");
    }

    /**
     * {@link MatrixMultiply#productTiled} (140 rows: a full item of {@value MatrixMultiply#PRODUCT_ITEM_ROWS} and a partial one, for
     * {@code a^T b} one in tiles of {@value MatrixMultiply#WIDE_TILE_ROWS} rows and one of 12 rows in tiles of 8;
     * inner 131: two full panels and one 3 deep; 37 columns: two full tiles and a partial one), both layouts of a; with
     * the tiles for 16 lanes and for 8 (tiles of {@value MatrixMultiply#NARROW_TILE_ROWS} rows for both layouts).
     */
    @ParameterizedTest(name = "transposeA {0}, accumulate {1}, {2} items per group, {3} lanes")
    @CsvSource({ "0, 0, 1, 16", "1, 0, 1, 16", "0, 1, 3, 16", "1, 1, 1, 16", "0, 0, 1, 8", "1, 0, 1, 8", "0, 1, 3, 8", "1, 1, 1, 8" })
    void productTiled(int transposeA, int accumulate, int groupItems, int lanes) {
        int rows = 140;
        int inner = 131;
        int cols = 37;
        SplittableRandom random = new SplittableRandom(97 + transposeA * 5L + accumulate);
        float[] a = RandomArrays.gaussian(random, rows * inner, 1.0);
        float[] b = RandomArrays.gaussian(random, inner * cols, 1.0);
        float[] before = accumulate != 0 ? RandomArrays.gaussian(random, rows * cols, 1.0) : null;
        FloatArray aa = FloatArray.fromArray(a);
        FloatArray ba = FloatArray.fromArray(b);
        FloatArray y = before != null ? FloatArray.fromArray(before) : DeviceTasks.nans(rows * cols);
        TaskGraph graph = DeviceTasks.graph("productTiled").transferToDevice(DataTransferMode.EVERY_EXECUTION, aa, ba, y)
                .task(DeviceTasks.TASK, MatrixMultiply::productTiled, new KernelContext(), aa, ba, y, rows, inner, cols, transposeA, accumulate, lanes)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        DeviceTasks.execute(graph, MatrixMultiply.productTiledGrid(rows, cols, groupItems));
        assertMeets(MatrixReference.product(transposeA != 0, a, b, before, rows, inner, cols), y,
                "MatrixMultiply.productTiled lanes " + lanes + " " + (transposeA != 0 ? "a^T b" : "a b") + (accumulate != 0 ? " + y" : ""));
    }

    @Test
    void columnSums() {
        int rows = 301;
        float[] a = RandomArrays.gaussian(new SplittableRandom(91), rows * COLS, 1.0);
        FloatArray input = FloatArray.fromArray(a);
        FloatArray java = DeviceTasks.nans(COLS);
        MatrixMultiply.columnSums(input, java, rows, COLS, 0);
        FloatArray device = DeviceTasks.nans(COLS);
        TaskGraph graph = DeviceTasks.graph("columnSums").transferToDevice(DataTransferMode.EVERY_EXECUTION, input)
                .task(DeviceTasks.TASK, MatrixMultiply::columnSums, input, device, rows, COLS, 0).transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        DeviceCheck.assertMatchesJava(java.toHeapArray(), device.toHeapArray(), "MatrixMultiply.columnSums 301 rows");
    }
}
