package org.attentionlab.model.layers;

import java.util.List;

import org.attentionlab.kernels.AttentionKernels;
import org.attentionlab.kernels.AttentionLaunch;
import org.attentionlab.kernels.AttentionMasks;
import org.attentionlab.kernels.CachedAttention;
import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.kernels.Normalization;
import org.attentionlab.kernels.RotaryEmbedding;
import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.KvCaches;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.spec.AttentionSpec;
import org.attentionlab.model.spec.RopeSpec;
import org.attentionlab.model.spec.Window;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Scaled-dot-product attention of one layer on q/k/v laid out [batch, seq, heads, head_dim], as its
 * {@link AttentionSpec} says: QK-norm, RoPE, then the attention kernel with the layer's mask, bias and algorithm.
 * Shared by the transformer blocks and the APE model.
 */
final class AttentionCore {

    /** Added to the layer index to give its attention-dropout mask a stream of its own ({@link TrainingTasks#dropoutSeed}; residual streams are below). */
    static final int ATTENTION_DROPOUT_STREAMS = 1 << 16;

    private final int layer;
    private final AttentionSpec spec;
    private final IntArray windows;
    /** {@link #windows} with the attention dropout's threshold, when {@code attention_dropout > 0}: its seed is set per run or per step. */
    private final IntArray droppedWindows;
    private final FloatArray slopes;
    private final IntArray globalTokens;
    private final int numGlobal;

    /** The attention of config layer {@code layer} (the index its key/value cache is known by in generation). */
    AttentionCore(int layer, AttentionSpec spec) {
        this.layer = layer;
        this.spec = spec;
        this.windows = KernelCodes.windows(spec.mask(), spec.heads());
        this.droppedWindows = spec.dropout() > 0 ? AttentionMasks.withDropout(windows, spec.heads(), spec.dropout(), 0) : null;
        this.slopes = KernelCodes.slopes(spec.bias(), spec.heads());
        List<Integer> globals = spec.mask().globalTokens();
        this.numGlobal = globals.size();
        this.globalTokens = AttentionMasks.globalTokens(globals.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Constants the kernels read (ALiBi slopes, global-token positions, the heads' windows, with dropout too): sent once, like weights. */
    void addConstantsTo(List<Object> constants) {
        constants.add(slopes);
        constants.add(globalTokens);
        constants.add(windows);
        if (droppedWindows != null) {
            constants.add(droppedWindows);
        }
    }

    /**
     * How this layer's k and v are laid out in a graph of {@code tasks} where a producer can choose (the transformer
     * blocks' q/k/v projections): {@link org.attentionlab.model.exec.LaunchGeometry#kvLayout} for the kernel this layer
     * runs; token-major in a decode step and where the store code cannot carry the shape ({@link LinearKernels#headMajorFits}).
     */
    AttentionLaunch.KvLayout kvLayout(LayerTasks tasks) {
        if (tasks.decoding() || !LinearKernels.headMajorFits(tasks.shape().seqLen(), spec.headDim())) {
            return AttentionLaunch.KvLayout.TOKEN_MAJOR;
        }
        return tasks.geometry().kvLayout(tasks.geometry().attentionKernel(KernelCodes.algorithm(spec.algorithm())));
    }

    /**
     * The q/k/v projection's {@code hasBias} argument ({@link LinearKernels#qkvStoreCode}): the bias and, for
     * {@link AttentionLaunch.KvLayout#HEAD_MAJOR}, the layout of k and v.
     */
    int qkvStoreCode(LayerTasks tasks, boolean hasBias) {
        return LinearKernels.qkvStoreCode(hasBias, kvLayout(tasks) == AttentionLaunch.KvLayout.HEAD_MAJOR, tasks.shape().seqLen(), spec.headDim());
    }

    /** {@link #addTasks(LayerTasks, FloatArray, FloatArray, FloatArray, FloatArray, AttentionLaunch.KvLayout)} with k and v token-major. */
    void addTasks(LayerTasks tasks, FloatArray q, FloatArray k, FloatArray v, FloatArray out) {
        addTasks(tasks, q, k, v, out, AttentionLaunch.KvLayout.TOKEN_MAJOR);
    }

    /**
     * Adds the tasks computing {@code out} from {@code q}, {@code k}, {@code v} (q and k are modified in place), k and v
     * laid out as {@code kvLayout} (as their producer wrote them: {@link #kvLayout(LayerTasks)} or token-major). In
     * generation a prefill also writes the keys (after RoPE) and values into this layer's cache, and a decode step
     * attends to the cache instead ({@link #addDecodeTasks}). Head-major k ({@code [batch][kvHead][seqLen][headDim]})
     * is, for the qk-norm and RoPE kernels, {@code batch x kvHeads} sequences of one head each: the same vectors at the
     * same positions, so the same bits.
     */
    void addTasks(LayerTasks tasks, FloatArray q, FloatArray k, FloatArray v, FloatArray out, AttentionLaunch.KvLayout kvLayout) {
        int batch = tasks.shape().batch();
        int seqLen = tasks.shape().seqLen();
        int heads = spec.heads();
        int kvHeads = spec.kvHeads();
        int headDim = spec.headDim();
        boolean headMajor = kvLayout == AttentionLaunch.KvLayout.HEAD_MAJOR;
        int kSequences = headMajor ? batch * kvHeads : batch;
        int kHeads = headMajor ? 1 : kvHeads;
        if (spec.qkNorm()) {
            float eps = (float) spec.normEps();
            tasks.graph().task(tasks.name(TaskKind.ATTENTION, "q_norm"), Normalization::qkLayerNorm, q, batch, seqLen, heads, headDim, eps);
            tasks.graph().task(tasks.name(TaskKind.ATTENTION, "k_norm"), Normalization::qkLayerNorm, k, kSequences, seqLen, kHeads, headDim, eps);
        }
        if (tasks.decoding()) {
            addDecodeTasks(tasks, q, k, v, out);
            return;
        }
        if (spec.rope().isPresent()) {
            RopeSpec rope = spec.rope().get();
            float theta = (float) rope.theta();
            int pairing = KernelCodes.pairing(rope.pairing());
            tasks.graph().task(tasks.name(TaskKind.ATTENTION, "rope_q"), RotaryEmbedding::apply, q, batch, seqLen, heads, headDim, 0, theta, pairing);
            tasks.graph().task(tasks.name(TaskKind.ATTENTION, "rope_k"), RotaryEmbedding::apply, k, kSequences, seqLen, kHeads, headDim, 0, theta, pairing);
        }
        IntArray runWindows = windows;
        if (tasks.shape().dropout() && droppedWindows != null) {
            // A forward run's masks are fixed by its seed: set on the host before the constants' first transfer.
            AttentionMasks.setDropoutSeed(droppedWindows, heads, tasks.shape().dropoutSeed() * 1_000_003 + ATTENTION_DROPOUT_STREAMS + layer);
            runWindows = droppedWindows;
        }
        AttentionLaunch launch = launch(tasks.geometry().attentionKernel(KernelCodes.algorithm(spec.algorithm())), batch, seqLen, runWindows);
        FloatArray scratch = launch.scratchSize() > 0 ? tasks.scratch(Buffer.ATTENTION_SCORES, launch.scratchSize()) : null;
        launch.addTask(tasks.graph(), tasks.name(TaskKind.ATTENTION, "attention"), q, k, v, out, scratch, tasks.geometry().vectorLanes(), kvLayout);
        tasks.geometry().attention(launch).ifPresent(grid -> tasks.grid("attention", grid));
        if (tasks.caches() != null) {
            KvCaches.LayerCache cache = tasks.caches().layer(layer);
            tasks.graph().task(tasks.name(TaskKind.ATTENTION, "kv_cache_fill"), CachedAttention::fill, k, v, cache.keys(), cache.values(), batch, seqLen, spec.keyValueWidth(),
                    cache.layout().slots(), headMajor ? headDim : 0);
        }
    }

    /**
     * One new position per sequence at the position in device memory: q and k rotated there (RoPE), then attention to
     * the cached keys and values before it and to its own, then its key and value appended to the cache.
     */
    private void addDecodeTasks(LayerTasks tasks, FloatArray q, FloatArray k, FloatArray v, FloatArray out) {
        int batch = tasks.shape().batch();
        KvCaches.LayerCache cache = tasks.caches().layer(layer);
        IntArray position = tasks.caches().position();
        if (spec.rope().isPresent()) {
            RopeSpec rope = spec.rope().get();
            float theta = (float) rope.theta();
            int pairing = KernelCodes.pairing(rope.pairing());
            tasks.graph().task(tasks.name(TaskKind.ATTENTION, "rope_q"), RotaryEmbedding::applyAtPosition, q, position, batch, spec.heads(), spec.headDim(), theta, pairing);
            tasks.graph().task(tasks.name(TaskKind.ATTENTION, "rope_k"), RotaryEmbedding::applyAtPosition, k, position, batch, spec.kvHeads(), spec.headDim(), theta, pairing);
        }
        AttentionLaunch launch = launch(KernelCodes.algorithm(spec.algorithm()), batch, 1, windows);
        int slots = cache.layout().slots();
        for (String part : List.of("_scores", "_softmax", "_values", "_store")) {
            tasks.name(TaskKind.ATTENTION, "attention" + part);
        }
        launch.addCachedTasks(tasks.graph(), tasks.name(TaskKind.ATTENTION, "attention"), q, k, v, cache.keys(), cache.values(), out, tasks.scratch("cached_scores",
                launch.cachedScoresSize(slots)), position, slots);
    }

    /**
     * This layer's cache for generating up to {@code maxLength} positions: a sliding window of W keys keeps
     * {@code min(W, maxLength)} slots (the widest head's W when each head has its own), a full layer or one with global
     * tokens {@code maxLength}.
     */
    KvCaches.Layout cacheLayout(int maxLength) {
        return new KvCaches.Layout(layer, spec.mask().layerType(), spec.mask().window() instanceof Window.Sliding sliding ? sliding.size() : 0,
                CachedAttention.capacity(windows, spec.heads(), numGlobal, maxLength), spec.keyValueWidth());
    }

    /**
     * The kernel call of this layer for one run shape, with {@code runWindows} ({@link #windows}, or with dropout
     * {@link #droppedWindows}) and {@code kernel} (the configured algorithm, or for a forward or training run the device's
     * pick: {@link org.attentionlab.model.exec.LaunchGeometry#attentionKernel}).
     */
    private AttentionLaunch launch(AttentionLaunch.Algorithm kernel, int batch, int seqLen, IntArray runWindows) {
        return new AttentionLaunch(kernel, batch, seqLen, spec.heads(), spec.kvHeads(), spec.headDim(), runWindows,
                spec.mask().causal(), globalTokens, numGlobal, KernelCodes.biasKind(spec.bias()), slopes, KernelCodes.apeScale(spec.bias()),
                (float) (1.0 / Math.sqrt(spec.headDim())), spec.chunkSize());
    }

    /** (query, key) pairs summed over all queries of one sequence and every head that this layer's mask admits (the kernels' own counting). */
    long visiblePairs(int seqLen) {
        int causal = spec.mask().causal() ? 1 : 0;
        long pairs = 0;
        for (int h = 0; h < spec.heads(); h++) {
            for (int i = 0; i < seqLen; i++) {
                pairs += AttentionMasks.visibleKeyCountOf(i, AttentionMasks.windowLeft(windows, h), AttentionMasks.windowRight(windows, h), causal,
                        globalTokens, numGlobal, seqLen);
            }
        }
        return pairs;
    }

    /** Multiply-adds of QKᵀ and PV (2 FLOPs each) plus QK-norm and RoPE. */
    long flops(int batch, int seqLen) {
        long attention = 4L * spec.headDim() * batch * visiblePairs(seqLen);
        long perElement = (spec.qkNorm() ? 8L : 0) + (spec.rope().isPresent() ? 6L : 0);
        return attention + perElement * batch * seqLen * (spec.heads() + spec.kvHeads()) * spec.headDim();
    }

    /** The kernel's scratch ("scores"), when its algorithm has one. */
    List<Buffer> buffers(int batch, int seqLen) {
        long elements;
        try {
            elements = launch(KernelCodes.algorithm(spec.algorithm()), batch, seqLen, windows).scratchElements();
        } catch (ArithmeticException e) {
            elements = Long.MAX_VALUE;
        }
        return elements > 0 ? List.of(new Buffer(Buffer.ATTENTION_SCORES, elements)) : List.of();
    }

    // ---------------------------------------------------------------- training

    /** The backward of {@link #addTrainingForward}: from the output gradient, the gradients of the projected q, k and v. */
    @FunctionalInterface
    interface Backward {
        /** Writes {@code dq}, {@code dk}, {@code dv} (laid out as the projections' outputs) from {@code dOut}. */
        void addTasks(TrainingTasks tasks, FloatArray dOut, FloatArray dq, FloatArray dk, FloatArray dv);
    }

    /**
     * The tasks of {@link #addTasks} for training: {@code projectedQ} and {@code projectedK} are rotated in place, but
     * with QK-norm they are kept as projected (its backward reads them) and copies are normalised and rotated;
     * {@code out} must be kept too (the backward reads it). The backward recomputes the attention probabilities from
     * each row's log-sum-exp (FlashAttention-2's backward), whichever algorithm ran the forward. In training with
     * {@code attention_dropout > 0}, a task first sets the dropout seed of this layer and micro-batch from the step
     * counter ({@link AttentionKernels#seedDropoutAtStep}); forward and backward then draw the same mask from it.
     */
    Backward addTrainingForward(TrainingTasks tasks, FloatArray projectedQ, FloatArray projectedK, FloatArray v, FloatArray out) {
        int batch = tasks.shape().batch();
        int seqLen = tasks.shape().seqLen();
        int heads = spec.heads();
        int kvHeads = spec.kvHeads();
        int headDim = spec.headDim();
        float eps = (float) spec.normEps();
        FloatArray q = projectedQ;
        FloatArray k = projectedK;
        if (spec.qkNorm()) {
            q = tasks.keep("q_normed", projectedQ.getSize());
            k = tasks.keep("k_normed", projectedK.getSize());
            TrainingOps.copy(tasks, "q_copy", projectedQ, q, projectedQ.getSize());
            TrainingOps.copy(tasks, "k_copy", projectedK, k, projectedK.getSize());
            tasks.graph().task(tasks.name("q_norm"), Normalization::qkLayerNorm, q, batch, seqLen, heads, headDim, eps);
            tasks.graph().task(tasks.name("k_norm"), Normalization::qkLayerNorm, k, batch, seqLen, kvHeads, headDim, eps);
        }
        float theta = spec.rope().map(rope -> (float) rope.theta()).orElse(0f);
        int pairing = spec.rope().map(rope -> KernelCodes.pairing(rope.pairing())).orElse(0);
        if (spec.rope().isPresent()) {
            tasks.graph().task(tasks.name("rope_q"), RotaryEmbedding::apply, q, batch, seqLen, heads, headDim, 0, theta, pairing);
            tasks.graph().task(tasks.name("rope_k"), RotaryEmbedding::apply, k, batch, seqLen, kvHeads, headDim, 0, theta, pairing);
        }
        IntArray runWindows = windows;
        if (tasks.dropout() && droppedWindows != null) {
            tasks.graph().task(tasks.name("attention_dropout_seed"), AttentionKernels::seedDropoutAtStep, droppedWindows, heads,
                    tasks.dropoutSeed(ATTENTION_DROPOUT_STREAMS + layer), tasks.stepCounter());
            runWindows = droppedWindows;
        }
        // The device's kernel for the configured algorithm, as a forward run picks it (flash as register tiles on PoCL).
        AttentionLaunch launch = launch(tasks.geometry().attentionKernel(KernelCodes.algorithm(spec.algorithm())), batch, seqLen, runWindows);
        FloatArray scratch = launch.scratchSize() > 0 ? tasks.scratch("scores", launch.scratchSize()) : null;
        launch.addTask(tasks.graph(), tasks.name("attention"), q, k, v, out, scratch, tasks.geometry().vectorLanes());
        tasks.geometry().attention(launch).ifPresent(grid -> tasks.grid("attention", grid));
        FloatArray attendedQ = q;
        FloatArray attendedK = k;
        return (t, dOut, dq, dk, dv) -> {
            FloatArray statistics = t.scratch("attention_statistics", launch.backwardStatisticsSize());
            AttentionLaunch.Backward kernels = t.geometry().attentionBackward(launch);
            t.recordAttentionBackward(kernels);
            launch.addBackwardTasks(t.graph(), t.name("attention"), kernels, attendedQ, attendedK, v, out, dOut, statistics, dq, dk, dv);
            launch.backwardGrids(kernels, t.geometry().groupItems()).forEach((suffix, grid) -> t.grid("attention" + suffix, grid));
            if (spec.rope().isPresent()) {
                t.graph().task(t.name("rope_dq"), RotaryEmbedding::applyBackward, dq, batch, seqLen, heads, headDim, 0, theta, pairing);
                t.graph().task(t.name("rope_dk"), RotaryEmbedding::applyBackward, dk, batch, seqLen, kvHeads, headDim, 0, theta, pairing);
            }
            if (spec.qkNorm()) {
                t.graph().task(t.name("q_norm_backward"), Normalization::qkLayerNormBackward, projectedQ, dq, dq, batch, seqLen, heads, headDim, eps);
                t.graph().task(t.name("k_norm_backward"), Normalization::qkLayerNormBackward, projectedK, dk, dk, batch, seqLen, kvHeads, headDim, eps);
            }
        };
    }
}
