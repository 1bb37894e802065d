package org.attentionlab.model.layers;

import org.attentionlab.kernels.Activations;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.spec.HiddenAct;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The config's {@code hidden_act} as training tasks: on one stream, or as the gate of a gated feed-forward block (the
 * inference forward applies it in the matrix products' epilogue instead, {@link Linear#addTask}).
 */
final class Activation {

    private Activation() {
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

    /** {@link #addGatedTask} under the layer's prefix in a training graph ({@code gate} and {@code up} stay as they are). */
    static void addGatedTrainingForward(TrainingTasks tasks, String taskName, HiddenAct act, FloatArray gate, FloatArray up, FloatArray out, int size) {
        if (act == HiddenAct.SILU) {
            tasks.graph().task(tasks.name(taskName), Activations::swiGlu, gate, up, out, size);
            return;
        }
        addTrainingForward(tasks, taskName, act, gate, out, size);
        tasks.graph().task(tasks.name(taskName + "_up"), Activations::multiply, out, up, out, size);
    }

    /**
     * The backward of {@code out = act(gate) * up}: {@code dUp = act(gate) dOut}, {@code dGate = act'(gate) up dOut}
     * (SwiGLU's and GeGLU's kernels; for other activations the activation, its backward and products).
     */
    static void addGatedBackward(TrainingTasks tasks, String taskName, HiddenAct act, FloatArray gate, FloatArray up, FloatArray dOut, FloatArray dGate,
            FloatArray dUp, int size) {
        String name = tasks.name(taskName);
        switch (act) {
        case SILU -> tasks.graph().task(name, Activations::swiGluBackward, gate, up, dOut, dGate, dUp, size);
        case GELU -> tasks.graph().task(name, Activations::geGluBackward, gate, up, dOut, dGate, dUp, size);
        default -> {
            addTrainingForward(tasks, taskName + "_gate", act, gate, dUp, size);
            tasks.graph().task(tasks.name(taskName + "_d_up"), Activations::multiply, dUp, dOut, dUp, size);
            tasks.graph().task(tasks.name(taskName + "_up_times"), Activations::multiply, up, dOut, dGate, size);
            addBackward(tasks, taskName + "_d_gate", act, gate, dGate, dGate, size);
        }
        }
    }
}
