package org.attentionlab.model.exec;

import java.util.Map;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * What a layer builds its tasks with: its task graph, the run's shape, scratch buffers shared by all layers of a
 * run, and the grid scheduler its KernelContext tasks register their worker grids in. In generation also the
 * key/value caches: a prefill fills them from the forward pass, a decode step (one position per sequence, the shape's
 * seqLen 1) attends to them instead (see {@link KvCaches}).
 */
public final class LayerTasks {

    private final TaskGraph graph;
    private final RunShape shape;
    private final Map<String, FloatArray> scratch;
    private final GridScheduler grids;
    private final KvCaches caches;
    private final boolean decoding;

    /** The tasks of a plain forward pass. */
    LayerTasks(TaskGraph graph, RunShape shape, Map<String, FloatArray> scratch, GridScheduler grids) {
        this(graph, shape, scratch, grids, null, false);
    }

    LayerTasks(TaskGraph graph, RunShape shape, Map<String, FloatArray> scratch, GridScheduler grids, KvCaches caches, boolean decoding) {
        this.graph = graph;
        this.shape = shape;
        this.scratch = scratch;
        this.grids = grids;
        this.caches = caches;
        this.decoding = decoding;
    }

    /**
     * The key/value caches of a generation run, or null in a plain forward pass: a prefill (not {@link #decoding()})
     * writes every attention layer's keys and values into them, a decode step attends to them.
     */
    public KvCaches caches() {
        return caches;
    }

    /**
     * Whether this is a decode step: one new position per sequence (the shape's seqLen is 1), at the position held in
     * device memory ({@code caches().position()}), attending to the caches.
     */
    public boolean decoding() {
        return decoding;
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
