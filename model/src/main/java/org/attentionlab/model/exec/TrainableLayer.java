package org.attentionlab.model.exec;

import java.util.List;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A layer that can be trained. Its parameters are the model's {@code Parameters} it declared (their names are the
 * safetensors names); their gradient buffers come from {@link TrainingTasks#gradient}. For training it adds its
 * forward tasks out of place, into buffers of its own that nothing overwrites before its backward has run, and
 * returns with its output the {@link Backward} that adds its backward tasks later, once the gradient of its output
 * is known. Parameter gradients accumulate (as PyTorch's {@code .grad}); the input gradient is written.
 */
public interface TrainableLayer extends Layer {

    /** Adds the training forward of this layer reading {@code input} (which it must not modify). */
    TrainingForward addTrainingForward(TrainingTasks tasks, FloatArray input);

    /** What the training tasks read besides the parameters and the streams (ALiBi slopes, global tokens): sent once. */
    default List<Object> trainingConstants() {
        return List.of();
    }

    /** The output of a layer's training forward and how to add its backward. */
    record TrainingForward(FloatArray output, Backward backward) {
    }

    /** Adds a layer's backward tasks; made by its training forward, which knows what it kept. */
    @FunctionalInterface
    interface Backward {
        /**
         * Adds tasks that accumulate the layer's parameter gradients from {@code outputGradient} and return the
         * gradient of its input, or null when its input needs none ({@link TrainingTasks#inputNeedsGradient()}
         * false, or token ids). {@code outputGradient} may be overwritten.
         */
        FloatArray addTasks(TrainingTasks tasks, FloatArray outputGradient);
    }
}
