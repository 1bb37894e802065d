package org.attentionlab.model.exec;

/**
 * A layer's last task, left for the layer after it to fuse into its own first task (fewer launches: each task costs
 * a device launch): a pre-norm block's down projection and residual add (or its whole update after attention, one task
 * unless the output head splits off the down projection), which the output head runs with the final norm; the copy of the model's input into the stream, which the first block runs with its attention norm and q/k/v
 * projection. A layer (or the model, before its first layer) defers it through
 * {@link LayerTasks#defer}; the next layer either fuses it ({@link LayerTasks#consumeDeferred}) or has it added as a
 * task of its own first ({@link LayerTasks#addDeferred}), as every layer that does not fuse one does
 * ({@link Layer#fusesDeferredTask}).
 */
public interface DeferredTask {

    /** Adds it as a task of its own into {@code tasks}, a view of the layer that deferred it on the graph being built. */
    void addTo(LayerTasks tasks);
}
