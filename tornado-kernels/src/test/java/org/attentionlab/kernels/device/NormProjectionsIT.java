package org.attentionlab.kernels.device;

import java.util.SplittableRandom;

import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.kernels.MatrixMultiply;
import org.attentionlab.kernels.Normalization;
import org.attentionlab.kernels.reference.MatrixReference.Expected;
import org.attentionlab.kernels.reference.NormProjectionReference;
import org.attentionlab.kernels.testing.AttentionRunner;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The projections that normalise their own input on a TornadoVM device, against the unit tests' float64 references
 * and bounds ({@link NormProjectionReference}), and bit for bit against the norm kernel followed by the unfused
 * register-tiled projection on the same device (what the model ran before: its twins' tolerances rest on it). Two
 * shapes: 140 rows x 300 inputs -> 37 columns (a partial last group, a partial panel, a partial tile) and
 * rnope-swa's at L = 128 (128 x 256 -> 768 q/k/v columns, 1024 feed-forward columns, two groups of 64 rows); and for
 * normLinearTiled 1100 inputs, wider than a staged input panel ({@link MatrixMultiply#INPUT_PANEL_DEPTH}).
 */
class NormProjectionsIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    private static FloatArray orPlaceholder(float[] values) {
        return values == null ? new FloatArray(1) : FloatArray.fromArray(values);
    }

    /** A case's input and its norm: x {@code [rows, inner]} (gaussian, scale 2), the norm's weight and bias, on the device as arrays. */
    private record NormInput(int rows, int inner, int norm, float[] x, float[] normWeight, float[] normBias, FloatArray xa, FloatArray nw, FloatArray nb) {

        static final float EPS = Normalization.LAYER_NORM_EPS;

        static NormInput random(SplittableRandom random, int rows, int inner, int norm) {
            float[] x = RandomArrays.gaussian(random, rows * inner, 2.0);
            float[] normWeight = RandomArrays.uniform(random, inner, 0.5, 1.5);
            float[] normBias = RandomArrays.gaussian(random, inner, 0.5);
            return new NormInput(rows, inner, norm, x, normWeight, normBias, FloatArray.fromArray(x), FloatArray.fromArray(normWeight),
                    FloatArray.fromArray(normBias));
        }

        /** The float64 normalised rows. */
        double[] reference() {
            return NormProjectionReference.normalized(x, normWeight, normBias, norm == Normalization.RMS_NORM, rows, inner, EPS);
        }

        /** The norm task's output on the device: the unfused model's first step. */
        float[] normalizeOnDevice() {
            FloatArray out = DeviceTasks.nans(rows * inner);
            TaskGraph graph = DeviceTasks.graph("norm").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, nw, nb);
            if (norm == Normalization.LAYER_NORM) {
                graph.task(DeviceTasks.TASK, Normalization::layerNorm, xa, nw, nb, out, rows, inner, EPS);
            } else {
                graph.task(DeviceTasks.TASK, Normalization::rmsNorm, xa, nw, out, rows, inner, EPS);
            }
            graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
            DeviceTasks.execute(graph);
            return out.toHeapArray();
        }
    }

    @ParameterizedTest(name = "{0}x{1}->{2}, {3} rows per group, norm {4}, activation {5}, bias {6}, {7} lanes")
    @CsvSource({ "140, 300, 37, 64, 1, 2, 1, 16", "140, 300, 37, 64, 1, 2, 1, 8", "140, 300, 37, 128, 2, 4, 0, 16",
            "140, 300, 37, 128, 2, 4, 0, 8", "128, 256, 1024, 64, 1, 2, 1, 16", "128, 256, 1024, 64, 1, 2, 1, 8",
            "100, 64, 20, 32, 1, 1, 0, 16", "100, 64, 20, 32, 1, 1, 0, 8", "40, 1100, 20, 32, 1, 2, 1, 16",
            "40, 1100, 20, 32, 1, 2, 1, 8" })
    void normLinearTiled(int rows, int inner, int cols, int groupRows, int norm, int activation, int hasBias, int lanes) {
        SplittableRandom random = new SplittableRandom(rows * 7L + cols + norm);
        NormInput in = NormInput.random(random, rows, inner, norm);
        float[] w = RandomArrays.gaussian(random, cols * inner, 1.0 / Math.sqrt(inner));
        float[] bias = hasBias != 0 ? RandomArrays.gaussian(random, cols, 1.0) : null;
        FloatArray xa = in.xa();
        FloatArray nw = in.nw();
        FloatArray nb = in.nb();
        float eps = NormInput.EPS;
        FloatArray normed = DeviceTasks.nans(rows * inner);
        FloatArray wa = FloatArray.fromArray(w);
        FloatArray ba = orPlaceholder(bias);
        FloatArray y = DeviceTasks.nans(rows * cols);
        TaskGraph graph = DeviceTasks.graph("normLinearTiled").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, nw, nb, wa, ba)
                .task(DeviceTasks.TASK, MatrixMultiply::normLinearTiled, new KernelContext(), xa, nw, nb, normed, wa, ba, y, rows, inner, cols, groupRows, norm,
                        eps, hasBias, activation, lanes)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y, normed);
        DeviceTasks.execute(graph, MatrixMultiply.normTiledGrid(rows, cols, groupRows));
        String what = "MatrixMultiply.normLinearTiled " + rows + "x" + inner + "->" + cols + " (" + groupRows + " rows per group, norm " + norm
                + ", activation " + activation + ", " + lanes + " lanes)";
        Expected expected = NormProjectionReference.linear(in.reference(), w, bias, rows, inner, cols, activation);
        DeviceCheck.assertWithinReference(expected.values(), y.toHeapArray(), expected.bounds(), what);

        float[] separateNormed = in.normalizeOnDevice();
        DeviceCheck.assertIdentical(separateNormed, normed.toHeapArray(), what + ": its normalised rows against the norm task");
        FloatArray sx = FloatArray.fromArray(separateNormed);
        FloatArray sy = DeviceTasks.nans(rows * cols);
        TaskGraph separate = DeviceTasks.graph("linearTiled").transferToDevice(DataTransferMode.EVERY_EXECUTION, sx, wa, ba)
                .task(DeviceTasks.TASK, MatrixMultiply::linearTiled, new KernelContext(), sx, wa, ba, sy, rows, inner, cols, hasBias, activation, 0, 16)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, sy);
        DeviceTasks.execute(separate, MatrixMultiply.tiledGrid(rows, cols, 1));
        DeviceCheck.assertIdentical(sy.toHeapArray(), y.toHeapArray(), what + ": against the norm task, then linearTiled");
    }

    @ParameterizedTest(name = "{0}x{1}->{2}, {3} rows per group, norm {4}, activation {5}, bias {6}")
    @CsvSource({ "140, 300, 37, 64, 1, 4, 1", "130, 256, 40, 128, 2, 3, 0" })
    void normGatedLinearTiled(int rows, int inner, int hidden, int groupRows, int norm, int activation, int hasBias) {
        SplittableRandom random = new SplittableRandom(rows * 11L + hidden + norm);
        NormInput in = NormInput.random(random, rows, inner, norm);
        float[] gate = RandomArrays.gaussian(random, hidden * inner, 1.0 / Math.sqrt(inner));
        float[] up = RandomArrays.gaussian(random, hidden * inner, 1.0 / Math.sqrt(inner));
        float[] gateBias = hasBias != 0 ? RandomArrays.gaussian(random, hidden, 1.0) : null;
        float[] upBias = hasBias != 0 ? RandomArrays.gaussian(random, hidden, 1.0) : null;
        FloatArray xa = in.xa();
        FloatArray nw = in.nw();
        FloatArray nb = in.nb();
        float eps = NormInput.EPS;
        FloatArray ga = FloatArray.fromArray(gate);
        FloatArray ua = FloatArray.fromArray(up);
        FloatArray gb = orPlaceholder(gateBias);
        FloatArray ub = orPlaceholder(upBias);
        FloatArray h = DeviceTasks.nans(rows * hidden);
        TaskGraph graph = DeviceTasks.graph("normGatedLinearTiled").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, nw, nb, ga, ua, gb, ub)
                .task(DeviceTasks.TASK, MatrixMultiply::normGatedLinearTiled, new KernelContext(), xa, nw, nb, DeviceTasks.nans(rows * inner), ga, ua, gb, ub, h,
                        rows, inner, hidden, groupRows, norm, eps, hasBias, activation)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, h);
        DeviceTasks.execute(graph, MatrixMultiply.normTiledGrid(rows, hidden, groupRows));
        String what = "MatrixMultiply.normGatedLinearTiled " + rows + "x" + inner + "->" + hidden + " (" + groupRows + " rows per group, norm " + norm
                + ", activation " + activation + ")";
        Expected expected = NormProjectionReference.gatedLinear(in.reference(), gate, up, gateBias, upBias, rows, inner, hidden, activation);
        DeviceCheck.assertWithinReference(expected.values(), h.toHeapArray(), expected.bounds(), what);

        FloatArray sx = FloatArray.fromArray(in.normalizeOnDevice());
        FloatArray sh = DeviceTasks.nans(rows * hidden);
        TaskGraph separate = DeviceTasks.graph("gatedLinearTiled").transferToDevice(DataTransferMode.EVERY_EXECUTION, sx, ga, ua, gb, ub)
                .task(DeviceTasks.TASK, MatrixMultiply::gatedLinearTiled, new KernelContext(), sx, ga, ua, gb, ub, sh, rows, inner, hidden, hasBias, activation, 16)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, sh);
        DeviceTasks.execute(separate, MatrixMultiply.tiledGrid(rows, hidden, 1));
        DeviceCheck.assertIdentical(sh.toHeapArray(), h.toHeapArray(), what + ": against the norm task, then gatedLinearTiled");
    }

    @ParameterizedTest(name = "{0}x{1}->{2}+2x{3}, {4} rows per group, norm {5}, bias {6}, {7} lanes")
    @CsvSource({ "128, 256, 256, 256, 64, 1, 0, 16", "128, 256, 256, 256, 64, 1, 0, 8", "70, 300, 24, 8, 32, 2, 1, 16",
            "70, 300, 24, 8, 32, 2, 1, 8" })
    void normQkvProjectionTiled(int rows, int inner, int qFeatures, int kvFeatures, int groupRows, int norm, int hasBias, int lanes) {
        int outFeatures = qFeatures + 2 * kvFeatures;
        SplittableRandom random = new SplittableRandom(rows * 13L + outFeatures + norm);
        NormInput in = NormInput.random(random, rows, inner, norm);
        float[] w = RandomArrays.gaussian(random, outFeatures * inner, 1.0 / Math.sqrt(inner));
        float[] bias = hasBias != 0 ? RandomArrays.gaussian(random, outFeatures, 1.0) : null;
        FloatArray xa = in.xa();
        FloatArray nw = in.nw();
        FloatArray nb = in.nb();
        float eps = NormInput.EPS;
        FloatArray wa = FloatArray.fromArray(w);
        FloatArray ba = orPlaceholder(bias);
        FloatArray[] fused = { DeviceTasks.nans(rows * qFeatures), DeviceTasks.nans(rows * kvFeatures), DeviceTasks.nans(rows * kvFeatures) };
        TaskGraph graph = DeviceTasks.graph("normQkvProjectionTiled").transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, nw, nb, wa, ba)
                .task(DeviceTasks.TASK, LinearKernels::normQkvProjectionTiled, new KernelContext(), xa, nw, nb, DeviceTasks.nans(rows * inner), wa, ba, fused[0],
                        fused[1], fused[2], rows, inner, qFeatures, kvFeatures, groupRows, norm, eps, hasBias, lanes)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, fused[0], fused[1], fused[2]);
        DeviceTasks.execute(graph, MatrixMultiply.normTiledGrid(rows, outFeatures, groupRows));

        FloatArray sx = FloatArray.fromArray(in.normalizeOnDevice());
        FloatArray[] separate = qkvProjectionTiled(sx, wa, ba, rows, inner, qFeatures, kvFeatures, hasBias, 16);
        // The tiles for 8 lanes (AVX2) too: the same bits as those for 16.
        FloatArray[] narrow = qkvProjectionTiled(sx, wa, ba, rows, inner, qFeatures, kvFeatures, hasBias, 8);

        Expected expected = NormProjectionReference.linear(in.reference(), w, bias, rows, inner, outFeatures, MatrixMultiply.NONE);
        int[] from = { 0, qFeatures, qFeatures + kvFeatures };
        int[] width = { qFeatures, kvFeatures, kvFeatures };
        for (int part = 0; part < 3; part++) {
            String what = "LinearKernels.normQkvProjectionTiled " + rows + "x" + inner + "->" + qFeatures + "+2x" + kvFeatures + " (" + groupRows
                    + " rows per group, norm " + norm + ", " + lanes + " lanes) part " + "qkv".charAt(part);
            Expected columns = NormProjectionReference.columns(expected, rows, outFeatures, from[part], width[part]);
            DeviceCheck.assertWithinReference(columns.values(), fused[part].toHeapArray(), columns.bounds(), what);
            DeviceCheck.assertIdentical(separate[part].toHeapArray(), fused[part].toHeapArray(), what + ": against the norm task, then qkvProjectionTiled");
            DeviceCheck.assertIdentical(separate[part].toHeapArray(), narrow[part].toHeapArray(), what + ": qkvProjectionTiled's tiles for 8 lanes against 16");
        }
    }

    /**
     * k and v stored head-major ({@link LinearKernels#qkvStoreCode}, what a model's forward gives flashTiled) by both
     * q/k/v projection kernels on the device: the token-major store's bits, permuted; q unchanged. Batch 2 x 35 rows,
     * 2 kv heads of 8 (whole row tiles inside a head) or of 12 (tiles across heads: per-value stores), with a bias.
     */
    @ParameterizedTest(name = "head dim {0}, {1} lanes")
    @CsvSource({ "8, 16", "8, 8", "12, 16", "12, 8" })
    void headMajorKeysAndValuesAreTheTokenMajorOnesPermuted(int headDim, int lanes) {
        int batch = 2;
        int seqLen = 35;
        int rows = batch * seqLen;
        int inner = 40;
        int kvFeatures = 2 * headDim;
        int qFeatures = 2 * kvFeatures;
        int outFeatures = qFeatures + 2 * kvFeatures;
        SplittableRandom random = new SplittableRandom(headDim * 31L + lanes);
        NormInput in = NormInput.random(random, rows, inner, 1);
        FloatArray wa = FloatArray.fromArray(RandomArrays.gaussian(random, outFeatures * inner, 1.0 / Math.sqrt(inner)));
        FloatArray ba = FloatArray.fromArray(RandomArrays.gaussian(random, outFeatures, 1.0));
        int headMajor = LinearKernels.qkvStoreCode(true, true, seqLen, headDim);
        FloatArray[] tokenMajor = qkvProjectionTiled(in.xa(), wa, ba, rows, inner, qFeatures, kvFeatures, 1, lanes);
        FloatArray[] permuted = qkvProjectionTiled(in.xa(), wa, ba, rows, inner, qFeatures, kvFeatures, headMajor, lanes);
        FloatArray[] fusedTokenMajor = normQkvProjectionTiled(in, wa, ba, rows, inner, qFeatures, kvFeatures, 1, lanes);
        FloatArray[] fusedPermuted = normQkvProjectionTiled(in, wa, ba, rows, inner, qFeatures, kvFeatures, headMajor, lanes);
        String what = "head dim " + headDim + ", " + lanes + " lanes";
        DeviceCheck.assertIdentical(tokenMajor[0].toHeapArray(), permuted[0].toHeapArray(), "qkvProjectionTiled q, " + what);
        DeviceCheck.assertIdentical(fusedTokenMajor[0].toHeapArray(), fusedPermuted[0].toHeapArray(), "normQkvProjectionTiled q, " + what);
        for (int part = 1; part < 3; part++) {
            DeviceCheck.assertIdentical(AttentionRunner.headMajor(tokenMajor[part].toHeapArray(), batch, seqLen, 2, headDim), permuted[part].toHeapArray(),
                    "qkvProjectionTiled " + "qkv".charAt(part) + " head-major, " + what);
            DeviceCheck.assertIdentical(AttentionRunner.headMajor(fusedTokenMajor[part].toHeapArray(), batch, seqLen, 2, headDim),
                    fusedPermuted[part].toHeapArray(), "normQkvProjectionTiled " + "qkv".charAt(part) + " head-major, " + what);
        }
    }

    /** {@link LinearKernels#normQkvProjectionTiled} of the input (LayerNorm, 32 rows per group) with {@code storeCode} as its hasBias: q, k and v. */
    private static FloatArray[] normQkvProjectionTiled(NormInput in, FloatArray wa, FloatArray ba, int rows, int inner, int qFeatures, int kvFeatures,
            int storeCode, int lanes) {
        FloatArray[] out = { DeviceTasks.nans(rows * qFeatures), DeviceTasks.nans(rows * kvFeatures), DeviceTasks.nans(rows * kvFeatures) };
        TaskGraph graph = DeviceTasks.graph("normQkvProjectionTiledStore" + storeCode + "x" + lanes)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, in.xa(), in.nw(), in.nb(), wa, ba)
                .task(DeviceTasks.TASK, LinearKernels::normQkvProjectionTiled, new KernelContext(), in.xa(), in.nw(), in.nb(), DeviceTasks.nans(rows * inner), wa,
                        ba, out[0], out[1], out[2], rows, inner, qFeatures, kvFeatures, 32, 1, NormInput.EPS, storeCode, lanes)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out[0], out[1], out[2]);
        DeviceTasks.execute(graph, MatrixMultiply.normTiledGrid(rows, qFeatures + 2 * kvFeatures, 32));
        return out;
    }

    /** {@link LinearKernels#qkvProjectionTiled} of {@code sx} with the tiles for {@code lanes}: q, k and v. */
    private static FloatArray[] qkvProjectionTiled(FloatArray sx, FloatArray wa, FloatArray ba, int rows, int inner, int qFeatures, int kvFeatures,
            int hasBias, int lanes) {
        FloatArray[] out = { DeviceTasks.nans(rows * qFeatures), DeviceTasks.nans(rows * kvFeatures), DeviceTasks.nans(rows * kvFeatures) };
        TaskGraph graph = DeviceTasks.graph("qkvProjectionTiled" + lanes + "s" + hasBias).transferToDevice(DataTransferMode.EVERY_EXECUTION, sx, wa, ba)
                .task(DeviceTasks.TASK, LinearKernels::qkvProjectionTiled, new KernelContext(), sx, wa, ba, out[0], out[1], out[2], rows, inner, qFeatures,
                        kvFeatures, hasBias, lanes)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out[0], out[1], out[2]);
        DeviceTasks.execute(graph, MatrixMultiply.tiledGrid(rows, qFeatures + 2 * kvFeatures, 1));
        return out;
    }
}
