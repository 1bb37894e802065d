package org.attentionlab.model.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.attentionlab.kernels.AdamW;
import org.attentionlab.kernels.Losses;
import org.attentionlab.model.InputException;
import org.attentionlab.model.Model;
import org.attentionlab.model.exec.LaunchGeometry;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.exec.TrainableLayer.Backward;
import org.attentionlab.model.exec.TrainableLayer.TrainingForward;
import org.attentionlab.model.exec.TrainableTokenLayer;
import org.attentionlab.model.exec.TaskTimes;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.tasks.Batch;
import org.attentionlab.model.weights.Parameters.Parameter;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One training step as one execution of a chain of task graphs that stays on the device: for each micro-batch the
 * layers' training forward, the loss and the layers' backward in reverse (accumulating the parameter gradients), then
 * the optimizer update ({@link GraphChain}: graphs of a dozen tasks that pass their arrays on). Parameters, gradients
 * and the optimizer's state go to the device on the first execution and stay there; a step sends only its batches'
 * inputs and targets and brings back only the losses, the learning rate and the gradient norm. The parameters and the optimizer state come back on demand ({@link #readBack}) for checkpoints and
 * evaluation. Whatever changes between steps (the update count that drives the schedule and the dropout masks) lives
 * in device buffers, because TornadoVM fixes a task's scalar arguments when the graph is built.
 *
 * <p>Gradient accumulation unrolls the micro-batches in the chain (each has its own input buffers), so that one
 * execution is still exactly one optimizer step. An evaluation graph ({@link #forEvaluation}) is the forward and the
 * loss only, without dropout.
 */
public final class TrainingGraph implements AutoCloseable {

    /**
     * What one execution reports: mean loss over the micro-batches, counted positions, correct predictions (-1 for a
     * regression, which has none), and the update's learning rate and gradient norm (NaN in evaluation).
     */
    public record StepResult(double loss, long counted, long correct, double learningRate, double gradientNorm) {
        /** Correct predictions over counted positions; NaN for a regression or when nothing counted. */
        public double accuracy() {
            return counted == 0 || correct < 0 ? Double.NaN : (double) correct / counted;
        }
    }

    /** What a graph does after the forward and the loss. */
    private enum Mode {
        /** The backward and the optimizer update: one training step. */
        TRAIN,
        /** The backward only, the gradients (zeroed first) back to the host every time: for checks against references. */
        GRADIENTS,
        /** Nothing: losses only. */
        EVALUATE
    }

    private final Model model;
    private final Map<String, FloatArray> gradientsByName;
    private final List<Object> inputs;
    private final List<Objective> objectives;
    private final OptimizerState optimizer;
    private final TornadoExecutionPlan plan;
    private final int graphCount;
    private final LaunchGeometry geometry;
    private final Map<String, Integer> attentionBackwardKernels;
    private final List<Object> results;
    private final List<Object> readBack;
    private TornadoExecutionResult lastResult;
    /** Where the kernel times go while profiling ({@link #profileInto}); null otherwise. */
    private StepProfile profile;

    private TrainingGraph(Model model, Map<String, FloatArray> gradientsByName, List<Object> inputs, List<Objective> objectives, OptimizerState optimizer,
            TornadoExecutionPlan plan, int graphCount, LaunchGeometry geometry, Map<String, Integer> attentionBackwardKernels, List<Object> results,
            List<Object> readBack) {
        this.model = model;
        this.gradientsByName = gradientsByName;
        this.inputs = inputs;
        this.objectives = objectives;
        this.optimizer = optimizer;
        this.plan = plan;
        this.graphCount = graphCount;
        this.geometry = geometry;
        this.attentionBackwardKernels = attentionBackwardKernels;
        this.results = results;
        this.readBack = readBack;
    }

    /** The training step of {@code model} for batches of {@code shape} (dropout on), {@code optimizer.microBatches} per step. */
    static TrainingGraph forTraining(Model model, RunShape shape, Objective.Kind objective, OptimizerState optimizer, int microBatches, TornadoDevice device) {
        return build("train_step", Mode.TRAIN, model, shape, objective, optimizer, microBatches, device);
    }

    /**
     * The forward, the loss and the backward of {@code model} for batches of {@code shape}: every parameter's gradient
     * of the mean loss ({@link #gradients}) after each execution, nothing updated.
     */
    static TrainingGraph forGradients(Model model, RunShape shape, Objective.Kind objective, TornadoDevice device) {
        return build("gradients", Mode.GRADIENTS, model, shape, objective, null, 1, device);
    }

    /**
     * The forward and the loss of {@code model} for batches of {@code batch} x {@code seqLen}, without dropout; the
     * parameters are sent with every batch (their host values: read a training graph's back first).
     */
    static TrainingGraph forEvaluation(Model model, int batch, int seqLen, Objective.Kind objective, TornadoDevice device) {
        return build("evaluate", Mode.EVALUATE, model, new RunShape(batch, seqLen, false, 0), objective, null, 1, device);
    }

    private static TrainingGraph build(String name, Mode mode, Model model, RunShape shape, Objective.Kind objectiveKind, OptimizerState optimizer,
            int microBatches, TornadoDevice device) {
        List<TrainableLayer> layers = trainableLayers(model);
        model.checkSeqLen(shape.seqLen());
        boolean training = mode == Mode.TRAIN;
        boolean backward = mode != Mode.EVALUATE;
        Map<FloatArray, FloatArray> gradients = new java.util.IdentityHashMap<>();
        Map<String, FloatArray> gradientsByName = new java.util.LinkedHashMap<>();
        if (training) {
            gradients.putAll(optimizer.gradients());
        } else if (backward) {
            for (Parameter p : model.parameters().all()) {
                FloatArray gradient = new FloatArray(p.data().getSize());
                gradients.put(p.data(), gradient);
                gradientsByName.put(p.name(), gradient);
            }
        }
        GridScheduler grids = new GridScheduler();
        // Chosen once per device, as for the model's forward runs (the config's work_group_items included).
        LaunchGeometry geometry = LaunchGeometry.forDevice(device, model.executionOptions().workGroupItems(), model.executionOptions().vectorLanes(),
                model.executionOptions().source());

        // What is sent once and stays (parameters in training, constants, the optimizer's state), and what every
        // execution sends (the batches; in evaluation and gradient graphs also the host's parameters).
        List<Object> resident = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        for (Parameter p : model.parameters().all()) {
            parameters.add(p.data());
        }
        if (training) {
            resident.addAll(parameters);
        }
        for (TrainableLayer layer : layers) {
            resident.addAll(layer.trainingConstants());
        }
        IntArray stepCounter = training ? optimizer.stepCounter() : new IntArray(1);
        if (training) {
            resident.addAll(optimizer.deviceResident());
        } else {
            resident.add(stepCounter);
        }
        List<Object> inputs = new ArrayList<>();
        List<Objective> objectives = new ArrayList<>();
        for (int micro = 0; micro < microBatches; micro++) {
            inputs.add(model.takesTokenIds() ? new IntArray(shape.rows()) : new FloatArray(shape.rows() * model.inputWidth()));
            int outputRows = model.outputShape(shape.batch(), shape.seqLen()).length == 3 ? shape.rows() : shape.batch();
            objectives.add(Objective.of(objectiveKind, shape.batch(), shape.seqLen(), model.outputSize()));
            checkObjective(objectiveKind, outputRows, shape);
        }
        List<Object> everyStep = new ArrayList<>(training ? List.of() : parameters);
        everyStep.addAll(inputs);
        objectives.forEach(o -> everyStep.addAll(o.targets()));

        // The tasks, graph by graph: each layer's forward, the loss, each layer's backward, the optimizer.
        TrainingTasks root = TrainingTasks.forGraphs(name, shape, grids, geometry, gradients, stepCounter);
        for (Map.Entry<String, FloatArray> gradient : gradientsByName.entrySet()) {
            root.graph().task("zero_" + gradient.getKey().replace('.', '_'), AdamW::zeroGradients, gradient.getValue(), gradient.getValue().getSize());
        }
        for (int micro = 0; micro < microBatches; micro++) {
            List<Backward> backwards = new ArrayList<>();
            FloatArray stream = null;
            for (int i = 0; i < layers.size(); i++) {
                root.startGraph();
                TrainingTasks tasks = root.forLayer("l" + i, micro, i > 0);
                TrainableLayer layer = layers.get(i);
                TrainingForward forward = i == 0 && layer instanceof TrainableTokenLayer tokens ? tokens.addTrainingForward(tasks, (IntArray) inputs.get(micro))
                        : layer.addTrainingForward(tasks, i == 0 ? (FloatArray) inputs.get(micro) : stream);
                backwards.add(forward.backward());
                stream = forward.output();
            }
            root.startGraph();
            FloatArray gradient = objectives.get(micro).addTasks(root.graph(), grids, "m" + micro + "_", stream, backward);
            for (int i = layers.size() - 1; i >= 0 && backward; i--) {
                root.startGraph();
                gradient = backwards.get(i).addTasks(root.forLayer("l" + i, micro, i > 0), gradient);
            }
        }
        List<Object> results = new ArrayList<>();
        objectives.forEach(o -> results.add(o.summary()));
        List<Object> readBack = new ArrayList<>();
        if (training) {
            optimizer.addUpdateTasks(root);
            results.add(optimizer.stepState());
            readBack.addAll(parameters);
            readBack.addAll(optimizer.checkpointed());
        }
        results.addAll(gradientsByName.values());

        List<ImmutableTaskGraph> graphs = GraphChain.link(root.graphs(), resident, everyStep, results, readBack);
        TornadoExecutionPlan plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
        plan.withGridScheduler(grids);
        if (device != null) {
            plan.withDevice(device);
        }
        return new TrainingGraph(model, gradientsByName, inputs, objectives, optimizer, plan, graphs.size(), geometry, root.attentionBackwardKernels(), results,
                readBack);
    }

    /** The first layer of the model that cannot be trained yet (it has no backward), if any. */
    static java.util.Optional<Layer> untrainableLayer(Model model) {
        return model.layers().stream().filter(layer -> !(layer instanceof TrainableLayer)).findFirst();
    }

    /** Every layer of the model, as trainable layers; a layer that cannot be trained yet is an input error naming it. */
    static List<TrainableLayer> trainableLayers(Model model) {
        untrainableLayer(model).ifPresent(layer -> {
            throw new InputException(model.spec().source() + ": architecture " + model.spec().architecture().yamlName()
                    + " cannot be trained yet: its layer '" + layer.describe() + "' has no backward");
        });
        return model.layers().stream().map(layer -> (TrainableLayer) layer).toList();
    }

    /** The config's checks make these hold; a caller that skipped them learns here. */
    private static void checkObjective(Objective.Kind kind, int outputRows, RunShape shape) {
        boolean perPosition = outputRows == shape.rows();
        if (kind != Objective.Kind.LAST_TOKEN && !perPosition && shape.seqLen() > 1) {
            throw new IllegalArgumentException(kind + " needs an output at every position");
        }
        if (kind == Objective.Kind.LAST_TOKEN && perPosition && shape.seqLen() > 1) {
            throw new IllegalArgumentException("last-position cross-entropy needs one output per sequence (output: last)");
        }
    }

    /**
     * Runs one execution on {@code batches} (one per micro-batch): fills the inputs and targets, executes, and returns
     * the losses (and, when training, the update's learning rate and gradient norm).
     */
    public StepResult run(List<Batch> batches) {
        if (batches.size() != inputs.size()) {
            throw new IllegalArgumentException("this graph takes " + inputs.size() + " micro-batches per execution, got " + batches.size());
        }
        for (int micro = 0; micro < batches.size(); micro++) {
            fillInput(inputs.get(micro), batches.get(micro));
            objectives.get(micro).fill(batches.get(micro));
        }
        // The graphs share device buffers: TornadoVM runs them one at a time, in order.
        for (int i = 0; i < graphCount; i++) {
            lastResult = plan.withGraph(i).execute();
            if (profile != null) {
                // Read now: TornadoVM's profiler result reads the graph selected at the time it is asked.
                profile.addKernels(TaskTimes.lastExecutionByKernel(lastResult.getProfilerResult().getProfileLog()));
            }
        }
        lastResult.transferToHost(results.toArray());
        double loss = 0;
        long counted = 0;
        long correct = 0;
        for (Objective o : objectives) {
            loss += o.summary().get(Losses.SUMMARY_LOSS);
            counted += (long) o.summary().get(Losses.SUMMARY_COUNTED);
            correct += (long) o.summary().get(Losses.SUMMARY_CORRECT);
        }
        double learningRate = optimizer == null ? Double.NaN : optimizer.stepState().get(AdamW.STATE_LEARNING_RATE);
        double norm = optimizer == null ? Double.NaN : optimizer.stepState().get(AdamW.STATE_GRADIENT_NORM);
        boolean classifies = objectives.get(0) instanceof Objective.CrossEntropy;
        return new StepResult(loss / objectives.size(), counted, classifies ? correct : -1, learningRate, norm);
    }

    private void fillInput(Object input, Batch batch) {
        switch (batch) {
        case Batch.Tokens tokens -> {
            IntArray ids = (IntArray) input;
            int[] values = tokens.inputs();
            for (int i = 0; i < values.length; i++) {
                ids.set(i, values[i]);
            }
        }
        case Batch.Features features -> {
            FloatArray x = (FloatArray) input;
            float[] values = features.inputs();
            for (int i = 0; i < values.length; i++) {
                x.set(i, values[i]);
            }
        }
        }
    }

    /**
     * Times every kernel of the following executions with TornadoVM's profiler, into {@code into} (which the caller
     * reads); the profiler's events make an execution slower.
     */
    void profileInto(StepProfile into) {
        plan.withProfiler(ProfilerMode.SILENT);
        profile = into;
    }

    /**
     * Copies the parameters (into the model's {@code Parameters}) and the optimizer state back from the device, as
     * they are after the last execution.
     */
    public void readBack() {
        if (lastResult == null) {
            return;
        }
        lastResult.transferToHost(readBack.toArray());
    }

    /** The gradients of the last execution of a {@link #forGradients} graph, by parameter name. */
    Map<String, float[]> gradients() {
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        gradientsByName.forEach((name, gradient) -> values.put(name, gradient.toHeapArray()));
        return values;
    }

    public Model model() {
        return model;
    }

    /** The launch geometry the graph was built for: which projection kernels, how many items per group. */
    public LaunchGeometry geometry() {
        return geometry;
    }

    /**
     * What {@code train}'s {@code launch:} line records: the geometry's report and, when the step has an attention
     * backward, {@code attention_backward_kernels}, the number of layers running each kernel kind the layers chose
     * ({@code register_tiles} or {@code rows}: the choice also depends on each layer's head dimension).
     */
    public Map<String, Object> launchReport() {
        Map<String, Object> report = geometry.report();
        if (!attentionBackwardKernels.isEmpty()) {
            report.put("attention_backward_kernels", new java.util.TreeMap<>(attentionBackwardKernels));
        }
        return report;
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
