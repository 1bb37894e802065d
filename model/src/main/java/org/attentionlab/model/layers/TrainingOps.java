package org.attentionlab.model.layers;

import org.attentionlab.kernels.Activations;
import org.attentionlab.model.exec.TrainingTasks;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** The element-wise steps the layers' training forward and backward share: copies, sums and dropout. */
final class TrainingOps {

    private TrainingOps() {
    }

    /** {@code to = from}: dropout with p = 0, which returns its input bit for bit (no copy kernel of its own needed). */
    static void copy(TrainingTasks tasks, String task, FloatArray from, FloatArray to, int size) {
        tasks.graph().task(tasks.name(task), Activations::dropout, from, to, size, 0.0f, 0);
    }

    /** {@code out = a + b}. */
    static void add(TrainingTasks tasks, String task, FloatArray a, FloatArray b, FloatArray out, int size) {
        tasks.graph().task(tasks.name(task), Activations::add, a, b, out, size);
    }

    /**
     * Dropout of {@code x} into {@code out} (which may be x) with probability {@code p} and this layer's mask
     * {@code stream} when training; returns out, or x itself when nothing is dropped (evaluation, p = 0). The backward
     * is the same call on the gradient: the mask comes again from the seed and the step counter, which does not change
     * between a step's forward and its backward.
     */
    static FloatArray dropout(TrainingTasks tasks, String task, FloatArray x, FloatArray out, int size, double p, int stream) {
        if (!tasks.dropout() || p == 0) {
            return x;
        }
        tasks.graph().task(tasks.name(task), Activations::dropoutAtStep, x, out, size, (float) p, tasks.dropoutSeed(stream), tasks.stepCounter());
        return out;
    }
}
