package org.attentionlab.kernels.device;

import java.util.SplittableRandom;

import org.attentionlab.kernels.Activations;
import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.kernels.MatrixMultiply;
import org.attentionlab.kernels.Normalization;
import org.attentionlab.kernels.SequencePooling;
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
 * The kernels that run a launch of their own with the next step, on a TornadoVM device, bit for bit against the tasks
 * the model runs where they are not fused, on the same device: {@link MatrixMultiply#residualNormTiled} against
 * {@link MatrixMultiply#linearTiled} adding into x, the norm kernel in place and {@link SequencePooling#lastPosition};
 * {@link LinearKernels#inputNormQkvProjectionTiled} against a copy task, then {@link LinearKernels#normQkvProjectionTiled}.
 * Shapes: 140 rows (a partial last group), 300 inputs and a 300-wide stream (a partial panel and tile); rnope-swa's at
 * L = 128 (128 x 1024 -> 256 and 128 x 256 -> 3 x 256, two groups of 64 rows).
 */
class ResidualNormFusionsIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    private static FloatArray orPlaceholder(float[] values) {
        return values == null ? new FloatArray(1) : FloatArray.fromArray(values);
    }

    @ParameterizedTest(name = "{0}x{1}x{2}->{3}, {4} rows per group, norm {5}, flags {6}, {7} lanes")
    @CsvSource({ "2, 70, 300, 300, 64, 1, 3, 16", "2, 70, 300, 300, 64, 1, 3, 8", "5, 28, 300, 300, 32, 2, 2, 16",
            "5, 28, 300, 300, 32, 2, 2, 8", "1, 128, 1024, 256, 64, 1, 3, 16", "1, 128, 1024, 256, 64, 1, 3, 8",
            "3, 24, 64, 40, 32, 1, 1, 16", "3, 24, 64, 40, 32, 1, 1, 8" })
    void residualNormTiled(int batch, int seqLen, int inner, int width, int groupRows, int norm, int flags, int lanes) {
        int rows = batch * seqLen;
        ResidualNormCase c = ResidualNormCase.random(new SplittableRandom(rows * 23L + width + norm), rows, inner, width, 1, flags & 1);
        float eps = Normalization.LAYER_NORM_EPS;
        FloatArray input = FloatArray.fromArray(c.input());
        FloatArray rw = FloatArray.fromArray(c.residualWeight());
        FloatArray rb = orPlaceholder(c.residualBias());
        FloatArray nw = FloatArray.fromArray(c.normWeight());
        FloatArray nb = FloatArray.fromArray(c.normBias());
        String what = "MatrixMultiply.residualNormTiled " + batch + "x" + seqLen + "x" + inner + "->" + width + " (" + groupRows + " rows per group, norm "
                + norm + ", flags " + flags + ", " + lanes + " lanes)";

        FloatArray x = FloatArray.fromArray(c.x());
        FloatArray last = DeviceTasks.nans(batch * width);
        TaskGraph fused = DeviceTasks.graph("residualNormTiled").transferToDevice(DataTransferMode.EVERY_EXECUTION, input, rw, rb, x, nw, nb, last)
                .task(DeviceTasks.TASK, MatrixMultiply::residualNormTiled, new KernelContext(), input, rw, rb, x, nw, nb, last, rows, inner, width, seqLen,
                        groupRows, flags + 4 * norm + (lanes == 8 ? MatrixMultiply.RESIDUAL_NORM_EIGHT_LANES : 0), eps)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, x, last);
        DeviceTasks.execute(fused, MatrixMultiply.normTiledGrid(rows, width, groupRows));

        FloatArray sx = FloatArray.fromArray(c.x());
        FloatArray sLast = DeviceTasks.nans(batch * width);
        TaskGraph separate = DeviceTasks.graph("linearTiledThenNormThenLastPosition").transferToDevice(DataTransferMode.EVERY_EXECUTION, input, rw, rb, sx, nw,
                nb, sLast)
                .task("residual", MatrixMultiply::linearTiled, new KernelContext(), input, rw, rb, sx, rows, inner, width, flags & 1, MatrixMultiply.NONE, 1, 16);
        if (norm == Normalization.RMS_NORM) {
            separate.task("norm", Normalization::rmsNorm, sx, nw, sx, rows, width, eps);
        } else {
            separate.task("norm", Normalization::layerNorm, sx, nw, nb, sx, rows, width, eps);
        }
        separate.task("last", SequencePooling::lastPosition, sx, sLast, batch, seqLen, width).transferToHost(DataTransferMode.EVERY_EXECUTION, sx, sLast);
        GridScheduler scheduler = new GridScheduler();
        scheduler.addWorkerGrid(DeviceTasks.gridKey(separate, "residual"), MatrixMultiply.tiledGrid(rows, width, 1));
        DeviceTasks.execute(separate, scheduler);

        DeviceCheck.assertIdentical(sx.toHeapArray(), x.toHeapArray(), what + ": x against linearTiled adding into it, then the norm");
        DeviceCheck.assertIdentical((flags & 2) != 0 ? sLast.toHeapArray() : DeviceTasks.nans(batch * width).toHeapArray(), last.toHeapArray(),
                what + ((flags & 2) != 0 ? ": the last positions against lastPosition's" : ": last positions not written"));
    }

    @ParameterizedTest(name = "{0}x{1}->{2}+2x{3}, {4} rows per group, norm {5}, bias {6}, {7} lanes")
    @CsvSource({ "140, 300, 37, 11, 64, 1, 1, 16", "140, 300, 37, 11, 64, 1, 1, 8", "140, 300, 24, 24, 128, 2, 0, 16",
            "140, 300, 24, 24, 128, 2, 0, 8", "128, 256, 256, 256, 64, 1, 1, 16", "128, 256, 256, 256, 64, 1, 1, 8" })
    void inputNormQkvProjectionTiled(int rows, int width, int qFeatures, int kvFeatures, int groupRows, int norm, int hasBias, int lanes) {
        int outFeatures = qFeatures + 2 * kvFeatures;
        ResidualNormCase c = ResidualNormCase.random(new SplittableRandom(rows * 31L + outFeatures + width), rows, 1, width, outFeatures, 2 * hasBias);
        float eps = Normalization.LAYER_NORM_EPS;
        FloatArray input = FloatArray.fromArray(c.x());
        FloatArray nw = FloatArray.fromArray(c.normWeight());
        FloatArray nb = FloatArray.fromArray(c.normBias());
        FloatArray w = FloatArray.fromArray(c.weight());
        FloatArray b = orPlaceholder(c.bias());
        String what = "LinearKernels.inputNormQkvProjectionTiled " + rows + "x" + width + "->" + qFeatures + "+2x" + kvFeatures + " (" + groupRows
                + " rows per group, norm " + norm + ", bias " + hasBias + ", " + lanes + " lanes)";
        FloatArray[][] outputs = new FloatArray[2][];
        for (int fused = 0; fused < 2; fused++) {
            FloatArray[] o = { DeviceTasks.nans(rows * width), DeviceTasks.nans(rows * width), DeviceTasks.nans(rows * qFeatures),
                    DeviceTasks.nans(rows * kvFeatures), DeviceTasks.nans(rows * kvFeatures) };
            TaskGraph graph = DeviceTasks.graph(fused == 1 ? "inputNormQkvProjectionTiled" : "copyThenNormQkvProjectionTiled")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, input, nw, nb, w, b);
            if (fused == 1) {
                graph.task(DeviceTasks.TASK, LinearKernels::inputNormQkvProjectionTiled, new KernelContext(), input, o[0], nw, nb, o[1], w, b, o[2], o[3], o[4],
                        rows, width, qFeatures, kvFeatures, groupRows, norm, eps, hasBias, lanes);
            } else {
                graph.task("copy", Activations::scale, input, o[0], 1f, rows * width).task(DeviceTasks.TASK, LinearKernels::normQkvProjectionTiled,
                        new KernelContext(), o[0], nw, nb, o[1], w, b, o[2], o[3], o[4], rows, width, qFeatures, kvFeatures, groupRows, norm, eps, hasBias, lanes);
            }
            graph.transferToHost(DataTransferMode.EVERY_EXECUTION, (Object[]) o);
            GridScheduler scheduler = new GridScheduler();
            scheduler.addWorkerGrid(DeviceTasks.gridKey(graph, DeviceTasks.TASK), MatrixMultiply.normTiledGrid(rows, Math.max(width, outFeatures), groupRows));
            DeviceTasks.execute(graph, scheduler);
            outputs[fused] = o;
        }
        String[] names = { "x", "normalised rows", "q", "k", "v" };
        for (int i = 0; i < names.length; i++) {
            DeviceCheck.assertIdentical(outputs[0][i].toHeapArray(), outputs[1][i].toHeapArray(), what + ": " + names[i] + " against the copy, then normQkvProjectionTiled");
        }
        DeviceCheck.assertIdentical(c.x(), outputs[1][0].toHeapArray(), what + ": x, the input copied");
    }
}
