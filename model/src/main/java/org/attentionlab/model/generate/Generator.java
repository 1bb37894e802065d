package org.attentionlab.model.generate;

import java.util.List;

import org.attentionlab.model.InputException;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.KvCaches;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.PositionBias;

import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Generation from a language model, one sequence at a time, with key/value caches ({@link KvCaches}): the prompt goes
 * through the ordinary forward pass once ({@link #prefill}), which also fills the caches from every attention layer's
 * keys and values; then each new token is one decode step ({@link #next}), one execution of the model's chain of
 * layer graphs in which only the token and its position go in and only its logits come back, the caches staying on
 * the device. A sliding layer's cache is a rolling buffer of W slots, a full layer's holds every position up to
 * {@code maxLength}.
 */
public final class Generator implements AutoCloseable {

    /** The most positions (prompt and new tokens) one generation may span. */
    public static final int MAX_POSITIONS = 1 << 20;

    private final Model model;
    private final KvCaches caches;
    private final TornadoDevice device;
    private ModelExecution decode;
    private int position;

    private Generator(Model model, KvCaches caches, TornadoDevice device) {
        this.model = model;
        this.caches = caches;
        this.device = device;
    }

    /**
     * Refuses, in one line naming the config and the key, a model the caches cannot serve exactly: one that does not
     * read token ids and return logits, or whose earlier positions would change as the sequence grows (a
     * bidirectional layer, or an APE bias below the last layer: APE's bias depends on the sequence length, so every
     * position's hidden state does). Global tokens are fine: under causality one attends to the keys before it and is
     * seen by the later queries, so nothing earlier changes (their layers keep every position in the cache).
     */
    public static void requireLanguageModel(ModelSpec spec) {
        String file = spec.source().toString();
        if (!(spec.input() instanceof InputSpec.TokenIds)) {
            throw new InputException(file + ": vocab_size: generation needs a language model, which reads token ids (vocab_size) and returns logits"
                    + " (output: logits); this one reads features (embed_dim)");
        }
        if (spec.lmHead().isEmpty()) {
            throw new InputException(file + ": output: generation needs a language model, which returns logits (output: logits); this one returns "
                    + spec.output().yamlName());
        }
        List<BlockSpec> blocks = spec.blocks();
        for (BlockSpec block : blocks) {
            String at = file + ": layer " + block.index() + ": ";
            if (!block.attention().mask().causal()) {
                throw new InputException(at + "causal: generation needs causal attention; this layer is bidirectional (causal: false), so a position"
                        + " would attend to tokens that are not generated yet");
            }
            if (block.attention().bias() instanceof PositionBias.Ape && block.index() < blocks.size() - 1) {
                throw new InputException(at + "position_embedding: ape's bias (1 - |i - j| / L) depends on the sequence length L, so the hidden states"
                        + " of earlier positions change as the sequence grows and the layers above could not reuse their cached keys and values;"
                        + " generation allows ape on the last layer only");
            }
        }
    }

    /** The caches {@code model} needs for generations of up to {@code maxLength} positions. */
    public static List<KvCaches.Layout> cacheLayouts(Model model, int maxLength) {
        return KvCaches.layouts(model.layers(), maxLength);
    }

    /**
     * Starts a generation of up to {@code maxLength} positions (prompt and new tokens) with {@code model}, which
     * {@link #requireLanguageModel} accepts; {@code device} null: the plain JVM.
     */
    public static Generator start(Model model, int maxLength, TornadoDevice device) {
        requireLanguageModel(model.spec());
        if (maxLength < 1 || maxLength > MAX_POSITIONS) {
            throw new IllegalArgumentException("maxLength must be in [1, " + MAX_POSITIONS + "], got " + maxLength);
        }
        return new Generator(model, KvCaches.allocate(cacheLayouts(model, maxLength), 1, maxLength), device);
    }

    public KvCaches caches() {
        return caches;
    }

    /** The position the next token takes: the tokens so far. */
    public int position() {
        return position;
    }

    /**
     * Runs the prompt through the forward pass, filling the caches; returns the logits at its last position, which
     * choose the first new token.
     */
    public float[] prefill(int[] prompt) {
        if (position != 0 || decode != null) {
            throw new IllegalStateException("the prompt goes first, once");
        }
        checkIds(prompt);
        if (prompt.length < 1 || prompt.length > caches.maxLength()) {
            throw new IllegalArgumentException("a prompt of " + prompt.length + " tokens does not fit 1.." + caches.maxLength() + " positions");
        }
        model.checkSeqLen(prompt.length);
        float[] last;
        try (ModelExecution forward = ModelExecution.prefill(model.layers(), RunShape.inference(1, prompt.length), device, model.executionOptions(), caches)) {
            last = lastLogits(forward, prompt, model.vocabSize());
        }
        position = prompt.length;
        return last;
    }

    /** Runs {@code forward} (a batch of one sequence) on {@code ids}; the logits at the last position. */
    static float[] lastLogits(ModelExecution forward, int[] ids, int vocab) {
        for (int i = 0; i < ids.length; i++) {
            forward.tokenInput().set(i, ids[i]);
        }
        FloatArray logits = forward.run();
        float[] last = new float[vocab];
        for (int v = 0; v < vocab; v++) {
            last[v] = logits.get((ids.length - 1) * vocab + v);
        }
        return last;
    }

    /** Decodes {@code token} at the next position; returns its logits, which choose the token after it. */
    public float[] next(int token) {
        if (position == 0) {
            throw new IllegalStateException("prefill a prompt first");
        }
        if (position >= caches.maxLength()) {
            throw new IllegalStateException("the caches hold " + caches.maxLength() + " positions, all used");
        }
        checkIds(new int[] { token });
        if (decode == null) {
            decode = ModelExecution.decodeStep(model.layers(), device, model.executionOptions(), caches);
        }
        decode.tokenInput().set(0, token);
        caches.position().set(0, position);
        float[] logits = decode.run().toHeapArray();
        position++;
        return logits;
    }

    private void checkIds(int[] ids) {
        for (int id : ids) {
            if (id < 0 || id >= model.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + model.vocabSize() + ")");
            }
        }
    }

    @Override
    public void close() {
        if (decode != null) {
            decode.close();
        }
    }
}
