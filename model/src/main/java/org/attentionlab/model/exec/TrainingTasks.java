package org.attentionlab.model.exec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.attentionlab.kernels.AttentionLaunch;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * What a layer builds its training tasks with. A training step is a chain of task graphs (one per layer's forward,
 * the loss, one per layer's backward, the optimizer's in parts), each remembering the arrays its tasks take
 * ({@link TrackedTaskGraph}), so that the chain can pass on exactly the arrays later graphs use; {@link #graph()} is the
 * graph being built. Every task name
 * carries the layer's prefix ({@link #name}), unique over the whole step; buffers a layer keeps from its forward for
 * its backward are its own
 * ({@link #keep}), temporaries are shared by all layers ({@link #scratch}, safe because tasks run in order and a
 * layer's backward only starts when the next layer's has finished); parameter gradients are looked up by the
 * parameter ({@link #gradient}). Dropout masks are drawn from the step counter in device memory, so that a step's
 * masks differ from the last step's without a scalar argument changing, and the backward regenerates the forward's.
 */
public final class TrainingTasks {

    /** The graphs of one step, shared by every view: the last one is being built. */
    private static final class Segments {
        final String name;
        final List<TrackedTaskGraph> graphs = new ArrayList<>();
        /** Layers per attention-backward kernel kind, as the layers chose them ({@link #recordAttentionBackward}). */
        final Map<String, Integer> attentionBackwardLayers = new TreeMap<>();

        Segments(String name) {
            this.name = name;
        }

        TrackedTaskGraph current() {
            return graphs.get(graphs.size() - 1);
        }
    }

    private final Segments segments;
    private final RunShape shape;
    private final GridScheduler grids;
    private final LaunchGeometry geometry;
    private final Map<String, FloatArray> scratch;
    private final Map<String, FloatArray> kept;
    private final Map<FloatArray, FloatArray> gradients;
    private final IntArray stepCounter;
    private final String prefix;
    private final String keptPrefix;
    private final int microBatch;
    private final boolean inputNeedsGradient;

    private TrainingTasks(Segments segments, RunShape shape, GridScheduler grids, LaunchGeometry geometry, Map<String, FloatArray> scratch,
            Map<String, FloatArray> kept, Map<FloatArray, FloatArray> gradients, IntArray stepCounter, String prefix, String keptPrefix, int microBatch,
            boolean inputNeedsGradient) {
        this.segments = segments;
        this.shape = shape;
        this.grids = grids;
        this.geometry = geometry;
        this.scratch = scratch;
        this.kept = kept;
        this.gradients = gradients;
        this.stepCounter = stepCounter;
        this.prefix = prefix;
        this.keptPrefix = keptPrefix;
        this.microBatch = microBatch;
        this.inputNeedsGradient = inputNeedsGradient;
    }

    /**
     * The tasks of one step, in graphs named {@code name_0}, {@code name_1}, ... ({@link #startGraph}).
     * {@code shape.dropout()} says whether dropout applies (training) or not (evaluation); {@code gradients} maps each
     * parameter buffer to its gradient buffer (empty when no backward is built); {@code stepCounter} holds the
     * optimizer's count of updates done, which seeds the dropout masks; {@code geometry} is the device's launch
     * geometry (which projection kernels, how many items per group).
     */
    public static TrainingTasks forGraphs(String name, RunShape shape, GridScheduler grids, LaunchGeometry geometry, Map<FloatArray, FloatArray> gradients,
            IntArray stepCounter) {
        TrainingTasks root = new TrainingTasks(new Segments(name), shape, grids, geometry, new HashMap<>(), new HashMap<>(), new IdentityHashMap<>(gradients),
                stepCounter, "", "", 0, false);
        root.startGraph();
        return root;
    }

    /** Ends the graph being built (unless it is still empty) and starts the next. */
    public void startGraph() {
        if (segments.graphs.isEmpty() || !segments.current().isEmpty()) {
            segments.graphs.add(new TrackedTaskGraph(segments.name + "_" + segments.graphs.size()));
        }
    }

    /** The graphs built so far, in order (the last may be empty). */
    public List<TrackedTaskGraph> graphs() {
        return List.copyOf(segments.graphs);
    }

    /**
     * The view of layer {@code layerName} in micro-batch {@code microBatch}: its task names start with both, its kept
     * buffers are its own (and shared by its micro-batches, which run one after the other).
     */
    public TrainingTasks forLayer(String layerName, int microBatch, boolean inputNeedsGradient) {
        return new TrainingTasks(segments, shape, grids, geometry, scratch, kept, gradients, stepCounter, "m" + microBatch + "_" + layerName + "_", layerName + ".",
                microBatch, inputNeedsGradient);
    }

    /**
     * Tasks per graph, after which the next task starts a new one: TornadoVM 5.2.1 gives a graph 4 KB of
     * low-level bytecode by default ({@code tornado.tvm.maxbytecodesize}), which a whole transformer block's backward
     * (about 35 tasks) overflows; a dozen tasks with the arrays they pass on fit.
     */
    static final int TASKS_PER_GRAPH = 12;

    /** The graph being built (a new one once the current holds {@value #TASKS_PER_GRAPH} tasks). */
    public TaskGraph graph() {
        if (segments.current().size() >= TASKS_PER_GRAPH) {
            startGraph();
        }
        return segments.current();
    }

    public RunShape shape() {
        return shape;
    }

    /** The work-group sizes and projection kernels of this run's device, as in its forward runs. */
    public LaunchGeometry geometry() {
        return geometry;
    }

    /** The graph-wide name of this layer's task {@code task}. */
    public String name(String task) {
        return prefix + task;
    }

    /** Registers the worker grid of this layer's KernelContext task {@code task} (its local name). */
    public void grid(String task, WorkerGrid grid) {
        grids.addWorkerGrid(segments.current().getTaskGraphName() + "." + name(task), grid);
    }

    /** A buffer of this layer that nothing else writes: what its forward keeps for its backward. */
    public FloatArray keep(String name, int size) {
        return kept.computeIfAbsent(keptPrefix + name + "#" + size, k -> new FloatArray(Math.max(1, size)));
    }

    /** A temporary shared by every layer asking for the same name and size. */
    public FloatArray scratch(String name, int size) {
        return scratch.computeIfAbsent(name + "#" + size, k -> new FloatArray(Math.max(1, size)));
    }

    /** The gradient buffer of a parameter buffer (the same for every use of the parameter, e.g. tied weights). */
    public FloatArray gradient(FloatArray parameter) {
        FloatArray gradient = gradients.get(parameter);
        if (gradient == null) {
            throw new IllegalStateException("no gradient buffer for a parameter of " + prefix + " (is it in the model's Parameters?)");
        }
        return gradient;
    }

    /** Whether the backward must return the input's gradient (false for the first layer reading features). */
    public boolean inputNeedsGradient() {
        return inputNeedsGradient;
    }

    /** Whether dropout applies: in training, not in evaluation. */
    public boolean dropout() {
        return shape.dropout();
    }

    /** The optimizer's count of updates done, in device memory: dropout's per-step seed. */
    public IntArray stepCounter() {
        return stepCounter;
    }

    /**
     * The dropout seed of one of this layer's masks ({@code stream} numbers the layer's masks, e.g. 2·index + 0 for
     * a block's attention residual): distinct per run seed, micro-batch and stream; the step is added on the device.
     */
    public int dropoutSeed(int stream) {
        long mixed = (shape.dropoutSeed() * 0x9E3779B97F4A7C15L) ^ (microBatch * 0xBF58476D1CE4E5B9L) ^ (stream * 0x94D049BB133111EBL);
        mixed ^= mixed >>> 31;
        return (int) (mixed ^ (mixed >>> 32));
    }

    /**
     * Records the attention-backward kernels this layer chose ({@link LaunchGeometry#attentionBackward}: register tiles
     * or rows, which depends on the layer's head dimension as well as the device), once per layer (micro-batch 0), so
     * that the step can report the kernels it actually runs ({@link #attentionBackwardKernels}).
     */
    public void recordAttentionBackward(AttentionLaunch.Backward kernels) {
        if (microBatch == 0) {
            segments.attentionBackwardLayers.merge(kernels == AttentionLaunch.Backward.REGISTER_TILES ? "register_tiles" : "rows", 1, Integer::sum);
        }
    }

    /** How many layers run each attention-backward kernel kind, by kind; empty for a step without attention backward. */
    public Map<String, Integer> attentionBackwardKernels() {
        return Map.copyOf(segments.attentionBackwardLayers);
    }
}
