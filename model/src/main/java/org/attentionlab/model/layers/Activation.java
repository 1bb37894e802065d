package org.attentionlab.model.layers;

import org.attentionlab.kernels.Activations;
import org.attentionlab.model.exec.LayerTasks;
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
}
