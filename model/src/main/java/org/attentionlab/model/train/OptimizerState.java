package org.attentionlab.model.train;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.kernels.AdamW;
import org.attentionlab.kernels.WorkGroupReductions;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.weights.Parameters;
import org.attentionlab.model.weights.Parameters.Parameter;
import org.attentionlab.model.weights.Tensor;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Everything the optimizer keeps on the device besides the parameters: per parameter its gradient (accumulated by the
 * backward passes) and AdamW's moments {@code exp_avg} and {@code exp_avg_sq}; the count of updates done (which also
 * seeds the dropout masks); the hyperparameters; what each step derives from them (learning rate, gradient norm).
 *
 * <p>Weight decay follows nanoGPT: tensors of two or more dimensions (projection weights, embeddings) decay, biases
 * and norm weights do not.
 */
final class OptimizerState {

    /** The moments of one parameter, zero before the first update. */
    record Moments(FloatArray firstMoment, FloatArray secondMoment) {
    }

    static final String FIRST_MOMENT = "optimizer.exp_avg.";
    static final String SECOND_MOMENT = "optimizer.exp_avg_sq.";
    static final String STEP = "optimizer.step";

    private final List<Parameter> parameters;
    private final Map<FloatArray, FloatArray> gradients = new IdentityHashMap<>();
    private final Map<FloatArray, Moments> moments = new IdentityHashMap<>();
    private final IntArray step = new IntArray(1);
    private final FloatArray settings;
    private final FloatArray state = new FloatArray(AdamW.STATE);
    private final AdamWSettings hyperparameters;

    OptimizerState(Parameters parameters, AdamWSettings hyperparameters) {
        this.parameters = parameters.all();
        this.hyperparameters = hyperparameters;
        this.settings = hyperparameters.deviceSettings();
        for (Parameter p : this.parameters) {
            int size = p.data().getSize();
            gradients.put(p.data(), new FloatArray(size));
            moments.put(p.data(), new Moments(new FloatArray(size), new FloatArray(size)));
        }
    }

    /** Parameter buffer to gradient buffer. */
    Map<FloatArray, FloatArray> gradients() {
        return gradients;
    }

    /** The count of updates done, in device memory (the dropout masks' step). */
    IntArray stepCounter() {
        return step;
    }

    /** The updates done (host copy: valid after a read back, or before the first step). */
    int updatesDone() {
        return step.get(0);
    }

    /** Per step: learning rate, step size, bias correction, gradient factor, gradient norm ({@link AdamW}'s STATE_*). */
    FloatArray stepState() {
        return state;
    }

    /** What goes to the device once and stays there: gradients, moments, counter, settings. */
    List<Object> deviceResident() {
        List<Object> resident = new ArrayList<>();
        for (Parameter p : parameters) {
            resident.add(gradients.get(p.data()));
            resident.add(moments.get(p.data()).firstMoment());
            resident.add(moments.get(p.data()).secondMoment());
        }
        resident.add(step);
        resident.add(settings);
        return resident;
    }

    /** What a checkpoint saves besides the parameters: the moments and the counter. */
    List<Object> checkpointed() {
        List<Object> saved = new ArrayList<>();
        for (Parameter p : parameters) {
            saved.add(moments.get(p.data()).firstMoment());
            saved.add(moments.get(p.data()).secondMoment());
        }
        saved.add(step);
        return saved;
    }

    /** Parameters per recorded graph of the update: TornadoVM caps a graph's size (see GraphChain). */
    private static final int PARAMETERS_PER_GRAPH = 8;

    /**
     * One update, after the backward passes accumulated into the gradients: the global gradient norm (partial sums per
     * buffer, then one work-group), the learning rate and clip factor, AdamW on every parameter, gradients zeroed.
     * Recorded into graphs of {@value #PARAMETERS_PER_GRAPH} parameters each.
     */
    void addUpdateTasks(TrainingTasks tasks) {
        int items = WorkGroupReductions.groupItemsForDefaultRuntime();
        int slots = 0;
        for (Parameter p : parameters) {
            slots += AdamW.normGroups(p.data().getSize());
        }
        FloatArray partials = new FloatArray(slots);
        int slot = 0;
        for (int i = 0; i < parameters.size(); i++) {
            if (i % PARAMETERS_PER_GRAPH == 0) {
                tasks.startGraph();
            }
            FloatArray gradient = gradients.get(parameters.get(i).data());
            tasks.graph().task(tasks.name("norm_" + i), AdamW::sumOfSquares, new KernelContext(), gradient, partials, gradient.getSize(), slot);
            tasks.grid("norm_" + i, AdamW.normGrid(gradient.getSize(), items));
            slot += AdamW.normGroups(gradient.getSize());
        }
        tasks.startGraph();
        tasks.graph().task(tasks.name("prepare_step"), AdamW::prepareStep, new KernelContext(), partials, slots, settings, step, state);
        tasks.grid("prepare_step", AdamW.prepareGrid(items));
        for (int i = 0; i < parameters.size(); i++) {
            if (i % PARAMETERS_PER_GRAPH == 0) {
                tasks.startGraph();
            }
            Parameter p = parameters.get(i);
            Moments m = moments.get(p.data());
            float decay = p.shape().length >= 2 ? (float) hyperparameters.weightDecay() : 0f;
            FloatArray gradient = gradients.get(p.data());
            tasks.graph().task(tasks.name("update_" + i), AdamW::update, p.data(), gradient, m.firstMoment(), m.secondMoment(), settings, state, decay,
                    p.data().getSize());
            tasks.graph().task(tasks.name("zero_" + i), AdamW::zeroGradients, gradient, gradient.getSize());
        }
    }

    /** The moments and the counter as checkpoint tensors (host copies: read them back first). */
    Map<String, Tensor> toTensors() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            Moments m = moments.get(p.data());
            tensors.put(FIRST_MOMENT + p.name(), Tensor.ofFloats(p.shape(), m.firstMoment().toHeapArray()));
            tensors.put(SECOND_MOMENT + p.name(), Tensor.ofFloats(p.shape(), m.secondMoment().toHeapArray()));
        }
        tensors.put(STEP, Tensor.ofInts(new int[] { 1 }, new int[] { step.get(0) }));
        return tensors;
    }

    /** Restores the moments and the counter from a checkpoint's tensors (before the first execution). */
    void loadFrom(String file, Map<String, Tensor> tensors) {
        for (Parameter p : parameters) {
            Moments m = moments.get(p.data());
            copy(file, tensors, FIRST_MOMENT + p.name(), p, m.firstMoment());
            copy(file, tensors, SECOND_MOMENT + p.name(), p, m.secondMoment());
        }
        Tensor counter = tensors.get(STEP);
        if (counter == null || counter.isFloatingPoint() || counter.size() != 1) {
            throw new CheckpointException(file + ": " + STEP + " is missing or not one int");
        }
        step.set(0, counter.ints()[0]);
    }

    private static void copy(String file, Map<String, Tensor> tensors, String name, Parameter p, FloatArray into) {
        Tensor t = tensors.get(name);
        if (t == null || !java.util.Arrays.equals(t.shape(), p.shape()) || !t.isFloatingPoint()) {
            throw new CheckpointException(file + ": " + name + " is missing or does not have the shape " + p.shapeText());
        }
        float[] values = t.floats();
        for (int i = 0; i < values.length; i++) {
            into.set(i, values[i]);
        }
    }
}
