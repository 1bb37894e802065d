package org.attentionlab.model.layers;

import org.attentionlab.kernels.Activations;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.spec.HiddenAct;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** The config's {@code hidden_act} as tasks: on one stream, or as the gate of a gated feed-forward block. */
final class Activation {

    private Activation() {
    }

    /** {@code out = act(x)}; {@code out} may be {@code x}. */
    static void addTask(LayerTasks tasks, String taskName, HiddenAct act, FloatArray x, FloatArray out, int size) {
        switch (act) {
        case GELU -> tasks.graph().task(taskName, Activations::geluErf, x, out, size);
        case GELU_PYTORCH_TANH -> tasks.graph().task(taskName, Activations::geluTanh, x, out, size);
        case SILU -> tasks.graph().task(taskName, Activations::silu, x, out, size);
        case RELU -> tasks.graph().task(taskName, Activations::relu, x, out, size);
        }
    }

    /** {@code x = act(x)} in place. */
    static void addTask(LayerTasks tasks, String taskName, HiddenAct act, FloatArray x, int size) {
        addTask(tasks, taskName, act, x, x, size);
    }

    /**
     * {@code out = act(gate) * up}, leaving {@code gate} and {@code up} as they are (their backward kernels,
     * {@code swiGluBackward} and {@code geGluBackward}, read both): SwiGLU and the erf GeGLU in one fused kernel each;
     * another activation (the tanh GELU) into {@code out}, then the product.
     */
    static void addGatedTask(LayerTasks tasks, String taskName, HiddenAct act, FloatArray gate, FloatArray up, FloatArray out, int size) {
        switch (act) {
        case SILU -> tasks.graph().task(taskName, Activations::swiGlu, gate, up, out, size);
        case GELU -> tasks.graph().task(taskName, Activations::geGlu, gate, up, out, size);
        default -> {
            addTask(tasks, taskName, act, gate, out, size);
            tasks.graph().task(taskName + "_up", Activations::multiply, out, up, out, size);
        }
        }
    }
}
