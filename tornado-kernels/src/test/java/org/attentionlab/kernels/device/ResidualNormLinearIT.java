package org.attentionlab.kernels.device;

import java.util.SplittableRandom;

import org.attentionlab.kernels.MatrixMultiply;
import org.attentionlab.kernels.Normalization;
import org.attentionlab.kernels.reference.MatrixReference.Expected;
import org.attentionlab.kernels.reference.NormProjectionReference;
import org.attentionlab.kernels.testing.ResidualNormCase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * {@link MatrixMultiply#residualNormLinearTiled} on a TornadoVM device: bit for bit against the two tasks the model
 * runs where it is not fused, on the same device ({@link MatrixMultiply#linearTiled} adding into x, then
 * {@link MatrixMultiply#normLinearTiled}, and with the down phase {@link MatrixMultiply#linearTiled} of y adding into x),
 * and its second projection against float64 of the x it left. Shapes: 140 rows (a partial last group), 300 inputs and a
 * 300-wide stream (a partial panel and tile), 37 columns; rnope-swa's at L = 128 (128 x 256 -> 256 -> 1024, two groups
 * of 64 rows, GELU, all biases), with and without the down phase; 1100 inputs and a 1030-wide stream, wider than a staged
 * input panel ({@link MatrixMultiply#INPUT_PANEL_DEPTH}) in both phases; 1100 hidden columns, wider than it in the down
 * phase.
 */
class ResidualNormLinearIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    private static FloatArray orPlaceholder(float[] values) {
        return values == null ? new FloatArray(1) : FloatArray.fromArray(values);
    }

    @ParameterizedTest(name = "{0}x{1}->{2}->{3}, {4} rows per group, norm {5}, activation {6}, biases {7}, down phase {8}, {9} lanes")
    @CsvSource({ "140, 300, 300, 37, 64, 1, 2, 3, false, 16", "140, 300, 300, 37, 64, 1, 2, 3, false, 8",
            "140, 300, 300, 37, 128, 2, 4, 6, true, 16", "140, 300, 300, 37, 128, 2, 4, 6, true, 8",
            "128, 256, 256, 1024, 64, 1, 2, 3, false, 16", "128, 256, 256, 1024, 64, 1, 2, 3, false, 8",
            "128, 256, 256, 1024, 64, 1, 2, 7, true, 16", "128, 256, 256, 1024, 64, 1, 2, 7, true, 8",
            "70, 64, 40, 20, 32, 1, 1, 5, true, 16", "70, 64, 40, 20, 32, 1, 1, 5, true, 8", "40, 1100, 1030, 20, 32, 2, 1, 1, false, 16",
            "40, 1100, 1030, 20, 32, 2, 1, 1, false, 8", "40, 100, 60, 1100, 32, 1, 2, 7, true, 16",
            "40, 100, 60, 1100, 32, 1, 2, 7, true, 8" })
    void residualNormLinearTiled(int rows, int inner, int width, int cols, int groupRows, int norm, int activation, int biases, boolean down, int lanes) {
        SplittableRandom random = new SplittableRandom(rows * 17L + cols + width + norm);
        ResidualNormCase c = ResidualNormCase.random(random, rows, inner, width, cols, biases);
        float eps = Normalization.LAYER_NORM_EPS;
        FloatArray ia = FloatArray.fromArray(c.input());
        FloatArray rb = orPlaceholder(c.residualBias());
        FloatArray nw = FloatArray.fromArray(c.normWeight());
        FloatArray nb = FloatArray.fromArray(c.normBias());
        FloatArray ba = orPlaceholder(c.bias());
        FloatArray dw = FloatArray.fromArray(c.downWeight());
        FloatArray db = orPlaceholder(c.downBias());
        int flags = MatrixMultiply.residualNormFlags((biases & 1) != 0, (biases & 2) != 0, down, (biases & 4) != 0, norm, activation, lanes);
        String what = "MatrixMultiply.residualNormLinearTiled " + rows + "x" + inner + "->" + width + "->" + cols + " (" + groupRows + " rows per group, norm "
                + norm + ", activation " + activation + ", biases " + biases + (down ? ", down phase" : "") + ", " + lanes + " lanes)";

        FloatArray xa = FloatArray.fromArray(c.x());
        FloatArray normed = DeviceTasks.nans(rows * width);
        FloatArray y = DeviceTasks.nans(rows * cols);
        FloatArray rw = FloatArray.fromArray(c.residualWeight());
        FloatArray w = FloatArray.fromArray(c.weight());
        TaskGraph fused = DeviceTasks.graph("residualNormLinearTiled").transferToDevice(DataTransferMode.EVERY_EXECUTION, ia, rw, rb, xa, nw, nb, w, ba, dw, db)
                .task(DeviceTasks.TASK, MatrixMultiply::residualNormLinearTiled, new KernelContext(), ia, rw, rb, xa, nw, nb, normed, w, ba, y, dw, db, rows,
                        inner, width, cols, groupRows, eps, flags)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, xa, normed, y);
        DeviceTasks.execute(fused, MatrixMultiply.normTiledGrid(rows, Math.max(width, cols), groupRows));

        FloatArray sx = FloatArray.fromArray(c.x());
        FloatArray sNormed = DeviceTasks.nans(rows * width);
        FloatArray sy = DeviceTasks.nans(rows * cols);
        TaskGraph separate = DeviceTasks.graph("linearTiledThenNormLinearTiled").transferToDevice(DataTransferMode.EVERY_EXECUTION, ia, rw, rb, sx, nw, nb, w, ba,
                dw, db)
                .task("residual", MatrixMultiply::linearTiled, new KernelContext(), ia, rw, rb, sx, rows, inner, width, biases & 1, MatrixMultiply.NONE, 1, 16)
                .task("norm", MatrixMultiply::normLinearTiled, new KernelContext(), sx, nw, nb, sNormed, w, ba, sy, rows, width, cols, groupRows, norm, eps,
                        (biases >> 1) & 1, activation, 16);
        // The down projection on its own, so that x after the first add stays for the float64 check; linearTiled adds it
        // into x as one float add per element, done below.
        FloatArray sDown = DeviceTasks.nans(rows * width);
        if (down) {
            separate.task("down", MatrixMultiply::linearTiled, new KernelContext(), sy, dw, db, sDown, rows, cols, width, (biases >> 2) & 1, MatrixMultiply.NONE, 0, 16);
        }
        separate.transferToHost(DataTransferMode.EVERY_EXECUTION, sx, sNormed, sy, sDown);
        GridScheduler scheduler = new GridScheduler();
        scheduler.addWorkerGrid(DeviceTasks.gridKey(separate, "residual"), MatrixMultiply.tiledGrid(rows, width, 1));
        scheduler.addWorkerGrid(DeviceTasks.gridKey(separate, "norm"), MatrixMultiply.normTiledGrid(rows, cols, groupRows));
        if (down) {
            scheduler.addWorkerGrid(DeviceTasks.gridKey(separate, "down"), MatrixMultiply.tiledGrid(rows, width, 1));
        }
        DeviceTasks.execute(separate, scheduler);

        float[] expectedX = sx.toHeapArray();
        for (int i = 0; down && i < expectedX.length; i++) {
            expectedX[i] += sDown.get(i);
        }
        DeviceCheck.assertIdentical(expectedX, xa.toHeapArray(), what + (down ? ": x against linearTiled adding into it, twice" : ": x against linearTiled adding into it"));
        DeviceCheck.assertIdentical(sNormed.toHeapArray(), normed.toHeapArray(), what + ": normalised rows against normLinearTiled's");
        DeviceCheck.assertIdentical(sy.toHeapArray(), y.toHeapArray(), what + ": y against linearTiled, then normLinearTiled");
        double[] normalized = NormProjectionReference.normalized(sx.toHeapArray(), c.normWeight(), c.normBias(), norm == Normalization.RMS_NORM, rows, width, eps);
        Expected expected = NormProjectionReference.linear(normalized, c.weight(), c.bias(), rows, width, cols, activation);
        DeviceCheck.assertWithinReference(expected.values(), y.toHeapArray(), expected.bounds(), what);
    }
}
