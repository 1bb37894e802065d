package org.attentionlab.model.exec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * A model prepared for one run shape: one task graph per layer ({@code layer_0}, {@code layer_1}, ...), all in
 * one {@link TornadoExecutionPlan}. Weights go to the device on the first execution only; the stream between
 * layers stays on the device ({@code persistOnDevice} / {@code consumeFromDevice}); the input goes in and the
 * output comes back on every execution. Graphs execute one after another with {@code withGraph(i)}, as
 * TornadoVM requires for graphs that share device buffers. For generation the same graphs also fill key/value caches
 * ({@link #prefill}) or run one new position against them ({@link #decodeStep}); see {@link KvCaches}.
 */
public final class ModelExecution implements AutoCloseable {

    private final RunShape shape;
    private final FloatArray floatInput;
    private final IntArray tokenInput;
    private final FloatArray output;
    private final TornadoExecutionPlan plan;
    private final int graphCount;

    private ModelExecution(RunShape shape, FloatArray floatInput, IntArray tokenInput, FloatArray output, TornadoExecutionPlan plan, int graphCount) {
        this.shape = shape;
        this.floatInput = floatInput;
        this.tokenInput = tokenInput;
        this.output = output;
        this.plan = plan;
        this.graphCount = graphCount;
    }

    /**
     * Builds the task graphs of {@code layers} for {@code shape}. The first layer reads float features of width
     * {@code inputWidth}, or token ids when it is a {@link TokenLayer}. {@code device} null: the runtime's default.
     */
    public static ModelExecution prepare(List<Layer> layers, int inputWidth, RunShape shape, TornadoDevice device) {
        return prepare(layers, inputWidth, shape, device, null, false);
    }

    /**
     * The forward pass of a prompt ({@code shape}: batch x prompt length, token ids) that also fills every attention
     * layer's key/value cache in {@code caches} from its keys and values; the caches come back to the host with the
     * output, for {@link #decodeStep} to send to the device once.
     */
    public static ModelExecution prefill(List<Layer> layers, RunShape shape, TornadoDevice device, KvCaches caches) {
        return prepare(layers, 0, shape, device, caches, false);
    }

    /**
     * One decode step: the token ids of one new position per sequence through every layer, attending to
     * {@code caches} at the position {@code caches.position()} holds (set it before each {@link #run()}). The caches
     * go to the device on the first execution and stay there (a step appends to them on the device); each execution
     * sends the token ids and the position and returns the output of the new position only.
     */
    public static ModelExecution decodeStep(List<Layer> layers, TornadoDevice device, KvCaches caches) {
        return prepare(layers, 0, RunShape.inference(caches.batch(), 1), device, caches, true);
    }

    /**
     * The graphs. In generation a graph also moves the caches of its layer's attention ({@link Layer#kvCacheLayouts}):
     * a prefill reads them back after its tasks, a decode step sends them before its tasks, on the first execution
     * only, and sends the position on every execution (to every graph: four bytes, and a graph whose tasks do not read
     * it ignores it).
     */
    private static ModelExecution prepare(List<Layer> layers, int inputWidth, RunShape shape, TornadoDevice device, KvCaches caches, boolean decoding) {
        Map<String, FloatArray> scratch = new HashMap<>();
        GridScheduler grids = new GridScheduler();
        List<ImmutableTaskGraph> graphs = new ArrayList<>();
        FloatArray floatInput = null;
        IntArray tokenInput = null;
        FloatArray stream = null;
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            TaskGraph graph = new TaskGraph(graphName(i));
            if (i == 0) {
                if (layer instanceof TokenLayer) {
                    tokenInput = new IntArray(shape.rows());
                    graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, tokenInput);
                } else {
                    floatInput = new FloatArray(shape.rows() * inputWidth);
                    graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, floatInput);
                }
            } else {
                graph.consumeFromDevice(graphName(i - 1), stream);
            }
            List<Object> constants = layer.deviceConstants();
            if (!constants.isEmpty()) {
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, constants.toArray());
            }
            List<Object> cacheBuffers = caches == null ? List.of() : caches.buffersOf(layer);
            if (decoding) {
                if (!cacheBuffers.isEmpty()) {
                    graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, cacheBuffers.toArray());
                }
                graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, caches.position());
            }
            LayerTasks tasks = new LayerTasks(graph, shape, scratch, grids, caches, decoding);
            stream = i == 0 && layer instanceof TokenLayer tokens ? tokens.addTasks(tasks, tokenInput) : layer.addTasks(tasks, i == 0 ? floatInput : stream);
            if (i == layers.size() - 1) {
                graph.transferToHost(DataTransferMode.EVERY_EXECUTION, stream);
            } else {
                graph.persistOnDevice(stream);
            }
            if (!decoding && !cacheBuffers.isEmpty()) {
                graph.transferToHost(DataTransferMode.EVERY_EXECUTION, cacheBuffers.toArray());
            }
            graphs.add(graph.snapshot());
        }
        TornadoExecutionPlan plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
        if (!grids.keySet().isEmpty()) {
            plan.withGridScheduler(grids);
        }
        if (device != null) {
            plan.withDevice(device);
        }
        return new ModelExecution(shape, floatInput, tokenInput, stream, plan, graphs.size());
    }

    static String graphName(int layerIndex) {
        return "layer_" + layerIndex;
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

    /** Runs every layer's graph in order; returns the host output, valid until the next run. */
    public FloatArray run() {
        for (int i = 0; i < graphCount; i++) {
            plan.withGraph(i).execute();
        }
        return output;
    }

    /** TornadoVM's profiler figures of one run, summed over the layers' graphs (nanoseconds and bytes). */
    public record Profile(long totalNanos, long kernelNanos, long transferNanos, long compileNanos, long bytesTransferred) {
        Profile plus(TornadoExecutionResult result) {
            var p = result.getProfilerResult();
            return new Profile(totalNanos + p.getTotalTime(), kernelNanos + p.getDeviceKernelTime(), transferNanos + p.getDataTransfersTime(),
                    compileNanos + p.getCompileTime(), bytesTransferred + p.getTotalBytesTransferred());
        }
    }

    /** Turns TornadoVM's profiler on for the following runs (its figures come from {@link #runProfiled()}). */
    public ModelExecution withProfiler() {
        plan.withProfiler(ProfilerMode.SILENT);
        return this;
    }

    /** {@link #run()}, returning the profiler's figures (all zero unless {@link #withProfiler()} was called). */
    public Profile runProfiled() {
        Profile profile = new Profile(0, 0, 0, 0, 0);
        for (int i = 0; i < graphCount; i++) {
            profile = profile.plus(plan.withGraph(i).execute());
        }
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
