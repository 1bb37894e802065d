package org.attentionlab.kernels.testing;

import java.util.Arrays;

import org.attentionlab.kernels.AttentionKernels;
import org.attentionlab.kernels.AttentionLaunch;
import org.attentionlab.kernels.AttentionLaunch.Backward;
import org.attentionlab.kernels.MatrixMultiply;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Runs the attention backward of an {@link AttentionCase} for an output gradient {@code dOut}: the forward
 * ({@link AttentionKernels#memoryEfficient}, which needs no scratch), then {@link AttentionKernels#rowLogSumExp},
 * {@link AttentionKernels#rowOutputGradientDot}, {@link AttentionKernels#queryGradient} and
 * {@link AttentionKernels#keyValueGradient}, either as plain Java calls or as one TaskGraph whose intermediate
 * buffers stay on the device, the backward's tasks then by {@link AttentionLaunch#addBackwardTasks} with either of its
 * kernel sets (the rows above, or the register tiles: {@link AttentionKernels#flashLogSumExp},
 * {@link AttentionKernels#flashQueryGradient}, {@link AttentionKernels#flashKeyValueGradient}). Every output starts as
 * NaN, so an element no kernel writes cannot pass.
 */
public final class AttentionBackwardRunner {

    /** What the five kernels wrote; the row statistics split into L and D, each {@code [batch, heads, seq]}. */
    public record Result(float[] out, float[] logSumExp, float[] rowDot, float[] dq, float[] dk, float[] dv) {
    }

    private AttentionBackwardRunner() {
    }

    /** The five kernels as plain Java calls, one after the other. */
    public static Result runPlain(AttentionCase c, float[] dOut) {
        return runPlain(c, dOut, c.kernelWindows());
    }

    /** {@link #runPlain(AttentionCase, float[])} with the kernels' {@code windows} given (e.g. with attention dropout). */
    public static Result runPlain(AttentionCase c, float[] dOut, IntArray windows) {
        Arguments a = new Arguments(c, dOut, windows);
        AttentionKernels.memoryEfficient(a.q, a.k, a.v, a.out, a.globals, a.numGlobal, a.slopes, c.batch(), c.seqLen(), c.numHeads(), c.numKvHeads(),
                c.headDim(), a.windows, a.causal, c.biasKind(), c.apeScale(), c.scale(), AttentionKernels.MEMORY_EFFICIENT_MAX_CHUNK);
        AttentionKernels.rowLogSumExp(a.q, a.k, a.rowStatistics, a.globals, a.numGlobal, a.slopes, c.batch(), c.seqLen(), c.numHeads(), c.numKvHeads(),
                c.headDim(), a.windows, a.causal, c.biasKind(), c.apeScale(), c.scale());
        AttentionKernels.rowOutputGradientDot(a.out, a.dOut, a.rowStatistics, c.batch(), c.seqLen(), c.numHeads(), c.headDim());
        AttentionKernels.queryGradient(a.q, a.k, a.v, a.dOut, a.rowStatistics, a.dq, a.globals, a.numGlobal, a.slopes, c.batch(), c.seqLen(),
                c.numHeads(), c.numKvHeads(), c.headDim(), a.windows, a.causal, c.biasKind(), c.apeScale(), c.scale());
        AttentionKernels.keyValueGradient(a.q, a.k, a.v, a.dOut, a.rowStatistics, a.dk, a.dv, a.globals, a.numGlobal, a.slopes, c.batch(),
                c.seqLen(), c.numHeads(), c.numKvHeads(), c.headDim(), a.windows, a.causal, c.biasKind(), c.apeScale(), c.scale());
        return a.result();
    }

    /** The five kernels as the tasks of one TaskGraph on TornadoVM's default device (the JVM implementation here), the backward by rows. */
    public static Result run(AttentionCase c, float[] dOut, String graphName) {
        return run(c, dOut, graphName, c.kernelWindows());
    }

    /** {@link #run(AttentionCase, float[], String)} with the kernels' {@code windows} given. */
    public static Result run(AttentionCase c, float[] dOut, String graphName, IntArray windows) {
        return run(c, dOut, graphName, windows, Backward.ROWS);
    }

    /** {@link #run(AttentionCase, float[], String)} with the backward's register-tiled kernels ({@link Backward#REGISTER_TILES}). */
    public static Result runTiled(AttentionCase c, float[] dOut, String graphName) {
        return run(c, dOut, graphName, c.kernelWindows(), Backward.REGISTER_TILES);
    }

    /**
     * The forward, then the backward's tasks as {@link AttentionLaunch#addBackwardTasks} adds them for {@code kernels},
     * on the grids it gives, in one TaskGraph on TornadoVM's default device.
     */
    public static Result run(AttentionCase c, float[] dOut, String graphName, IntArray windows, Backward kernels) {
        Arguments a = new Arguments(c, dOut, windows);
        AttentionLaunch launch = new AttentionLaunch(AttentionLaunch.Algorithm.MEMORY_EFFICIENT, c.batch(), c.seqLen(), c.numHeads(), c.numKvHeads(),
                c.headDim(), a.windows, c.causal(), a.globals, a.numGlobal, c.biasKind(), a.slopes, c.apeScale(), c.scale(),
                AttentionKernels.MEMORY_EFFICIENT_MAX_CHUNK);
        TaskGraph graph = new TaskGraph(graphName).transferToDevice(DataTransferMode.EVERY_EXECUTION, a.q, a.k, a.v, a.dOut, a.globals, a.windows, a.slopes);
        launch.addTask(graph, "forward", a.q, a.k, a.v, a.out, null);
        launch.addBackwardTasks(graph, "attention", kernels, a.q, a.k, a.v, a.out, a.dOut, a.rowStatistics, a.dq, a.dk, a.dv);
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, a.out, a.rowStatistics, a.dq, a.dk, a.dv);
        GridScheduler grids = new GridScheduler();
        launch.backwardGrids(kernels, MatrixMultiply.groupItemsForDefaultDevice())
                .forEach((suffix, grid) -> grids.addWorkerGrid(graphName + ".attention" + suffix, grid));
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            if (kernels == Backward.REGISTER_TILES) {
                plan.withGridScheduler(grids);
            }
            plan.execute();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException(e);
        }
        return a.result();
    }

    private static final class Arguments {
        final FloatArray q;
        final FloatArray k;
        final FloatArray v;
        final FloatArray dOut;
        final IntArray globals;
        final IntArray windows;
        final int numGlobal;
        final int causal;
        final FloatArray slopes;
        final FloatArray out;
        final FloatArray rowStatistics;
        final int rows;
        final FloatArray dq;
        final FloatArray dk;
        final FloatArray dv;

        Arguments(AttentionCase c, float[] gradient, IntArray kernelWindows) {
            q = FloatArray.fromArray(c.q());
            k = FloatArray.fromArray(c.k());
            v = FloatArray.fromArray(c.v());
            dOut = FloatArray.fromArray(gradient);
            numGlobal = c.globalTokens().length;
            globals = IntArray.fromArray(numGlobal == 0 ? new int[] { 0 } : c.globalTokens());
            slopes = FloatArray.fromArray(c.slopes());
            windows = kernelWindows;
            causal = c.causal() ? 1 : 0;
            out = nans(c.q().length);
            AttentionKernels.checkArguments(q, k, v, out, globals, numGlobal, slopes, c.batch(), c.seqLen(), c.numHeads(), c.numKvHeads(), c.headDim(),
                    windows, causal, c.biasKind());
            if (gradient.length != c.q().length) {
                throw new IllegalArgumentException("dOut has " + gradient.length + " elements, q " + c.q().length);
            }
            rows = c.batch() * c.numHeads() * c.seqLen();
            rowStatistics = nans(AttentionKernels.backwardRowStatisticsSize(c.batch(), c.numHeads(), c.seqLen()));
            dq = nans(c.q().length);
            dk = nans(c.k().length);
            dv = nans(c.v().length);
        }

        Result result() {
            float[] statistics = rowStatistics.toHeapArray();
            return new Result(out.toHeapArray(), Arrays.copyOfRange(statistics, 0, rows), Arrays.copyOfRange(statistics, rows, 2 * rows), dq.toHeapArray(),
                    dk.toHeapArray(), dv.toHeapArray());
        }

        private static FloatArray nans(int size) {
            FloatArray array = new FloatArray(size);
            array.init(Float.NaN);
            return array;
        }
    }
}
