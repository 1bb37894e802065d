package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.MatrixReference.Expected;
import org.attentionlab.kernels.reference.NormProjectionReference;
import org.attentionlab.kernels.testing.Plans;
import org.attentionlab.kernels.testing.ResidualNormCase;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * {@link MatrixMultiply#residualNormLinearTiled} on the JVM implementation (a work-group's items are threads meeting at
 * its barriers; scratch starts as NaN), over randomised shapes: rows that are not a multiple of the group's rows (one
 * row included), inner dimensions and widths that are not multiples of a tile or a panel (300: a panel of 256 and a
 * partial one), a residual stream wider or narrower than the second projection, LayerNorm and RMSNorm, every activation,
 * each bias present or not, with and without the down phase. Bit for bit against the separate tasks the model runs
 * otherwise ({@link MatrixMultiply#linearTiled} adding into x, then {@link MatrixMultiply#normLinearTiled}, then for the
 * down phase {@link MatrixMultiply#linearTiled} of y adding into x), and the second projection against float64 of the x
 * it left.
 */
class ResidualNormLinearTest {

    static final int[] INNER = { 16, 40, 300 };
    static final int[] WIDTH = { 17, 64, 300 };
    static final int[] GROUP_ROWS = { 32, 64, 128 };

    static FloatArray nans(int size) {
        FloatArray array = new FloatArray(size);
        array.init(Float.NaN);
        return array;
    }

    static FloatArray orPlaceholder(float[] values) {
        return values == null ? new FloatArray(1) : FloatArray.fromArray(values);
    }

    /** x after the fused task, its normalised rows and y. */
    private record Outputs(float[] x, float[] normed, float[] y) {
    }

    @Property(tries = 24)
    void equalsTheResidualProjectionThenTheNormProjection(@ForAll @IntRange(min = 1, max = 150) int rows, @ForAll @IntRange(min = 0, max = 2) int innerIndex,
            @ForAll @IntRange(min = 0, max = 2) int widthIndex, @ForAll @IntRange(min = 1, max = 70) int cols,
            @ForAll @IntRange(min = 0, max = 2) int groupRowsIndex, @ForAll boolean rms, @ForAll @IntRange(min = 0, max = 4) int activation,
            @ForAll @IntRange(min = 0, max = 7) int biases, @ForAll boolean down) {
        int inner = INNER[innerIndex];
        int width = WIDTH[widthIndex];
        int groupRows = GROUP_ROWS[groupRowsIndex];
        SplittableRandom random = new SplittableRandom(rows * 31L + cols * 7L + inner + width);
        ResidualNormCase c = ResidualNormCase.random(random, rows, inner, width, cols, biases);
        int norm = rms ? Normalization.RMS_NORM : Normalization.LAYER_NORM;
        float eps = rms ? 1e-6f : Normalization.LAYER_NORM_EPS;
        float[] separateX = MatrixMultiplyTest.linear(true, c.input(), c.residualWeight(), c.residualBias(), c.x(), rows, inner, width, MatrixMultiply.NONE, 1);
        Outputs separate = normLinear(separateX, c.normWeight(), c.normBias(), c.weight(), c.bias(), rows, width, cols, groupRows, norm, eps, activation);
        double[] normalized = NormProjectionReference.normalized(separateX, c.normWeight(), c.normBias(), rms, rows, width, eps);
        Expected expected = NormProjectionReference.linear(normalized, c.weight(), c.bias(), rows, width, cols, activation);
        for (int lanes : NormProjectionsTest.LANES) {
            String what = "residualNormLinearTiled " + rows + "x" + inner + "->" + width + "->" + cols + " (" + groupRows + " rows per group, "
                    + (rms ? "RMSNorm" : "LayerNorm") + ", activation " + activation + ", biases " + biases + (down ? ", down phase" : "") + ", " + lanes
                    + " lanes)";
            Outputs fused = fused(c, down, rows, inner, width, cols, groupRows, norm, eps, activation, lanes);
            assertArrayEquals(separate.normed(), fused.normed(), what + ": normalised rows against normLinearTiled's");
            assertArrayEquals(separate.y(), fused.y(), what + ": y against normLinearTiled");
            if (down) {
                float[] downX = MatrixMultiplyTest.linear(true, separate.y(), c.downWeight(), c.downBias(), separateX, rows, cols, width, MatrixMultiply.NONE, 1);
                assertArrayEquals(downX, fused.x(), what + ": x against linearTiled adding into it, twice");
            } else {
                assertArrayEquals(separateX, fused.x(), what + ": x against linearTiled adding into it");
            }
            assertWithin(what, expected.values(), fused.y(), expected.bounds());
        }
    }

    /** The down phase, one row: x = (1, 2) plus y = (3) times D^T = (1, -1) plus the down bias (0.5, 0.25). */
    @Test
    void downPhaseAddsTheHiddenRowsProjection() {
        // Zero residual weight: x stays (1, 2); LayerNorm of (1, 2) is (-1, 1) (eps 0); up weight (1, 1) with bias 3: y = 3.
        ResidualNormCase c = new ResidualNormCase(1, 1, 2, 1, 7, new float[] { 5 }, new float[] { 1, 2 }, new float[] { 0, 0 }, new float[] { 0, 0 },
                new float[] { 1, 1 }, new float[] { 0, 0 }, new float[] { 1, 1 }, new float[] { 3 }, new float[] { 1, -1 }, new float[] { 0.5f, 0.25f });
        for (int lanes : NormProjectionsTest.LANES) {
            Outputs fused = fused(c, true, 1, 1, 2, 1, 32, Normalization.LAYER_NORM, 0.0f, MatrixMultiply.NONE, lanes);
            assertArrayEquals(new float[] { 3 }, fused.y(), lanes + " lanes");
            assertArrayEquals(new float[] { 1 + 3 + 0.5f, 2 - 3 + 0.25f }, fused.x(), lanes + " lanes");
        }
    }

    @Test
    void oneRowAndOneColumn() {
        float[] input = { 0.5f, -1.0f };
        float[] x = { 1.0f, 2.0f, 4.0f };
        float[] residualWeight = { 1, 0, 0, 1, 1, 1 };
        float[] normWeight = { 1, 1, 1 };
        float[] normBias = { 0, 0, 0 };
        float[] weight = { 1, 0, -1 };
        ResidualNormCase c = new ResidualNormCase(1, 2, 3, 1, 2, input, x, residualWeight, null, normWeight, normBias, weight, new float[] { 0.25f },
                new float[3], null);
        for (int lanes : NormProjectionsTest.LANES) {
            Outputs fused = fused(c, false, 1, 2, 3, 1, 32, Normalization.RMS_NORM, 0.0f, MatrixMultiply.NONE, lanes);
            // x + input W^T = (1.5, 1, 3.5); RMS = sqrt((2.25 + 1 + 12.25) / 3); y = (1.5 - 3.5) / RMS + 0.25.
            assertArrayEquals(new float[] { 1.5f, 1.0f, 3.5f }, fused.x(), lanes + " lanes");
            double rmsValue = Math.sqrt((2.25 + 1 + 12.25) / 3);
            assertArrayEquals(new float[] { (float) (-2.0 / rmsValue + 0.25) }, fused.y(), 1e-6f, lanes + " lanes");
        }
    }

    private static Outputs fused(ResidualNormCase c, boolean down, int rows, int inner, int width, int cols, int groupRows, int norm, float eps,
            int activation, int lanes) {
        FloatArray ia = FloatArray.fromArray(c.input());
        FloatArray xa = FloatArray.fromArray(c.x());
        FloatArray rw = FloatArray.fromArray(c.residualWeight());
        FloatArray rb = orPlaceholder(c.residualBias());
        FloatArray nw = FloatArray.fromArray(c.normWeight());
        FloatArray nb = FloatArray.fromArray(c.normBias());
        FloatArray normed = nans(rows * width);
        FloatArray wa = FloatArray.fromArray(c.weight());
        FloatArray ba = orPlaceholder(c.bias());
        FloatArray y = nans(rows * cols);
        FloatArray dw = FloatArray.fromArray(c.downWeight());
        FloatArray db = orPlaceholder(c.downBias());
        int flags = MatrixMultiply.residualNormFlags(c.residualBias() != null, c.bias() != null, down, c.downBias() != null, norm, activation, lanes);
        TaskGraph graph = new TaskGraph("residualNorm").transferToDevice(DataTransferMode.EVERY_EXECUTION, ia, xa, rw, rb, nw, nb, wa, ba, dw, db)
                .task("kernel", MatrixMultiply::residualNormLinearTiled, new KernelContext(), ia, rw, rb, xa, nw, nb, normed, wa, ba, y, dw, db, rows, inner,
                        width, cols, groupRows, eps, flags)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, xa, normed, y);
        Plans.executeOnce(graph, new GridScheduler("residualNorm.kernel", MatrixMultiply.normTiledGrid(rows, Math.max(width, cols), groupRows)));
        return new Outputs(xa.toHeapArray(), normed.toHeapArray(), y.toHeapArray());
    }

    private static Outputs normLinear(float[] x, float[] normWeight, float[] normBias, float[] weight, float[] bias, int rows, int width, int cols,
            int groupRows, int norm, float eps, int activation) {
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray nw = FloatArray.fromArray(normWeight);
        FloatArray nb = FloatArray.fromArray(normBias);
        FloatArray normed = nans(rows * width);
        FloatArray wa = FloatArray.fromArray(weight);
        FloatArray ba = orPlaceholder(bias);
        FloatArray y = nans(rows * cols);
        TaskGraph graph = new TaskGraph("normLinear").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, nw, nb, wa, ba)
                .task("kernel", MatrixMultiply::normLinearTiled, new KernelContext(), xa, nw, nb, normed, wa, ba, y, rows, width, cols, groupRows, norm, eps,
                        bias == null ? 0 : 1, activation, 16)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, normed, y);
        Plans.executeOnce(graph, new GridScheduler("normLinear.kernel", MatrixMultiply.normTiledGrid(rows, cols, groupRows)));
        return new Outputs(x, normed.toHeapArray(), y.toHeapArray());
    }
}
