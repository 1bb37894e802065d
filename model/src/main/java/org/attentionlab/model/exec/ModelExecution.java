package org.attentionlab.model.exec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.kernels.Activations;
import org.attentionlab.model.train.GraphChain;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

/**
 * A model prepared for one run shape: its layers' tasks in as few task graphs as TornadoVM's graph limits allow
 * ({@link GraphLimits}; {@code forward_0}, {@code forward_1}, ...; a layer's tasks are named {@code l<layer>_<task>}),
 * all in one {@link TornadoExecutionPlan}, executed one after another with {@code withGraph(i)} as TornadoVM requires
 * for graphs that share device buffers. The graphs are linked as a training step's are ({@link GraphChain}): weights go
 * to the device on the first execution only, by the graph that uses them; the input goes in on every execution;
 * every other array (the stream between layers, scratch buffers) is handed on from graph to graph, so it exists once
 * on the device and never comes back to the host inside a forward pass; the output is read from the last graph. For
 * generation the same graphs also fill key/value caches ({@link #prefill}) or run one new position against them
 * ({@link #decodeStep}); see {@link KvCaches}.
 */
public final class ModelExecution implements AutoCloseable {

    /**
     * How a run is laid out on its device: {@code workGroupItems} work-items per group of the KernelContext tasks (null:
     * from the device, {@link LaunchGeometry}) and at most {@code layersPerGraph} layers per task graph (null: as many
     * as fit); {@code source} names where they were set (the config), for error messages.
     */
    public record Options(Integer workGroupItems, Integer vectorLanes, Integer layersPerGraph, String source) {
        public static final Options DEFAULTS = new Options(null, null, null, "defaults");
    }

    private final RunShape shape;
    private final FloatArray floatInput;
    private final IntArray tokenInput;
    private final FloatArray output;
    /** What every run reads back from its last graph: the output, and a prefill's caches. */
    private final Object[] readBack;
    private final TornadoExecutionPlan plan;
    private final List<List<Integer>> graphLayers;
    private final Map<String, LayerTasks.Label> labels;
    private final LaunchGeometry geometry;
    private final int taskCount;

    private ModelExecution(RunShape shape, FloatArray floatInput, IntArray tokenInput, FloatArray output, List<Object> readBack, TornadoExecutionPlan plan,
            List<List<Integer>> graphLayers, Map<String, LayerTasks.Label> labels, LaunchGeometry geometry) {
        this.readBack = readBack.toArray();
        this.shape = shape;
        this.floatInput = floatInput;
        this.tokenInput = tokenInput;
        this.output = output;
        this.plan = plan;
        this.graphLayers = graphLayers;
        this.labels = labels;
        this.geometry = geometry;
        this.taskCount = labels.size();
    }

    /** {@link #prepare(List, int, RunShape, TornadoDevice, Options)} with the default options. */
    public static ModelExecution prepare(List<Layer> layers, int inputWidth, RunShape shape, TornadoDevice device) {
        return prepare(layers, inputWidth, shape, device, Options.DEFAULTS);
    }

    /**
     * Builds the task graphs of {@code layers} for {@code shape}. The first layer reads float features of width
     * {@code inputWidth}, or token ids when it is a {@link TokenLayer}. {@code device} null: the runtime's default.
     */
    public static ModelExecution prepare(List<Layer> layers, int inputWidth, RunShape shape, TornadoDevice device, Options options) {
        return prepare(layers, inputWidth, shape, device, options, null, false);
    }

    /**
     * The forward pass of a prompt ({@code shape}: batch x prompt length, token ids) that also fills every attention
     * layer's key/value cache in {@code caches} from its keys and values; the caches come back to the host with the
     * output, for {@link #decodeStep} to send to the device once.
     */
    public static ModelExecution prefill(List<Layer> layers, RunShape shape, TornadoDevice device, Options options, KvCaches caches) {
        return prepare(layers, 0, shape, device, options, caches, false);
    }

    /**
     * One decode step: the token ids of one new position per sequence through every layer, attending to
     * {@code caches} at the position {@code caches.position()} holds (set it before each {@link #run()}). The caches
     * go to the device on the first execution and stay there (a step appends to them on the device); each execution
     * sends the token ids and the position and returns the output of the new position only.
     */
    public static ModelExecution decodeStep(List<Layer> layers, TornadoDevice device, Options options, KvCaches caches) {
        return prepare(layers, 0, RunShape.inference(caches.batch(), 1), device, options, caches, true);
    }

    /**
     * The graphs. In generation the caches of the layers' attention ({@link Layer#kvCacheLayouts}) join the chain: a
     * prefill reads them back from the last graph with the output, a decode step sends them on the first execution
     * only (its tasks append to them on the device) and the position on every execution.
     */
    private static ModelExecution prepare(List<Layer> layers, int inputWidth, RunShape shape, TornadoDevice device, Options options, KvCaches caches,
            boolean decoding) {
        LaunchGeometry geometry = LaunchGeometry.forDevice(device, options.workGroupItems(), options.vectorLanes(), options.source());
        Map<String, FloatArray> scratch = new HashMap<>();
        boolean tokens = layers.get(0) instanceof TokenLayer;
        IntArray tokenInput = tokens ? new IntArray(shape.rows()) : null;
        FloatArray floatInput = tokens ? null : new FloatArray(shape.rows() * inputWidth);
        TornadoNativeArray input = tokens ? tokenInput : floatInput;

        // Layers update their input stream in place (a block adds its residuals to it): the first one gets a copy of
        // the input, which stays as the caller wrote it (a run reads it again) and is never read back.
        FloatArray firstStream = tokens ? null : new FloatArray(shape.rows() * inputWidth);

        // What each layer's tasks cost a graph, measured on graphs that only count (the layers' tasks are built twice:
        // building them allocates nothing twice, scratch buffers being shared by name).
        // A task a layer defers to the next one counts in the next one's graph.
        List<GraphLimits.Cost> costs = new ArrayList<>();
        FloatArray stream = firstStream;
        LayerTasks.Handoff probeHandoff = new LayerTasks.Handoff();
        for (int i = 0; i < layers.size(); i++) {
            TrackedTaskGraph probe = TrackedTaskGraph.probe("probe");
            LayerTasks tasks = new LayerTasks(probe, shape, scratch, new GridScheduler(), geometry, i, new HashMap<>(), caches, decoding, probeHandoff);
            if (i == 0 && floatInput != null) {
                tasks.defer(new InputCopy(floatInput, firstStream));
            }
            stream = addLayer(layers.get(i), tasks, i, i == layers.size() - 1, tokenInput, stream);
            costs.add(GraphLimits.Cost.of(probe));
        }
        List<List<Integer>> groups = group(costs, GraphLimits.ofThisProcess(), options.layersPerGraph());

        GridScheduler grids = new GridScheduler();
        // In the order the tasks are added, which is the order they run (the profile lists them so).
        Map<String, LayerTasks.Label> labels = new LinkedHashMap<>();
        List<TrackedTaskGraph> graphs = new ArrayList<>();
        List<Object> constants = new ArrayList<>();
        List<Object> cacheBuffers = new ArrayList<>();
        stream = firstStream;
        LayerTasks.Handoff handoff = new LayerTasks.Handoff();
        for (int g = 0; g < groups.size(); g++) {
            TrackedTaskGraph graph = new TrackedTaskGraph(graphName(g));
            for (int i : groups.get(g)) {
                Layer layer = layers.get(i);
                constants.addAll(layer.deviceConstants());
                if (caches != null) {
                    cacheBuffers.addAll(caches.buffersOf(layer));
                }
                LayerTasks tasks = new LayerTasks(graph, shape, scratch, grids, geometry, i, labels, caches, decoding, handoff);
                if (i == 0 && floatInput != null) {
                    tasks.defer(new InputCopy(floatInput, firstStream));
                }
                stream = addLayer(layer, tasks, i, i == layers.size() - 1, tokenInput, stream);
            }
            if (graph.isEmpty()) {
                // GraphChain would leave it out, and run() would execute one graph too many; the model drops identity layers
                throw new IllegalStateException("layers " + groups.get(g) + " add no task");
            }
            graphs.add(graph);
        }
        List<Object> every = new ArrayList<>(List.of(input));
        List<Object> results = new ArrayList<>(List.of(stream));
        if (decoding) {
            constants.addAll(cacheBuffers);
            every.add(caches.position());
        } else {
            results.addAll(cacheBuffers);
        }
        List<ImmutableTaskGraph> linked = GraphChain.link(graphs, constants, every, results, List.of());
        TornadoExecutionPlan plan = new TornadoExecutionPlan(linked.toArray(ImmutableTaskGraph[]::new));
        if (!grids.keySet().isEmpty()) {
            plan.withGridScheduler(grids);
        }
        if (device != null) {
            plan.withDevice(device);
        }
        return new ModelExecution(shape, floatInput, tokenInput, stream, results, plan, groups, labels, geometry);
    }

    /**
     * Float input copied into the stream the first layer updates (token ids need none), so that the input stays as the
     * caller wrote it: a task of its own, deferred to the first layer, which may copy it in its own first task
     * ({@link DeferredTask}).
     */
    public record InputCopy(FloatArray input, FloatArray stream) implements DeferredTask {
        @Override
        public void addTo(LayerTasks tasks) {
            tasks.graph().task(tasks.name(TaskKind.EMBEDDING, "input_copy"), Activations::scale, input, stream, 1f, input.getSize());
        }
    }

    /**
     * The tasks of the layer at {@code index}, after the task the layer before deferred ({@link DeferredTask}) where this
     * one does not fuse it, and, after the {@code last} layer, what that one deferred.
     */
    static FloatArray addLayer(Layer layer, LayerTasks tasks, int index, boolean last, IntArray tokenInput, FloatArray stream) {
        if (!layer.fusesDeferredTask()) {
            tasks.addDeferred();
        }
        FloatArray out = index == 0 && layer instanceof TokenLayer tokens ? tokens.addTasks(tasks, tokenInput) : layer.addTasks(tasks, stream);
        if (last) {
            tasks.addDeferred();
        }
        return out;
    }

    /**
     * Consecutive layers per graph: a layer joins the graph before it while the graph, with it, stays within
     * {@code limits} and holds fewer than {@code layersPerGraph} layers (null: no such cap). A layer that alone passes
     * the limits gets a graph of its own (TornadoVM then says which limit it passed).
     */
    static List<List<Integer>> group(List<GraphLimits.Cost> costs, GraphLimits limits, Integer layersPerGraph) {
        List<List<Integer>> groups = new ArrayList<>();
        List<Integer> members = new ArrayList<>();
        GraphLimits.Cost current = GraphLimits.Cost.NONE;
        for (int i = 0; i < costs.size(); i++) {
            GraphLimits.Cost joined = current.plus(costs.get(i));
            boolean full = layersPerGraph != null && members.size() >= layersPerGraph;
            if (!members.isEmpty() && (full || !limits.admits(joined))) {
                groups.add(List.copyOf(members));
                members.clear();
                joined = costs.get(i);
            }
            members.add(i);
            current = joined;
        }
        groups.add(List.copyOf(members));
        return List.copyOf(groups);
    }

    static String graphName(int graph) {
        return "forward_" + graph;
    }

    public RunShape shape() {
        return shape;
    }

    /** The host input [batch, seq, width] to fill before {@link #run()}; null when the model reads token ids. */
    public FloatArray floatInput() {
        return floatInput;
    }

    /** The host token ids [batch, seq] to fill before {@link #run()}; null when the model reads features. */
    public IntArray tokenInput() {
        return tokenInput;
    }

    /** The layers (indices into the list given to prepare) of each task graph, in execution order. */
    public List<List<Integer>> graphLayers() {
        return graphLayers;
    }

    /** How many layers built a task named {@code task} (a layer's local task name, e.g. {@link org.attentionlab.model.layers.TransformerBlock#RESIDUAL_NORM_TASK}). */
    public int layersWithTask(String task) {
        return LayerTasks.layersWithTask(labels, task);
    }

    /** Tasks over all graphs: the device launches of one forward pass. */
    public int taskCount() {
        return taskCount;
    }

    public LaunchGeometry geometry() {
        return geometry;
    }

    /**
     * Compiles every graph's kernels for the device now, so that no run pays for it (TornadoVM's
     * {@code withPreCompilation}; on the plain JVM there is nothing to compile).
     */
    public void compile() {
        plan.withPreCompilation();
    }

    /** Runs every graph in order; returns the host output, valid until the next run. */
    public FloatArray run() {
        TornadoExecutionResult last = null;
        for (int i = 0; i < graphLayers.size(); i++) {
            last = plan.withGraph(i).execute();
        }
        last.transferToHost(readBack);
        return output;
    }

    /**
     * TornadoVM's profiler figures of one run, summed over the graphs (nanoseconds and bytes), and the device time of
     * its tasks per kind of work ({@code kernelNanosByKind}) and per task ({@code kernelNanosByTask}, by the task's
     * name within its graph, in the order the tasks ran); both empty when the profiler gave no per-task figures.
     */
    public record Profile(long totalNanos, long kernelNanos, long transferNanos, long compileNanos, long bytesTransferred,
            Map<TaskKind, Long> kernelNanosByKind, Map<String, Long> kernelNanosByTask) {

        public static final Profile NONE = new Profile(0, 0, 0, 0, 0, Map.of(), Map.of());

        /** The sum of two profiles, kind by kind and task by task. */
        public Profile plus(Profile other) {
            Map<TaskKind, Long> kinds = new EnumMap<>(TaskKind.class);
            kinds.putAll(kernelNanosByKind);
            other.kernelNanosByKind.forEach((kind, nanos) -> kinds.merge(kind, nanos, Long::sum));
            Map<String, Long> tasks = new LinkedHashMap<>(kernelNanosByTask);
            other.kernelNanosByTask.forEach((task, nanos) -> tasks.merge(task, nanos, Long::sum));
            return new Profile(totalNanos + other.totalNanos, kernelNanos + other.kernelNanos, transferNanos + other.transferNanos,
                    compileNanos + other.compileNanos, bytesTransferred + other.bytesTransferred, Map.copyOf(kinds),
                    Collections.unmodifiableMap(tasks));
        }

        /** Every figure divided by {@code n} (a mean over n runs). */
        public Profile dividedBy(int n) {
            Map<TaskKind, Long> kinds = new EnumMap<>(TaskKind.class);
            kernelNanosByKind.forEach((kind, nanos) -> kinds.put(kind, nanos / n));
            Map<String, Long> tasks = new LinkedHashMap<>();
            kernelNanosByTask.forEach((task, nanos) -> tasks.put(task, nanos / n));
            return new Profile(totalNanos / n, kernelNanos / n, transferNanos / n, compileNanos / n, bytesTransferred / n, Map.copyOf(kinds),
                    Collections.unmodifiableMap(tasks));
        }
    }

    /** Turns TornadoVM's profiler on for the following runs (its figures come from {@link #runProfiled()}). */
    public ModelExecution withProfiler() {
        plan.withProfiler(ProfilerMode.SILENT);
        return this;
    }

    /** Turns the profiler off again (TornadoVM times every task while it is on, which costs time). */
    public ModelExecution withoutProfiler() {
        plan.withoutProfiler();
        return this;
    }

    /** {@link #run()}, returning the profiler's figures (all zero unless {@link #withProfiler()} was called). */
    public Profile runProfiled() {
        Profile profile = Profile.NONE;
        TornadoExecutionResult last = null;
        for (int i = 0; i < graphLayers.size(); i++) {
            last = plan.withGraph(i).execute();
            // Read now: TornadoVM's profiler result reads the graph selected at the time it is asked.
            var p = last.getProfilerResult();
            Map<TaskKind, Long> kinds = new EnumMap<>(TaskKind.class);
            Map<String, Long> tasks = new LinkedHashMap<>();
            // The profiler's log lists the tasks in no particular order; labels has them in the order they run.
            Map<String, Long> logged = TaskTimes.lastExecution(p.getProfileLog());
            Map<String, Long> inOrder = new LinkedHashMap<>();
            labels.keySet().stream().filter(logged::containsKey).forEach(task -> inOrder.put(task, logged.get(task)));
            logged.forEach(inOrder::putIfAbsent);
            inOrder.forEach((task, nanos) -> {
                LayerTasks.Label label = labels.get(task);
                if (label != null) {
                    kinds.merge(label.kind(), nanos, Long::sum);
                }
                // "graph.task": the task's own name (l3_attention, ...) says the layer and the work; the graph's is internal.
                tasks.merge(task.substring(task.indexOf('.') + 1), nanos, Long::sum);
            });
            profile = profile.plus(new Profile(p.getTotalTime(), p.getDeviceKernelTime(), p.getDataTransfersTime(), p.getCompileTime(),
                    p.getTotalBytesTransferred(), Map.copyOf(kinds), Collections.unmodifiableMap(tasks)));
        }
        last.transferToHost(readBack);
        return profile;
    }

    @Override
    public void close() {
        try {
            plan.close();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("could not release the execution plan", e);
        }
    }
}
