package org.attentionlab.kernels.testing;

import org.attentionlab.kernels.AttentionKernels;
import org.attentionlab.kernels.AttentionLaunch;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Runs an {@link AttentionCase} through one of the attention kernels with an {@link AttentionLaunch}, either through a
 * TaskGraph and an execution plan (as a device would run it: buffers not transferred start as NaN, the flash kernel
 * runs on its worker grid with real work-groups and barriers) or, for the {@code @Parallel} kernels, as a plain Java
 * call.
 */
public final class AttentionRunner {

    private static final String GRAPH = "attention";
    private static final String TASK = "kernel";

    private AttentionRunner() {
    }

    /** Through a TaskGraph and TornadoExecutionPlan; the flash kernel on {@link AttentionKernels#flashGrid}. */
    public static float[] run(AttentionAlgorithm algorithm, AttentionCase c) {
        return run(algorithm, c, c.kernelWindows());
    }

    /** {@link #run(AttentionAlgorithm, AttentionCase)} with the kernels' {@code windows} given (e.g. with attention dropout). */
    public static float[] run(AttentionAlgorithm algorithm, AttentionCase c, IntArray windows) {
        return runThroughTaskGraph(algorithm, c, AttentionKernels.flashGrid(c.batch(), c.numHeads(), c.seqLen()), windows);
    }

    /** The flash kernel on a grid of the caller's choosing. */
    public static float[] runFlash(AttentionCase c, WorkerGrid grid) {
        return runFlash(AttentionAlgorithm.FLASH, c, grid);
    }

    /** One of the flash kernels ({@link AttentionAlgorithm#isFlash}) on a grid of the caller's choosing. */
    public static float[] runFlash(AttentionAlgorithm algorithm, AttentionCase c, WorkerGrid grid) {
        return runThroughTaskGraph(algorithm, c, grid, c.kernelWindows());
    }

    /**
     * {@link #run(AttentionAlgorithm, AttentionCase, IntArray)} with k and v passed in {@code kvLayout}: for
     * {@link AttentionLaunch.KvLayout#HEAD_MAJOR} the case's token-major k and v are permuted to
     * {@code [batch][kvHead][t][d]} ({@link #headMajor}) before the call.
     */
    public static float[] run(AttentionAlgorithm algorithm, AttentionCase c, IntArray windows, AttentionLaunch.KvLayout kvLayout) {
        return runThroughTaskGraph(algorithm, c, AttentionKernels.flashGrid(c.batch(), c.numHeads(), c.seqLen()), windows, kvLayout);
    }

    /** Token-major {@code [batch][seqLen][heads][headDim]} values rearranged to head-major {@code [batch][heads][seqLen][headDim]}. */
    public static float[] headMajor(float[] tokenMajor, int batch, int seqLen, int heads, int headDim) {
        float[] permuted = new float[tokenMajor.length];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seqLen; t++) {
                for (int h = 0; h < heads; h++) {
                    System.arraycopy(tokenMajor, ((b * seqLen + t) * heads + h) * headDim, permuted, ((b * heads + h) * seqLen + t) * headDim, headDim);
                }
            }
        }
        return permuted;
    }

    private static float[] runThroughTaskGraph(AttentionAlgorithm algorithm, AttentionCase c, WorkerGrid flashGrid, IntArray windows) {
        return runThroughTaskGraph(algorithm, c, flashGrid, windows, AttentionLaunch.KvLayout.TOKEN_MAJOR);
    }

    private static float[] runThroughTaskGraph(AttentionAlgorithm algorithm, AttentionCase c, WorkerGrid flashGrid, IntArray windows,
            AttentionLaunch.KvLayout kvLayout) {
        Arguments a = new Arguments(algorithm, c, windows);
        if (kvLayout == AttentionLaunch.KvLayout.HEAD_MAJOR) {
            float[] keys = headMajor(c.k(), c.batch(), c.seqLen(), c.numKvHeads(), c.headDim());
            float[] values = headMajor(c.v(), c.batch(), c.seqLen(), c.numKvHeads(), c.headDim());
            for (int i = 0; i < keys.length; i++) {
                a.k.set(i, keys[i]);
                a.v.set(i, values[i]);
            }
        }
        TaskGraph graph = new TaskGraph(GRAPH).transferToDevice(DataTransferMode.EVERY_EXECUTION, a.q, a.k, a.v, a.globals, a.windows, a.slopes);
        a.launch.addTask(graph, TASK, a.q, a.k, a.v, a.out, a.scratch, algorithm.vectorLanes(), kvLayout);
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, a.out);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            if (a.launch.grid().isPresent()) {
                plan.withGridScheduler(new GridScheduler(GRAPH + "." + TASK, flashGrid));
            }
            plan.execute();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException(e);
        }
        return a.out.toHeapArray();
    }

    /** A plain Java call of a {@code @Parallel} kernel (sequential loops). */
    public static float[] runPlain(AttentionAlgorithm algorithm, AttentionCase c) {
        return runPlain(algorithm, c, c.kernelWindows());
    }

    /** {@link #runPlain(AttentionAlgorithm, AttentionCase)} with the kernels' {@code windows} given. */
    public static float[] runPlain(AttentionAlgorithm algorithm, AttentionCase c, IntArray windows) {
        if (algorithm.isFlash()) {
            throw new IllegalArgumentException("the flash kernels need a worker grid: use run()");
        }
        Arguments a = new Arguments(algorithm, c, windows);
        a.launch.call(a.q, a.k, a.v, a.out, a.scratch);
        return a.out.toHeapArray();
    }

    /** The kernel arguments of a case; the scratch has exactly the size the host helper gives (a kernel using more would throw). */
    private static final class Arguments {
        final FloatArray q;
        final FloatArray k;
        final FloatArray v;
        final FloatArray out;
        final FloatArray scratch;
        final IntArray globals;
        final IntArray windows;
        final FloatArray slopes;
        final AttentionLaunch launch;

        Arguments(AttentionAlgorithm algorithm, AttentionCase c, IntArray kernelWindows) {
            q = FloatArray.fromArray(c.q());
            k = FloatArray.fromArray(c.k());
            v = FloatArray.fromArray(c.v());
            out = new FloatArray(c.q().length);
            out.init(Float.NaN);
            int numGlobal = c.globalTokens().length;
            globals = IntArray.fromArray(numGlobal == 0 ? new int[] { 0 } : c.globalTokens());
            slopes = FloatArray.fromArray(c.slopes());
            windows = kernelWindows;
            launch = new AttentionLaunch(algorithm.launchAlgorithm(), c.batch(), c.seqLen(), c.numHeads(), c.numKvHeads(),
                    c.headDim(), windows, c.causal(), globals, numGlobal, c.biasKind(), slopes, c.apeScale(), c.scale(), c.chunkSize());
            scratch = new FloatArray(Math.max(1, launch.scratchSize()));
            scratch.init(Float.NaN);
        }
    }
}
