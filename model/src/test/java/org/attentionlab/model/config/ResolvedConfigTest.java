package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.arch.Architecture;
import org.attentionlab.model.arch.Architectures;
import org.junit.jupiter.api.Test;

/** What {@code describe --resolved} exports for the PyTorch twins: every key the architecture reads, every layer's spec. */
class ResolvedConfigTest {

    private static final Path CONFIGS = Path.of("..", "configs");

    @SuppressWarnings("unchecked")
    private static <T> T get(Map<String, Object> map, String key) {
        assertTrue(map.containsKey(key), "no " + key + " in " + map.keySet());
        return (T) map.get(key);
    }

    @Test
    void settingsHoldEveryTopLevelKeyTheArchitectureReads() throws ConfigException {
        for (Architecture architecture : Architectures.all()) {
            String yaml = "architecture: " + architecture.yamlName() + "\n" + (architecture.accepts(Keys.EMBED_DIM) ? "embed_dim: 8\n" : "");
            Map<String, Object> settings = get(ResolvedConfig.of(ConfigLoader.parse(yaml, Path.of("x.yaml"))), "settings");
            List<String> expected = new ArrayList<>();
            for (Key<?> key : Keys.all()) {
                if (key.topLevel() && architecture.accepts(key) && !List.of("extends", "layers", "sliding_window_pattern").contains(key.name())) {
                    expected.add(key.name());
                }
            }
            assertEquals(expected, new ArrayList<>(settings.keySet()), architecture.yamlName());
        }
    }

    @Test
    void anAblationIsResolvedThroughItsBase() throws ConfigException {
        Map<String, Object> resolved = ResolvedConfig.of(ConfigLoader.load(CONFIGS.resolve("ablations/rnope-swa-alibi-first-half.yaml")));
        assertEquals(ResolvedConfig.FORMAT, get(resolved, "format"));
        Map<String, Object> settings = get(resolved, "settings");
        assertEquals("rnope_swa", settings.get("architecture"));
        assertEquals(6, settings.get("num_hidden_layers"));
        assertEquals(1024, settings.get("intermediate_size"));
        assertNull(settings.get("vocab_size"));
        List<Map<String, Object>> layers = get(resolved, "layers");
        assertEquals(List.of("alibi", "alibi", "alibi", "none", "none", "none"), layers.stream().map(l -> l.get("position_embedding")).toList());
        assertEquals(Collections.nCopies(3, "reference"), layers.subList(0, 3).stream().map(l -> l.get("alibi_slopes")).toList());
        assertEquals("full_attention", layers.get(5).get("layer_type"));
        assertNull(layers.get(5).get("sliding_window"));
        assertEquals(128, layers.get(0).get("sliding_window"));
        Map<String, Object> ffn = get(layers.get(0), "ffn");
        assertEquals(Map.of("type", "mlp", "intermediate_size", 1024, "hidden_act", "gelu", "bias", true), ffn);
        assertEquals(Map.of("kind", "features", "embed_dim", 256), withoutNulls(get(resolved, "input")));
        assertNull(resolved.get("lm_head"));
    }

    @Test
    void theCohere2ExampleCarriesItsHeadAndNames() throws ConfigException {
        Map<String, Object> resolved = ResolvedConfig.of(ConfigLoader.load(CONFIGS.resolve("rnope-swa-hybrid.yaml")));
        assertEquals(Map.of("vocab_size", 256, "tie_word_embeddings", true, "logit_scale", 0.0625), get(resolved, "lm_head"));
        List<Map<String, Object>> layers = get(resolved, "layers");
        assertEquals(Map.of("theta", 10000.0, "pairing", "gptj"), layers.get(0).get("rope"));
        assertNull(layers.get(3).get("rope"));
        assertEquals(Map.of("kind", "layernorm", "eps", 1e-5, "bias", false), layers.get(0).get("norm"));
        assertEquals(false, layers.get(0).get("attention_bias"));
        List<List<String>> names = get(resolved, "hugging_face_names");
        assertTrue(names.contains(List.of("layers.{i}.ffn.gate_proj.weight", "model.layers.{i}.mlp.gate_proj.weight")), names.toString());
        assertNull(ResolvedConfig.of(ConfigLoader.load(CONFIGS.resolve("multihead-sliding-window.yaml"))).get("hugging_face_names"));
    }

    /** describe --resolved carries the train: block, resolved (defaults, --set train.KEY), as setting train; null without one. */
    @Test
    void theTrainBlockIsResolvedWithTheModel() throws ConfigException {
        Path file = CONFIGS.resolve("train/rnope-swa-recall.yaml");
        List<String> overrides = List.of("train.steps=7");
        Map<String, Object> settings = get(ResolvedConfig.of(ConfigLoader.load(file, overrides),
                ConfigLoader.loadTrainingIfPresent(file, overrides).map(TrainingConfig::train)), "settings");
        Map<String, Object> train = get(settings, "train");
        assertEquals("associative_recall", train.get("task"));
        assertEquals(7, train.get("steps"));
        assertEquals(8, train.get("pairs"));
        assertEquals(List.of(0.9, 0.999), train.get("betas"));
        assertEquals((Double) train.get("learning_rate") / 10, (Double) train.get("min_learning_rate"), 1e-15);
        assertEquals("cosine", train.get("lr_schedule"));
        assertTrue(!train.containsKey("digits"), "another task's option: " + train.keySet());
        Path untrained = CONFIGS.resolve("rnope-swa.yaml");
        assertTrue(ConfigLoader.loadTrainingIfPresent(untrained, List.of()).isEmpty());
        assertNull(get(get(ResolvedConfig.of(ConfigLoader.load(untrained)), "settings"), "train"));
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> map) {
        Map<String, Object> out = new java.util.LinkedHashMap<>(map);
        out.values().removeIf(v -> v == null);
        return out;
    }
}
