package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.testing.Plans;
import org.attentionlab.kernels.testing.ResidualNormCase;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The kernels that run a launch of their own with the next step, on the JVM implementation (a work-group's items are
 * threads meeting at its barriers; scratch starts as NaN): {@link MatrixMultiply#residualNormTiled} (the last block's
 * down projection and residual add, the final norm in place, the last positions) and
 * {@link LinearKernels#inputNormQkvProjectionTiled} (the copy of the model's input into the stream with the first
 * block's norm and q/k/v projection). Randomised shapes: rows that are not a multiple of the group's rows (one row
 * included), inner dimensions and widths that are not multiples of a tile or a panel (300: a panel of 256 and a partial
 * one), LayerNorm and RMSNorm, each bias present or not. Bit for bit against the separate tasks the model runs
 * otherwise: {@link MatrixMultiply#linearTiled} adding into x, the norm kernel in place and
 * {@link SequencePooling#lastPosition}; the copy task and {@link LinearKernels#normQkvProjectionTiled}.
 */
class ResidualNormFusionsTest {

    // The shapes and helpers of ResidualNormLinearTest, whose kernel's phases these kernels share.
    private static final int[] INNER = ResidualNormLinearTest.INNER;
    private static final int[] WIDTH = ResidualNormLinearTest.WIDTH;
    private static final int[] GROUP_ROWS = ResidualNormLinearTest.GROUP_ROWS;

    private static FloatArray nans(int size) {
        return ResidualNormLinearTest.nans(size);
    }

    private static FloatArray orPlaceholder(float[] values) {
        return ResidualNormLinearTest.orPlaceholder(values);
    }

    @Property(tries = 16)
    void residualNormEqualsTheResidualProjectionThenTheNormThenTheLastPositions(@ForAll @IntRange(min = 1, max = 6) int batch,
            @ForAll @IntRange(min = 1, max = 50) int seqLen, @ForAll @IntRange(min = 0, max = 2) int innerIndex, @ForAll @IntRange(min = 0, max = 2) int widthIndex,
            @ForAll @IntRange(min = 0, max = 2) int groupRowsIndex, @ForAll boolean rms, @ForAll boolean residualBias, @ForAll boolean lastPositions)
            throws TornadoExecutionPlanException {
        int rows = batch * seqLen;
        int inner = INNER[innerIndex];
        int width = WIDTH[widthIndex];
        int groupRows = GROUP_ROWS[groupRowsIndex];
        ResidualNormCase c = ResidualNormCase.random(new SplittableRandom(rows * 37L + seqLen + inner + width), rows, inner, width, 1, residualBias ? 1 : 0);
        int norm = rms ? Normalization.RMS_NORM : Normalization.LAYER_NORM;
        float eps = rms ? 1e-6f : Normalization.LAYER_NORM_EPS;
        FloatArray normWeight = FloatArray.fromArray(c.normWeight());
        FloatArray normBias = FloatArray.fromArray(c.normBias());
        FloatArray sx = FloatArray.fromArray(MatrixMultiplyTest.linear(true, c.input(), c.residualWeight(), c.residualBias(), c.x(), rows, inner, width,
                MatrixMultiply.NONE, 1));
        FloatArray sLast = nans(batch * width);
        TaskGraph separate = new TaskGraph("separate").transferToDevice(DataTransferMode.EVERY_EXECUTION, sx, normWeight, normBias, sLast);
        if (rms) {
            separate.task("norm", Normalization::rmsNorm, sx, normWeight, sx, rows, width, eps);
        } else {
            separate.task("norm", Normalization::layerNorm, sx, normWeight, normBias, sx, rows, width, eps);
        }
        separate.task("last", SequencePooling::lastPosition, sx, sLast, batch, seqLen, width).transferToHost(DataTransferMode.EVERY_EXECUTION, sx, sLast);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(separate.snapshot())) {
            plan.execute();
        }

        for (int lanes : NormProjectionsTest.LANES) {
            String what = "residualNormTiled " + batch + "x" + seqLen + "x" + inner + "->" + width + " (" + groupRows + " rows per group, "
                    + (rms ? "RMSNorm" : "LayerNorm") + (residualBias ? ", bias" : "") + (lastPositions ? ", last positions" : "") + ", " + lanes + " lanes)";
            FloatArray x = FloatArray.fromArray(c.x());
            FloatArray last = nans(batch * width);
            FloatArray input = FloatArray.fromArray(c.input());
            FloatArray residualWeight = FloatArray.fromArray(c.residualWeight());
            FloatArray bias = orPlaceholder(c.residualBias());
            int flags = (residualBias ? 1 : 0) + (lastPositions ? 2 : 0) + 4 * norm + (lanes == 8 ? MatrixMultiply.RESIDUAL_NORM_EIGHT_LANES : 0);
            TaskGraph graph = new TaskGraph("fused").transferToDevice(DataTransferMode.EVERY_EXECUTION, input, residualWeight, bias, x, normWeight, normBias,
                    last).task("kernel", MatrixMultiply::residualNormTiled, new KernelContext(), input, residualWeight, bias, x, normWeight, normBias, last, rows,
                            inner, width, seqLen, groupRows, flags, eps)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, x, last);
            Plans.executeOnce(graph, new GridScheduler("fused.kernel", MatrixMultiply.normTiledGrid(rows, width, groupRows)));
            assertArrayEquals(sx.toHeapArray(), x.toHeapArray(), what + ": x against linearTiled adding into it, then the norm in place");
            assertArrayEquals(lastPositions ? sLast.toHeapArray() : nans(batch * width).toHeapArray(), last.toHeapArray(),
                    what + (lastPositions ? ": the last positions against lastPosition's" : ": last positions not written"));
        }
    }

    @Property(tries = 12)
    void inputNormQkvEqualsTheCopyThenTheNormQkvProjection(@ForAll @IntRange(min = 1, max = 150) int rows, @ForAll @IntRange(min = 0, max = 2) int widthIndex,
            @ForAll @IntRange(min = 1, max = 30) int qFeatures, @ForAll @IntRange(min = 1, max = 12) int kvFeatures,
            @ForAll @IntRange(min = 0, max = 2) int groupRowsIndex, @ForAll boolean rms, @ForAll boolean hasBias) {
        int width = WIDTH[widthIndex];
        int outFeatures = qFeatures + 2 * kvFeatures;
        int groupRows = GROUP_ROWS[groupRowsIndex];
        ResidualNormCase c = ResidualNormCase.random(new SplittableRandom(rows * 43L + outFeatures + width), rows, 1, width, outFeatures, hasBias ? 2 : 0);
        int norm = rms ? Normalization.RMS_NORM : Normalization.LAYER_NORM;
        float eps = rms ? 1e-6f : Normalization.LAYER_NORM_EPS;
        for (int lanes : NormProjectionsTest.LANES) {
            String what = "inputNormQkvProjectionTiled " + rows + "x" + width + "->" + qFeatures + "+2x" + kvFeatures + " (" + groupRows + " rows per group, "
                    + (rms ? "RMSNorm" : "LayerNorm") + (hasBias ? ", bias" : "") + ", " + lanes + " lanes)";
            assertCopyThenNormQkv(what, c, rows, width, qFeatures, kvFeatures, groupRows, norm, eps, hasBias, lanes);
        }
    }

    /** inputNormQkvProjectionTiled against the copy task, then normQkvProjectionTiled, both with the row tiles for {@code lanes}. */
    private static void assertCopyThenNormQkv(String what, ResidualNormCase c, int rows, int width, int qFeatures, int kvFeatures, int groupRows, int norm,
            float eps, boolean hasBias, int lanes) {
        int outFeatures = qFeatures + 2 * kvFeatures;
        FloatArray input = FloatArray.fromArray(c.x());
        FloatArray normWeight = FloatArray.fromArray(c.normWeight());
        FloatArray normBias = FloatArray.fromArray(c.normBias());
        FloatArray weight = FloatArray.fromArray(c.weight());
        FloatArray bias = orPlaceholder(c.bias());
        FloatArray[] outputs = new FloatArray[10];
        for (int fused = 0; fused < 2; fused++) {
            FloatArray x = nans(rows * width);
            FloatArray normed = nans(rows * width);
            FloatArray q = nans(rows * qFeatures);
            FloatArray k = nans(rows * kvFeatures);
            FloatArray v = nans(rows * kvFeatures);
            TaskGraph graph = new TaskGraph("qkv").transferToDevice(DataTransferMode.EVERY_EXECUTION, input, normWeight, normBias, weight, bias);
            if (fused == 1) {
                graph.task("kernel", LinearKernels::inputNormQkvProjectionTiled, new KernelContext(), input, x, normWeight, normBias, normed, weight, bias, q, k,
                        v, rows, width, qFeatures, kvFeatures, groupRows, norm, eps, hasBias ? 1 : 0, lanes);
            } else {
                graph.task("copy", Activations::scale, input, x, 1f, rows * width).task("kernel", LinearKernels::normQkvProjectionTiled, new KernelContext(), x,
                        normWeight, normBias, normed, weight, bias, q, k, v, rows, width, qFeatures, kvFeatures, groupRows, norm, eps, hasBias ? 1 : 0, lanes);
            }
            graph.transferToHost(DataTransferMode.EVERY_EXECUTION, x, normed, q, k, v);
            Plans.executeOnce(graph, new GridScheduler("qkv.kernel", MatrixMultiply.normTiledGrid(rows, Math.max(width, outFeatures), groupRows)));
            System.arraycopy(new FloatArray[] { x, normed, q, k, v }, 0, outputs, 5 * fused, 5);
        }
        String[] names = { "x", "normalised rows", "q", "k", "v" };
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(outputs[i].toHeapArray(), outputs[5 + i].toHeapArray(), what + ": " + names[i] + " against the copy, then normQkvProjectionTiled");
        }
        assertArrayEquals(c.x(), outputs[5].toHeapArray(), what + ": x, the input copied");
    }

    @Test
    void aSequenceEndingInsideAGroupOfTheNext() {
        // 3 sequences of 24 rows in groups of 32: the second ends in the second group, which starts inside it.
        SplittableRandom random = new SplittableRandom(3);
        ResidualNormCase c = ResidualNormCase.random(random, 72, 16, 17, 1, 0);
        FloatArray x = FloatArray.fromArray(c.x());
        FloatArray last = nans(3 * 17);
        FloatArray normWeight = FloatArray.fromArray(c.normWeight());
        TaskGraph graph = new TaskGraph("fused").transferToDevice(DataTransferMode.EVERY_EXECUTION, x, last, normWeight)
                .task("kernel", MatrixMultiply::residualNormTiled, new KernelContext(), FloatArray.fromArray(c.input()), FloatArray.fromArray(c.residualWeight()),
                        new FloatArray(1), x, normWeight, new FloatArray(1), last, 72, 16, 17, 24, 32, 2 + 4 * Normalization.RMS_NORM, 1e-6f)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, x, last);
        Plans.executeOnce(graph, new GridScheduler("fused.kernel", MatrixMultiply.normTiledGrid(72, 17, 32)));
        float[] rows = x.toHeapArray();
        float[] lastRows = last.toHeapArray();
        for (int b = 0; b < 3; b++) {
            for (int j = 0; j < 17; j++) {
                assertArrayEquals(new float[] { rows[(b * 24 + 23) * 17 + j] }, new float[] { lastRows[b * 17 + j] }, "sequence " + b + ", column " + j);
            }
        }
    }
}
