package org.attentionlab.model.train;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.attentionlab.model.Model;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.exec.TrainableLayer.TrainingForward;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.weights.Parameters.Parameter;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One layer's training forward and backward as chained task graphs on the JVM implementation (every device buffer
 * starts as NaN, so an element nothing writes shows), for a given input and output gradient: what the layer
 * returned, the input gradient and every parameter's gradient, by name.
 */
final class LayerTrainingRun {

    record Result(float[] output, float[] inputGradient, Map<String, float[]> gradients) {
    }

    /** What dropout needs: whether it applies, the run's seed and the update count the masks are drawn for. */
    record Dropout(boolean on, int seed, int step) {
        static final Dropout OFF = new Dropout(false, 0, 0);
    }

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
        resident.addAll(layer.trainingConstants());
        IntArray step = IntArray.fromElements(dropout.step());
        FloatArray x = FloatArray.fromArray(input);
        FloatArray dOut = FloatArray.fromArray(outputGradient);
        GridScheduler grids = new GridScheduler();
        TrainingTasks root = TrainingTasks.forGraphs("layer", new RunShape(batch, seqLen, dropout.on(), dropout.seed()), grids, gradients, step);
        TrainingTasks tasks = root.forLayer("l", 0, true);
        TrainingForward forward = layer.addTrainingForward(tasks, x);
        FloatArray dInput = forward.backward().addTasks(tasks, dOut);
        // The layer's graphs chained as a training step chains them (the layer's own check of GraphChain).
        // The gradients of the layer's own parameters (the model's others stay 0), its output and input gradient.
        java.util.Set<Object> used = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        root.graphs().forEach(g -> used.addAll(g.arrays()));
        List<Object> out = new ArrayList<>(byName.values().stream().filter(used::contains).toList());
        out.add(forward.output());
        out.add(dInput);
        List<ImmutableTaskGraph> graphs = GraphChain.link(root.graphs(), resident, List.of(step, x, dOut), out, List.of());
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new))) {
            plan.withGridScheduler(grids);
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
        return new Result(forward.output().toHeapArray(), dInput.toHeapArray(), gradientValues);
    }

    /** The dropout seed the layer's masks use for stream {@code stream} in this run (the layer's own derivation). */
    static int dropoutSeed(Dropout dropout, int batch, int seqLen, int stream) {
        TrainingTasks tasks = TrainingTasks.forGraphs("seed", new RunShape(batch, seqLen, dropout.on(), dropout.seed()), new GridScheduler(), Map.of(),
                new IntArray(1)).forLayer("l", 0, true);
        return tasks.dropoutSeed(stream);
    }
}
