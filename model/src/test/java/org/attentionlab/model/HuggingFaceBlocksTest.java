package org.attentionlab.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.weights.Parameters.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The Hugging Face switches checked against the model they switch from, exactly: a projection or LayerNorm without
 * bias computes what the same one computes with a zero bias, and has no bias tensor; token ids compute what their
 * embedding rows compute as features; a tied lm_head computes what an untied one holding the embeddings computes;
 * the logit scale multiplies. (The PyTorch twins check the same blocks against Hugging Face's math.)
 */
class HuggingFaceBlocksTest {

    private static final int BATCH = 2;
    private static final int SEQ = 6;
    private static final String BASE = "architecture: rnope_swa\nhidden_size: 16\nnum_attention_heads: 2\nnum_key_value_heads: 1\nnum_hidden_layers: 2\n"
            + "intermediate_size: 12\nsliding_window: 4\nposition_embedding: rope\n";

    private static Model model(String yaml) {
        return Model.build(ConfigLoader.parse(BASE + yaml, Path.of("blocks.yaml")));
    }

    private static Map<String, Parameter> parameters(Model model) {
        return model.parameters().all().stream().collect(Collectors.toMap(Parameter::name, Function.identity()));
    }

    /** Runs on seeded input: token ids below the vocabulary, or features in [-1, 1). */
    private static float[] run(Model model, int[] ids, float[] features) {
        try (ModelExecution execution = model.prepare(RunShape.inference(BATCH, SEQ), null)) {
            if (ids != null) {
                for (int i = 0; i < ids.length; i++) {
                    execution.tokenInput().set(i, ids[i]);
                }
            } else {
                for (int i = 0; i < features.length; i++) {
                    execution.floatInput().set(i, features[i]);
                }
            }
            return execution.run().toHeapArray();
        }
    }

    private static float[] features(int width) {
        SplittableRandom random = new SplittableRandom(5);
        float[] x = new float[BATCH * SEQ * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static int[] ids(int vocab) {
        SplittableRandom random = new SplittableRandom(6);
        return random.ints(BATCH * SEQ, 0, vocab).toArray();
    }

    @ParameterizedTest
    @ValueSource(strings = { "attention_bias", "mlp_bias", "norm_bias" })
    void withoutBiasIsAZeroBiasAndNoTensor(String key) {
        String gated = "embed_dim: 16\nffn_type: swiglu\n";
        Model without = model(gated + key + ": false\n");
        Model with = model(gated);
        String part = switch (key) {
        case "attention_bias" -> ".attn.";
        case "mlp_bias" -> ".ffn.";
        default -> "norm.";
        };
        List<String> biases = parameters(with).keySet().stream().filter(n -> n.contains(part) && n.endsWith(".bias")).sorted().toList();
        assertEquals(key.equals("norm_bias") ? 5 : key.equals("mlp_bias") ? 6 : 8, biases.size(), "biases with " + key + ": " + biases);
        for (String name : parameters(without).keySet()) {
            assertFalse(biases.contains(name), key + " false still declares " + name);
        }
        assertEquals(parameters(with).size() - biases.size(), parameters(without).size());
        for (Parameter p : with.parameters().all()) {
            if (biases.contains(p.name())) {
                p.data().init(0f);
            }
        }
        float[] x = features(16);
        float[] expected = run(with, null, x);
        assertTrue(Arrays.stream(toDoubles(expected)).anyMatch(v -> v != 0));
        assertArrayEquals(expected, run(without, null, x), 0f, key + " false differs from zero biases");
        Model shifted = model(gated);
        for (Parameter p : shifted.parameters().all()) {
            if (biases.contains(p.name())) {
                p.data().init(0.25f);
            }
        }
        assertFalse(Arrays.equals(run(shifted, null, x), expected), "these biases matter");
    }

    @Test
    void tokenIdsAreTheirEmbeddingRowsAsFeatures() {
        Model tokens = model("vocab_size: 9\nffn_type: geglu\n");
        Model features = model("embed_dim: 16\nffn_type: geglu\n");
        assertTrue(tokens.takesTokenIds());
        assertEquals(List.of(9, 16), Arrays.stream(parameters(tokens).get("embed_tokens.weight").shape()).boxed().toList());
        assertFalse(parameters(features).containsKey("input_proj.weight"), "equal widths: no projection");
        int[] ids = ids(9);
        FloatArray table = parameters(tokens).get("embed_tokens.weight").data();
        float[] rows = new float[ids.length * 16];
        for (int t = 0; t < ids.length; t++) {
            for (int j = 0; j < 16; j++) {
                rows[t * 16 + j] = table.get(ids[t] * 16 + j);
            }
        }
        assertArrayEquals(run(features, null, rows), run(tokens, ids, null), 0f);
    }

    @Test
    void aTiedHeadIsAnUntiedOneHoldingTheEmbeddings() {
        Model tied = model("vocab_size: 11\noutput: logits\ntie_word_embeddings: true\n");
        Model untied = model("vocab_size: 11\noutput: logits\n");
        assertFalse(parameters(tied).containsKey("lm_head.weight"));
        assertEquals(List.of(11, 16), Arrays.stream(parameters(untied).get("lm_head.weight").shape()).boxed().toList());
        assertArrayEquals(new int[] { BATCH, SEQ, 11 }, tied.outputShape(BATCH, SEQ));
        FloatArray head = parameters(untied).get("lm_head.weight").data();
        FloatArray embeddings = parameters(untied).get("embed_tokens.weight").data();
        for (int i = 0; i < head.getSize(); i++) {
            head.set(i, embeddings.get(i));
        }
        int[] ids = ids(11);
        assertArrayEquals(run(untied, ids, null), run(tied, ids, null), 0f);
    }

    @Test
    void theLogitScaleMultipliesTheLogits() {
        int[] ids = ids(11);
        float[] plain = run(model("vocab_size: 11\noutput: logits\n"), ids, null);
        float[] scaled = run(model("vocab_size: 11\noutput: logits\nlogit_scale: 0.0625\n"), ids, null);
        for (int i = 0; i < plain.length; i++) {
            assertEquals(plain[i] * 0.0625f, scaled[i], 0f, "logit " + i);
        }
    }

    @Test
    void gatedBlocksDeclareGateUpAndDownInHuggingFaceOrder() {
        List<String> names = model("embed_dim: 16\nffn_type: swiglu\nmlp_bias: false\n").parameters().all().stream().map(Parameter::name)
                .filter(n -> n.startsWith("layers.0.ffn.")).toList();
        assertEquals(List.of("layers.0.ffn.gate_proj.weight", "layers.0.ffn.up_proj.weight", "layers.0.ffn.down_proj.weight"), names);
        assertTrue(model("embed_dim: 16\n").parameters().all().stream().noneMatch(p -> p.name().contains("gate_proj")), "mlp has no gate");
    }

    private static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
