package org.attentionlab.model.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.attentionlab.model.Model;
import org.attentionlab.model.PyTorchTwinsTest;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.weights.Parameters.Parameter;
import org.junit.jupiter.api.Test;

/**
 * Our names and Hugging Face's checkpoint names (REFERENCES.md, "HF Cohere2 in detail"; Llama/Mistral's
 * {@code post_attention_layernorm}), written out here by hand for one layer rather than taken from the table.
 */
class HuggingFaceNamesTest {

    private static final HuggingFaceNames NAMES = HuggingFaceNames.DECODER;

    private static Set<String> huggingFaceNames(String twin) {
        Model model = Model.build(ConfigLoader.load(PyTorchTwinsTest.resource(twin + ".yaml")));
        assertEquals(Optional.of(NAMES), model.spec().architecture().huggingFaceNames());
        Set<String> names = new TreeSet<>();
        for (Parameter p : model.parameters().all()) {
            String hf = NAMES.huggingFace(p.name()).orElseThrow(() -> new AssertionError(p.name() + " has no Hugging Face name"));
            assertEquals(Optional.of(p.name()), NAMES.ours(hf), "round trip of " + p.name());
            names.add(hf);
        }
        return names;
    }

    @Test
    void cohere2HasHuggingFacesCheckpointNames() {
        Set<String> names = huggingFaceNames("cohere2");
        assertTrue(names.containsAll(List.of("model.embed_tokens.weight", "model.layers.0.input_layernorm.weight", "model.layers.0.self_attn.q_proj.weight",
                "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
                "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight", "model.norm.weight",
                "model.layers.7.mlp.down_proj.weight")), names.toString());
        assertEquals(2 + 8 * 8, names.size(), "embeddings, norm and 8 tensors per layer; no lm_head (tied), no biases: " + names);
    }

    @Test
    void mistralAddsThePostAttentionNormAndAnUntiedHead() {
        Set<String> names = huggingFaceNames("mistral");
        assertTrue(names.containsAll(List.of("model.layers.3.post_attention_layernorm.weight", "lm_head.weight")), names.toString());
        assertEquals(3 + 8 * 9, names.size(), names.toString());
    }

    @Test
    void namesWithoutCounterpartMapToNothing() {
        assertEquals(Optional.empty(), NAMES.huggingFace("input_proj.weight"));
        assertEquals(Optional.empty(), NAMES.huggingFace("layers.01.attn.q_proj.weight"));
        assertEquals(Optional.empty(), NAMES.huggingFace("layers.x.attn.q_proj.weight"));
        assertEquals(Optional.empty(), NAMES.ours("model.layers.0.self_attn.rotary_emb.inv_freq"));
        assertEquals(Optional.of("layers.12.attn_norm.bias"), NAMES.ours("model.layers.12.input_layernorm.bias"));
    }
}
