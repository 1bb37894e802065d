package org.attentionlab.model.exec;

import java.util.Map;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * What a layer builds its tasks with: its task graph, the run's shape, scratch buffers shared by all layers of a
 * run, and the grid scheduler its KernelContext tasks register their worker grids in.
 */
public final class LayerTasks {

    private final TaskGraph graph;
    private final RunShape shape;
    private final Map<String, FloatArray> scratch;
    private final GridScheduler grids;

    LayerTasks(TaskGraph graph, RunShape shape, Map<String, FloatArray> scratch, GridScheduler grids) {
        this.graph = graph;
        this.shape = shape;
        this.scratch = scratch;
        this.grids = grids;
    }

    public TaskGraph graph() {
        return graph;
    }

    public RunShape shape() {
        return shape;
    }

    /**
     * A scratch buffer of at least {@code size} floats, shared by every layer that asks for the same name and
     * size in this run (each layer's graph gets its own device copy; only streams cross graphs).
     */
    public FloatArray scratch(String name, int size) {
        return scratch.computeIfAbsent(name + "#" + size, k -> new FloatArray(Math.max(1, size)));
    }

    /** Registers the worker grid of a KernelContext task of this graph. */
    public void grid(String taskName, WorkerGrid grid) {
        grids.addWorkerGrid(graph.getTaskGraphName() + "." + taskName, grid);
    }
}
