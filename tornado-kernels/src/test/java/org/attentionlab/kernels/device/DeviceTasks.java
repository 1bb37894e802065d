package org.attentionlab.kernels.device;

import java.util.concurrent.atomic.AtomicInteger;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** Builds and runs task graphs on TornadoVM's default device; every graph gets a fresh name. */
final class DeviceTasks {

    /** The task's name in the one-task graphs built here. */
    static final String TASK = "kernel";

    private static final AtomicInteger GRAPHS = new AtomicInteger();

    private DeviceTasks() {
    }

    /** A new graph named after what it tests, numbered, so TornadoVM's logs (printKernel, threadInfo) name the case. */
    static TaskGraph graph(String family) {
        return new TaskGraph(family + GRAPHS.incrementAndGet());
    }

    /** Executes a graph of {@code @Parallel} tasks once. */
    static void execute(TaskGraph graph) {
        execute(graph, (GridScheduler) null);
    }

    /** Executes a graph once with its task {@link #TASK} on {@code grid} (KernelContext kernels). */
    static void execute(TaskGraph graph, WorkerGrid grid) {
        execute(graph, new GridScheduler(gridKey(graph, TASK), grid));
    }

    /** Executes a graph once with the given grids (null: none). */
    static void execute(TaskGraph graph, GridScheduler scheduler) {
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            if (scheduler != null) {
                plan.withGridScheduler(scheduler);
            }
            plan.execute();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("closing the execution plan of " + graph.getTaskGraphName(), e);
        }
    }

    /** The GridScheduler key of a task. */
    static String gridKey(TaskGraph graph, String task) {
        return graph.getTaskGraphName() + "." + task;
    }

    /** An output array filled with NaN, so an element a kernel fails to write cannot pass for a result. */
    static FloatArray nans(int size) {
        FloatArray array = new FloatArray(size);
        array.init(Float.NaN);
        return array;
    }

    /** A copy, for in-place kernels run once as Java and once on the device. */
    static FloatArray copy(FloatArray source) {
        return FloatArray.fromArray(source.toHeapArray());
    }
}
