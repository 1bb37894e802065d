package org.attentionlab.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.weights.Parameters.Parameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code intermediate_size: 0} means no feed-forward block, for every architecture and feed-forward type, gated ones
 * included (it used to build zero-width projections whose biases came from U(±1/√0) and made every output NaN).
 * Where the block's norm comes before its update (pre-norm, parallel), a model without FFN must equal the same model
 * with an FFN whose output is zero; a post-norm block would normalise once more, so there the check is that the
 * output is finite and the FFN is gone.
 */
class NoFeedForwardTest {

    private static final int BATCH = 2;
    private static final int SEQ = 7;

    private static float[] run(Model model) {
        SplittableRandom random = new SplittableRandom(11);
        try (ModelExecution execution = model.prepare(RunShape.inference(BATCH, SEQ), null)) {
            if (model.takesTokenIds()) {
                for (int i = 0; i < execution.tokenInput().getSize(); i++) {
                    execution.tokenInput().set(i, random.nextInt(model.vocabSize()));
                }
            } else {
                for (int i = 0; i < execution.floatInput().getSize(); i++) {
                    execution.floatInput().set(i, (float) (random.nextDouble() * 2 - 1));
                }
            }
            return execution.run().toHeapArray();
        }
    }

    private static Model build(String twin, String... overrides) {
        return Model.build(ConfigLoader.load(PyTorchTwinsTest.resource(twin + ".yaml"), List.of(overrides)));
    }

    @ParameterizedTest
    @ValueSource(strings = { "rnope-swa", "rnope-swa-ablations", "multihead-sliding-window", "hybrid-lstm-attention", "hybrid-lstm-attention-mlp",
            "rnope-swa-hybrid-parallel", "rnope-swa-hybrid-prenorm", "ape", "rnope-swa-geglu", "multihead-geglu-tokens", "cohere2", "mistral" })
    void zeroMeansNoFeedForwardBlock(String twin) {
        Model model = build(twin, "intermediate_size=0");
        for (Parameter p : model.parameters().all()) {
            assertFalse(p.name().contains("ffn"), twin + " still declares " + p.name());
        }
        assertTrue(model.layers().stream().noneMatch(l -> l.describe().startsWith("block ")), twin + ": a layer still has an FFN");
        float[] out = run(model);
        for (float v : out) {
            assertTrue(Float.isFinite(v), twin + ": output " + v);
        }
        if (model.spec().architecture().yamlName().equals("ape")) {
            return;
        }
        Model withFfn = build(twin, "intermediate_size=5");
        if (model.spec().normPosition() == NormPosition.POST) {
            assertFalse(java.util.Arrays.equals(out, run(withFfn)), twin + ": the FFN changes nothing");
            return;
        }
        for (Parameter p : withFfn.parameters().all()) {
            if (p.name().contains(".ffn.down_proj.")) {
                p.data().init(0f);
            }
        }
        assertArrayEquals(out, run(withFfn), 0f, twin + ": no FFN differs from an FFN that adds zero");
    }

    /** The gated blocks are blocks of every architecture that has one: a gate_proj per layer, a finite output that the gate changes. */
    @ParameterizedTest
    @ValueSource(strings = { "rnope-swa", "multihead-sliding-window", "hybrid-lstm-attention", "hybrid-lstm-attention-mlp", "rnope-swa-hybrid-parallel" })
    void everyArchitectureWithAFeedForwardBlockTakesAGatedOne(String twin) {
        Model gated = build(twin, "intermediate_size=6", "ffn_type=geglu", "hidden_act=gelu");
        int layers = gated.spec().blocks().size();
        assertEquals(layers, gated.parameters().all().stream().filter(p -> p.name().matches("layers\\.\\d+\\.ffn\\.gate_proj\\.weight")).count(), twin);
        float[] out = run(gated);
        for (float v : out) {
            assertTrue(Float.isFinite(v), twin + ": output " + v);
        }
        Model plain = build(twin, "intermediate_size=6", "hidden_act=gelu");
        for (Parameter p : plain.parameters().all()) {
            if (p.name().contains(".ffn.gate_proj.")) {
                throw new AssertionError(twin + ": an mlp block declares " + p.name());
            }
        }
        assertFalse(java.util.Arrays.equals(out, run(plain)), twin + ": the gate changes nothing");
    }

    @ParameterizedTest
    @ValueSource(strings = { "intermediate_size=4", "num_hidden_layers=2", "num_key_value_heads=1" })
    void apeRefusesWhatItWouldIgnore(String override) {
        ConfigException error = assertThrows(ConfigException.class, () -> build("ape", override));
        String key = override.substring(0, override.indexOf('='));
        assertTrue(error.getMessage().contains(": " + key + ": architecture ape "), error.getMessage());
        assertEquals(1, error.getMessage().lines().count());
    }
}
