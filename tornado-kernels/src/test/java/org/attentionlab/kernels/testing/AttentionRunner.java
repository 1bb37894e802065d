package org.attentionlab.kernels.testing;

import org.attentionlab.kernels.AttentionKernels;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Runs an {@link AttentionCase} through one of the four kernels, either through a TaskGraph and an execution plan
 * (as a device would run it: buffers not transferred start as NaN, the flash kernel runs on its worker grid with
 * real work-groups and barriers) or, for the {@code @Parallel} kernels, as a plain Java call.
 */
public final class AttentionRunner {

    private static final String GRAPH = "attention";
    private static final String TASK = "kernel";

    private AttentionRunner() {
    }

    /** Through a TaskGraph and TornadoExecutionPlan; the flash kernel on {@link AttentionKernels#flashGrid}. */
    public static float[] run(AttentionAlgorithm algorithm, AttentionCase c) {
        return runThroughTaskGraph(algorithm, c, AttentionKernels.flashGrid(c.batch(), c.numHeads(), c.seqLen()));
    }

    /** The flash kernel on a grid of the caller's choosing. */
    public static float[] runFlash(AttentionCase c, WorkerGrid grid) {
        return runThroughTaskGraph(AttentionAlgorithm.FLASH, c, grid);
    }

    private static float[] runThroughTaskGraph(AttentionAlgorithm algorithm, AttentionCase c, WorkerGrid flashGrid) {
        Arguments a = new Arguments(algorithm, c);
        TaskGraph graph = new TaskGraph(GRAPH).transferToDevice(DataTransferMode.EVERY_EXECUTION, a.q, a.k, a.v, a.globals, a.slopes);
        GridScheduler scheduler = null;
        switch (algorithm) {
            case STANDARD -> graph.task(TASK, AttentionKernels::standard, a.q, a.k, a.v, a.out, a.scratch, a.globals, a.numGlobal, a.slopes, c.batch(),
                    c.seqLen(), c.numHeads(), c.numKvHeads(), c.headDim(), c.windowLeft(), c.windowRight(), c.biasKind(), c.apeScale(), c.scale());
            case CHUNKED -> graph.task(TASK, AttentionKernels::chunked, a.q, a.k, a.v, a.out, a.scratch, a.globals, a.numGlobal, a.slopes, c.batch(),
                    c.seqLen(), c.numHeads(), c.numKvHeads(), c.headDim(), c.windowLeft(), c.windowRight(), c.biasKind(), c.apeScale(), c.scale(),
                    c.chunkSize());
            case MEMORY_EFFICIENT -> graph.task(TASK, AttentionKernels::memoryEfficient, a.q, a.k, a.v, a.out, a.globals, a.numGlobal, a.slopes, c.batch(),
                    c.seqLen(), c.numHeads(), c.numKvHeads(), c.headDim(), c.windowLeft(), c.windowRight(), c.biasKind(), c.apeScale(), c.scale(),
                    c.chunkSize());
            case FLASH -> {
                graph.task(TASK, AttentionKernels::flash, new KernelContext(), a.q, a.k, a.v, a.out, a.globals, a.numGlobal, a.slopes, c.batch(), c.seqLen(),
                        c.numHeads(), c.numKvHeads(), c.headDim(), c.windowLeft(), c.windowRight(), c.biasKind(), c.apeScale(), c.scale());
                scheduler = new GridScheduler(GRAPH + "." + TASK, flashGrid);
            }
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, a.out);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            if (scheduler != null) {
                plan.withGridScheduler(scheduler);
            }
            plan.execute();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException(e);
        }
        return a.out.toHeapArray();
    }

    /** A plain Java call of a {@code @Parallel} kernel (sequential loops). */
    public static float[] runPlain(AttentionAlgorithm algorithm, AttentionCase c) {
        Arguments a = new Arguments(algorithm, c);
        switch (algorithm) {
            case STANDARD -> AttentionKernels.standard(a.q, a.k, a.v, a.out, a.scratch, a.globals, a.numGlobal, a.slopes, c.batch(), c.seqLen(),
                    c.numHeads(), c.numKvHeads(), c.headDim(), c.windowLeft(), c.windowRight(), c.biasKind(), c.apeScale(), c.scale());
            case CHUNKED -> AttentionKernels.chunked(a.q, a.k, a.v, a.out, a.scratch, a.globals, a.numGlobal, a.slopes, c.batch(), c.seqLen(), c.numHeads(),
                    c.numKvHeads(), c.headDim(), c.windowLeft(), c.windowRight(), c.biasKind(), c.apeScale(), c.scale(), c.chunkSize());
            case MEMORY_EFFICIENT -> AttentionKernels.memoryEfficient(a.q, a.k, a.v, a.out, a.globals, a.numGlobal, a.slopes, c.batch(), c.seqLen(),
                    c.numHeads(), c.numKvHeads(), c.headDim(), c.windowLeft(), c.windowRight(), c.biasKind(), c.apeScale(), c.scale(), c.chunkSize());
            case FLASH -> throw new IllegalArgumentException("the flash kernel needs a worker grid: use run()");
        }
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
        final int numGlobal;
        final FloatArray slopes;

        Arguments(AttentionAlgorithm algorithm, AttentionCase c) {
            q = FloatArray.fromArray(c.q());
            k = FloatArray.fromArray(c.k());
            v = FloatArray.fromArray(c.v());
            out = new FloatArray(c.q().length);
            out.init(Float.NaN);
            numGlobal = c.globalTokens().length;
            globals = IntArray.fromArray(numGlobal == 0 ? new int[] { 0 } : c.globalTokens());
            slopes = FloatArray.fromArray(c.slopes());
            AttentionKernels.checkArguments(q, k, v, out, globals, numGlobal, slopes, c.batch(), c.seqLen(), c.numHeads(), c.numKvHeads(), c.headDim(),
                    c.windowLeft(), c.windowRight(), c.biasKind());
            int scratchSize = switch (algorithm) {
                case STANDARD -> AttentionKernels.standardScratchSize(c.batch(), c.numHeads(), c.seqLen(), c.windowLeft(), c.windowRight(), numGlobal);
                case CHUNKED -> AttentionKernels.chunkedScratchSize(c.batch(), c.numHeads(), c.chunkSize(), c.seqLen(), c.windowLeft(), c.windowRight(),
                        numGlobal);
                default -> 1;
            };
            scratch = new FloatArray(scratchSize);
            scratch.init(Float.NaN);
        }
    }
}
