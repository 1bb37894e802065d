package org.attentionlab.model.train;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.attentionlab.model.Model;
import org.attentionlab.model.exec.LaunchGeometry;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.exec.TrainableLayer.TrainingForward;
import org.attentionlab.model.exec.TrainableTokenLayer;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.weights.Parameters.Parameter;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One layer's (or a chain of layers') training forward and backward as chained task graphs on the JVM implementation
 * (every device buffer starts as NaN, so an element nothing writes shows), for a given input and output gradient: what
 * the layer returned, the input gradient and every parameter's gradient, by name.
 */
final class LayerTrainingRun {

    record Result(float[] output, float[] inputGradient, Map<String, float[]> gradients) {
    }

    /** What dropout needs: whether it applies, the run's seed and the update count the masks are drawn for. */
    record Dropout(boolean on, int seed, int step) {
        static final Dropout OFF = new Dropout(false, 0, 0);
    }

    /** The JVM's launch geometry: one item per group, row-block products. */
    static final LaunchGeometry ROW_BLOCKS = new LaunchGeometry(1, "test", "CPU", null, 0, false);
    /** The geometry of an OpenCL CPU device (register-tiled projections), run on the JVM implementation. */
    static final LaunchGeometry REGISTER_TILES = new LaunchGeometry(1, "test", "CPU", null, 0, true);
    /** {@link #REGISTER_TILES} with the tiles for 8-lane vectors (AVX2). */
    static final LaunchGeometry REGISTER_TILES_8_LANES = new LaunchGeometry(1, "test", "CPU", null, 0, true, Runtime.getRuntime().availableProcessors(), 8,
            "test");

    private LayerTrainingRun() {
    }

    /** Every parameter set to values drawn from {@code seed}: weights in ±0.5, norm weights around 1. */
    static void randomizeParameters(Model model, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Parameter p : model.parameters().all()) {
            boolean normWeight = p.name().endsWith("norm.weight");
            for (int i = 0; i < p.data().getSize(); i++) {
                double value = random.nextDouble() - 0.5;
                p.data().set(i, (float) (normWeight ? 1 + value : value));
            }
        }
    }

    static float[] random(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    /** The parameters as float64, by name. */
    static Map<String, double[]> parameters(Model model) {
        Map<String, double[]> values = new LinkedHashMap<>();
        for (Parameter p : model.parameters().all()) {
            double[] wide = new double[p.data().getSize()];
            for (int i = 0; i < wide.length; i++) {
                wide[i] = p.data().get(i);
            }
            values.put(p.name(), wide);
        }
        return values;
    }

    static Result run(Model model, TrainableLayer layer, int batch, int seqLen, float[] input, float[] outputGradient, Dropout dropout) {
        return run(model, List.of(layer), batch, seqLen, FloatArray.fromArray(input), outputGradient, dropout);
    }

    /** A layer that reads token ids: its result has no input gradient (an empty array). */
    static Result runTokens(Model model, TrainableTokenLayer layer, int batch, int seqLen, int[] ids, float[] outputGradient) {
        return run(model, List.of(layer), batch, seqLen, IntArray.fromArray(ids), outputGradient, Dropout.OFF);
    }

    /**
     * {@code layers} chained as a training step chains them (each one's output is the next one's input; the backwards
     * in reverse order from {@code outputGradient}); {@code input} is features ({@code FloatArray}) or, for a first
     * layer that reads them, token ids ({@code IntArray}). Every layer returns its input gradient.
     */
    static Result run(Model model, List<? extends TrainableLayer> layers, int batch, int seqLen, Object input, float[] outputGradient, Dropout dropout) {
        return run(model, layers, batch, seqLen, input, outputGradient, dropout, ROW_BLOCKS);
    }

    /** {@link #run(Model, List, int, int, Object, float[], Dropout)} with the kernels {@code geometry} picks. */
    static Result run(Model model, List<? extends TrainableLayer> layers, int batch, int seqLen, Object input, float[] outputGradient, Dropout dropout,
            LaunchGeometry geometry) {
        Map<FloatArray, FloatArray> gradients = new IdentityHashMap<>();
        Map<String, FloatArray> byName = new LinkedHashMap<>();
        List<Object> resident = new ArrayList<>();
        for (Parameter p : model.parameters().all()) {
            FloatArray gradient = new FloatArray(p.data().getSize());
            gradients.put(p.data(), gradient);
            byName.put(p.name(), gradient);
            resident.add(p.data());
            resident.add(gradient);
        }
        layers.forEach(layer -> resident.addAll(layer.trainingConstants()));
        IntArray step = IntArray.fromElements(dropout.step());
        FloatArray dOut = FloatArray.fromArray(outputGradient);
        GridScheduler grids = new GridScheduler();
        TrainingTasks root = TrainingTasks.forGraphs("layer", new RunShape(batch, seqLen, dropout.on(), dropout.seed()), grids, geometry, gradients, step);
        List<TrainableLayer.Backward> backwards = new ArrayList<>();
        Object stream = input;
        for (int i = 0; i < layers.size(); i++) {
            root.startGraph();
            TrainingTasks tasks = root.forLayer("l" + i, 0, true);
            TrainableLayer layer = layers.get(i);
            TrainingForward forward = stream instanceof IntArray ids ? ((TrainableTokenLayer) layer).addTrainingForward(tasks, ids)
                    : layer.addTrainingForward(tasks, (FloatArray) stream);
            backwards.add(forward.backward());
            stream = forward.output();
        }
        FloatArray output = (FloatArray) stream;
        FloatArray dInput = dOut;
        for (int i = layers.size() - 1; i >= 0; i--) {
            root.startGraph();
            dInput = backwards.get(i).addTasks(root.forLayer("l" + i, 0, true), dInput);
        }
        // The layers' graphs chained as a training step chains them (the layers' own check of GraphChain).
        // The gradients of the layers' own parameters (the model's others stay 0), the output and the input gradient.
        java.util.Set<Object> used = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        root.graphs().forEach(g -> used.addAll(g.arrays()));
        List<Object> out = new ArrayList<>(byName.values().stream().filter(used::contains).toList());
        out.add(output);
        if (dInput != null) {
            out.add(dInput);
        }
        List<ImmutableTaskGraph> graphs = GraphChain.link(root.graphs(), resident, List.of(step, input, dOut), out, List.of());
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new))) {
            if (!grids.keySet().isEmpty()) { // TornadoVM refuses a scheduler that names no task (all @Parallel kernels)
                plan.withGridScheduler(grids);
            }
            TornadoExecutionResult result = null;
            for (int i = 0; i < graphs.size(); i++) {
                result = plan.withGraph(i).execute();
            }
            result.transferToHost(out.toArray());
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException(e);
        }
        Map<String, float[]> gradientValues = new LinkedHashMap<>();
        byName.forEach((name, g) -> gradientValues.put(name, g.toHeapArray()));
        return new Result(output.toHeapArray(), dInput == null ? new float[0] : dInput.toHeapArray(), gradientValues);
    }

    /** The dropout seed the layer's masks use for stream {@code stream} in this run (the layer's own derivation). */
    static int dropoutSeed(Dropout dropout, int batch, int seqLen, int stream) {
        TrainingTasks tasks = TrainingTasks.forGraphs("seed", new RunShape(batch, seqLen, dropout.on(), dropout.seed()), new GridScheduler(), ROW_BLOCKS,
                Map.of(), new IntArray(1)).forLayer("l", 0, true);
        return tasks.dropoutSeed(stream);
    }
}
