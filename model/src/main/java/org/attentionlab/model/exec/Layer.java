package org.attentionlab.model.exec;

import java.util.List;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * One stage of a model. It turns into the tasks of one task graph, in one place: {@link #addTasks}.
 * The stream a layer reads comes from the previous layer's graph (or the host input for the first layer); the
 * stream it returns goes on to the next graph (or back to the host after the last).
 */
public interface Layer {

    /** A short name for tables: "block 3 (sliding, rope)". */
    String describe();

    /** What this layer's tasks read that never changes (weights, ALiBi slopes, ...): sent on the first execution. */
    List<Object> deviceConstants();

    /** Width of one position of the stream this layer returns (batch and positions come from the shape). */
    int outputWidth();

    /** Whether this layer adds no task for its configuration (a model leaves such layers out: TornadoVM rejects empty graphs). */
    default boolean isIdentity() {
        return false;
    }

    /** Positions per sequence in the returned stream: the sequence length, or 1 after pooling. */
    default int outputPositions(int seqLen) {
        return seqLen;
    }

    /** Adds this layer's tasks to {@code tasks}, reading {@code input}; returns the stream it writes. */
    FloatArray addTasks(LayerTasks tasks, FloatArray input);

    /**
     * Whether {@link #addTasks} takes the task the layer before it deferred ({@link LayerTasks#deferred}): fuses it
     * into its own first task, or adds it before its own. Otherwise the deferred task is added before this layer's.
     */
    default boolean fusesDeferredTask() {
        return false;
    }

    /**
     * The key/value caches this layer's attention needs to generate up to {@code maxLength} positions (see
     * {@link KvCaches}); none for a layer without attention.
     */
    default List<KvCaches.Layout> kvCacheLayouts(int maxLength) {
        return List.of();
    }

    /** Floating-point operations for one forward pass of a batch of {@code seqLen} positions (multiply-add = 2). */
    long flops(int batch, int seqLen);

    /**
     * Weight elements one forward pass reads, each once: every weight of its kernels (borrowed ones included), but of
     * an embedding table only the rows it looks up.
     */
    long weightsRead(int batch, int seqLen);

    /**
     * The bytes one forward pass must move at least, as fp32: the weights it reads ({@link #weightsRead}) and the
     * buffers it writes ({@link #buffers}), each once (what {@code describe} states beside the FLOPs).
     */
    default long bytes(int batch, int seqLen) {
        long written = 0;
        for (Buffer b : buffers(batch, seqLen)) {
            written += b.elements();
        }
        return Float.BYTES * (weightsRead(batch, seqLen) + written);
    }

    /**
     * The buffers {@link #addTasks} asks {@link LayerTasks#scratch} for in this shape, computed without allocating
     * them (weights and the stream it reads excluded): what the run's memory estimate and size checks count.
     */
    List<Buffer> buffers(int batch, int seqLen);

    /**
     * Weights this layer keeps a second time, in a layout its kernels read (the fused q/k/v projection), besides its
     * parameters: the host holds both, the device receives the packed copy in place of the parameters it packs.
     * Computed without allocating anything.
     */
    default List<Buffer> packedWeights() {
        return List.of();
    }

    /**
     * Weights this layer's tasks read that another layer declares as its parameters (a tied lm_head reads
     * embed_tokens' table): held once on the host and once on the device (the graphs hand it on), read by both.
     */
    default List<Buffer> borrowedWeights() {
        return List.of();
    }
}
