package org.attentionlab.model.exec;

import java.util.Map;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * What a layer builds its forward tasks with: the task graph it shares with the layers before and after it in the
 * same graph ({@link ModelExecution} puts several layers in one), the run's shape, scratch buffers shared by all
 * layers of a run, the run's launch geometry, and the grid scheduler its KernelContext tasks register their grids in.
 * Every task is named through {@link #name}: the layer's prefix keeps names unique in the shared graph, and the kind
 * it states is what the profile aggregates per kind of work. In generation also the key/value caches: a prefill
 * fills them from the forward pass, a decode step (one position per sequence, the shape's seqLen 1) attends to them
 * instead (see {@link KvCaches}).
 */
public final class LayerTasks {

    /** What {@link ModelExecution} knows about each task of a run, by its TornadoVM name {@code graph.task}. */
    public record Label(int layer, TaskKind kind) {
    }

    private final TaskGraph graph;
    private final RunShape shape;
    private final Map<String, FloatArray> scratch;
    private final GridScheduler grids;
    private final LaunchGeometry geometry;
    private final String prefix;
    private final int layer;
    private final Map<String, Label> labels;
    private final KvCaches caches;
    private final boolean decoding;
    /** Where a layer leaves its deferred task for the next, shared by one pass's layers; null: layers defer nothing. */
    private final Handoff handoff;

    /** The task a layer deferred ({@link #defer}) and that layer's index, until the next layer takes it. */
    static final class Handoff {
        private DeferredTask task;
        private int layer;
    }

    LayerTasks(TaskGraph graph, RunShape shape, Map<String, FloatArray> scratch, GridScheduler grids, LaunchGeometry geometry, int layer,
            Map<String, Label> labels, KvCaches caches, boolean decoding, Handoff handoff) {
        this.graph = graph;
        this.shape = shape;
        this.scratch = scratch;
        this.grids = grids;
        this.geometry = geometry;
        this.layer = layer;
        this.prefix = "l" + layer + "_";
        this.labels = labels;
        this.caches = caches;
        this.decoding = decoding;
        this.handoff = handoff;
    }

    /** A layer's tasks without a handoff: it adds all its tasks itself (tests of one layer's tasks). */
    LayerTasks(TaskGraph graph, RunShape shape, Map<String, FloatArray> scratch, GridScheduler grids, LaunchGeometry geometry, int layer,
            Map<String, Label> labels, KvCaches caches, boolean decoding) {
        this(graph, shape, scratch, grids, geometry, layer, labels, caches, decoding, null);
    }

    /** A view for one layer alone in its own graph (tests of a layer's tasks): one item per work-group, labels kept nowhere. */
    LayerTasks(TaskGraph graph, RunShape shape, Map<String, FloatArray> scratch, GridScheduler grids) {
        this(graph, shape, scratch, grids, new LaunchGeometry(1, "test", "CPU", null, 0, false), 0, new java.util.HashMap<>(), null, false);
    }

    /**
     * Whether this layer may leave its last task to the next layer ({@link #defer}): in a model's pass, where a layer
     * follows (or the pass adds what is left at its end).
     */
    public boolean canDefer() {
        return handoff != null;
    }

    /** Leaves {@code task} to the next layer, which fuses it into its own first task or adds it first ({@link DeferredTask}). */
    public void defer(DeferredTask task) {
        if (handoff == null || handoff.task != null) {
            throw new IllegalStateException(handoff == null ? "this pass takes no deferred task" : "a deferred task is already waiting");
        }
        handoff.task = task;
        handoff.layer = layer;
    }

    /** The task the layer before deferred, or null: for a layer that fuses it ({@link #consumeDeferred}) or adds it ({@link #addDeferred}). */
    public DeferredTask deferred() {
        return handoff == null ? null : handoff.task;
    }

    /**
     * The deferred task is now part of this layer's tasks; returns a view of the layer that deferred it on this graph, for
     * the tasks of its own that this layer adds for it.
     */
    public LayerTasks consumeDeferred() {
        handoff.task = null;
        return deferringLayer();
    }

    /** Adds the deferred task, if any, as a task of its own, named for the layer that deferred it. */
    public void addDeferred() {
        DeferredTask task = deferred();
        if (task != null) {
            handoff.task = null;
            task.addTo(deferringLayer());
        }
    }

    private LayerTasks deferringLayer() {
        return new LayerTasks(graph, shape, scratch, grids, geometry, handoff.layer, labels, caches, decoding, null);
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

    /** The work-group sizes of this run's KernelContext tasks. */
    public LaunchGeometry geometry() {
        return geometry;
    }

    /** How many layers built a task named {@code task} (its local name, as given to {@link #name}), from the labels of their tasks. */
    static int layersWithTask(Map<String, Label> labels, String task) {
        return (int) labels.keySet().stream().filter(name -> name.endsWith("_" + task)).count();
    }

    /** The graph-wide name of this layer's task {@code task}, which computes work of {@code kind}. */
    public String name(TaskKind kind, String task) {
        String name = prefix + task;
        labels.put(graph.getTaskGraphName() + "." + name, new Label(layer, kind));
        return name;
    }

    /**
     * A scratch buffer of at least {@code size} floats, shared by every layer that asks for the same name and
     * size in this run (one device copy for the whole run: the graphs hand their buffers on).
     */
    public FloatArray scratch(String name, int size) {
        return scratch.computeIfAbsent(name + "#" + size, k -> new FloatArray(Math.max(1, size)));
    }

    /** Registers the worker grid of this layer's KernelContext task {@code task} (its local name, as given to {@link #name}). */
    public void grid(String task, WorkerGrid grid) {
        grids.addWorkerGrid(graph.getTaskGraphName() + "." + prefix + task, grid);
    }
}
