package org.attentionlab.model.layers;

import org.attentionlab.kernels.Activations;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.spec.HiddenAct;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** The config's {@code hidden_act} as a task. */
final class Activation {

    private Activation() {
    }

    static void addTask(LayerTasks tasks, String taskName, HiddenAct act, FloatArray x, int size) {
        switch (act) {
        case GELU -> tasks.graph().task(taskName, Activations::geluErf, x, x, size);
        case GELU_PYTORCH_TANH -> tasks.graph().task(taskName, Activations::geluTanh, x, x, size);
        case SILU -> tasks.graph().task(taskName, Activations::silu, x, x, size);
        case RELU -> tasks.graph().task(taskName, Activations::relu, x, x, size);
        }
    }

    // ---------------------------------------------------------------- training

    /** {@code out = act(x)} under the layer's prefix in a training graph (out of place: the backward reads x). */
    static void addTrainingForward(TrainingTasks tasks, String taskName, HiddenAct act, FloatArray x, FloatArray out, int size) {
        String name = tasks.name(taskName);
        switch (act) {
        case GELU -> tasks.graph().task(name, Activations::geluErf, x, out, size);
        case GELU_PYTORCH_TANH -> tasks.graph().task(name, Activations::geluTanh, x, out, size);
        case SILU -> tasks.graph().task(name, Activations::silu, x, out, size);
        case RELU -> tasks.graph().task(name, Activations::relu, x, out, size);
        }
    }

    /** {@code dx = act'(x) dOut}; dx may be dOut. */
    static void addBackward(TrainingTasks tasks, String taskName, HiddenAct act, FloatArray x, FloatArray dOut, FloatArray dx, int size) {
        String name = tasks.name(taskName);
        switch (act) {
        case GELU -> tasks.graph().task(name, Activations::geluErfBackward, x, dOut, dx, size);
        case GELU_PYTORCH_TANH -> tasks.graph().task(name, Activations::geluTanhBackward, x, dOut, dx, size);
        case SILU -> tasks.graph().task(name, Activations::siluBackward, x, dOut, dx, size);
        case RELU -> tasks.graph().task(name, Activations::reluBackward, x, dOut, dx, size);
        }
    }
}
