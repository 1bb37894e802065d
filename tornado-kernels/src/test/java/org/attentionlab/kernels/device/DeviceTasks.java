package org.attentionlab.kernels.device;

import java.util.concurrent.atomic.AtomicInteger;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;

/** Runs one-task graphs on TornadoVM's default device; every graph gets a fresh name. */
final class DeviceTasks {

    /** The task's name in every graph built here. */
    static final String TASK = "kernel";

    private static final AtomicInteger GRAPHS = new AtomicInteger();

    private DeviceTasks() {
    }

    /** A new graph named after what it tests (TornadoVM keys compiled kernels and grids by graph and task names). */
    static TaskGraph graph(String family) {
        return new TaskGraph(family + GRAPHS.incrementAndGet());
    }

    /** Executes a graph of {@code @Parallel} tasks once. */
    static void execute(TaskGraph graph) {
        execute(graph, null);
    }

    /** Executes a graph once, its task {@link #TASK} on {@code grid} when not null (KernelContext kernels). */
    static void execute(TaskGraph graph, WorkerGrid grid) {
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            if (grid != null) {
                plan.withGridScheduler(new GridScheduler(graph.getTaskGraphName() + "." + TASK, grid));
            }
            plan.execute();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("closing the execution plan of " + graph.getTaskGraphName(), e);
        }
    }
}
