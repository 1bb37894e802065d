package org.attentionlab.model.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.attentionlab.model.InputException;
import org.attentionlab.model.Model;
import org.attentionlab.model.PyTorchTwinsTest;
import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.config.ResolvedConfig;
import org.attentionlab.model.spec.FfnType;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.spec.RopePairing;
import org.attentionlab.model.weights.Parameters.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hugging Face checkpoint directories both ways. The fixtures under hf-checkpoints/ are written by the PyTorch twins
 * (scripts/goldens/hf_checkpoints.py, from Hugging Face's configuration and modeling files, never through this
 * project): each must load and give the twin's logits within 1e-4 relative, and read as the twin config of the same
 * sizes. What this project writes must be what the twin wrote (names, shapes, values, config.json fields), and read
 * back as the same config and weights. Every config.json or weights problem is one line naming the file and the
 * field or tensor.
 */
class HuggingFaceCheckpointTest {

    @TempDir
    Path tmp;

    /** Copies made in this test, so each gets its own folder. */
    private int copies;

    static Path checkpoint(String name) {
        try {
            return Path.of(HuggingFaceCheckpointTest.class.getResource("/hf-checkpoints/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource hf-checkpoints/" + name, e);
        }
    }

    /** The model of a checkpoint directory with its weights. */
    static Model loaded(Path directory) throws IOException {
        ModelSpec spec = ConfigLoader.load(directory);
        Model model = Model.build(spec);
        HuggingFaceCheckpoint.load(model.parameters(), spec, HuggingFaceCheckpoint.read(directory));
        return model;
    }

    @ParameterizedTest
    @ValueSource(strings = { "cohere2", "mistral", "llama" })
    void aCheckpointWrittenByTheTwinGivesTheTwinsLogits(String name) throws IOException {
        Model model = loaded(checkpoint(name));
        Map<String, Tensor> io = SafeTensors.read(checkpoint(name + ".io.safetensors"));
        Tensor input = io.get("input");
        float[] logits = PyTorchTwinsTest.run(model, input);
        assertArrayEquals(io.get("output").shape(), model.outputShape(input.shape()[0], input.shape()[1]));
        PyTorchTwinsTest.assertClose(logits, io.get("output").floats(), name + " checkpoint");
    }

    @ParameterizedTest
    @ValueSource(strings = { "cohere2", "mistral" })
    void aCheckpointReadsAsTheTwinConfigOfItsLayout(String name) {
        Map<String, Object> fromCheckpoint = new LinkedHashMap<>(ResolvedConfig.of(ConfigLoader.load(checkpoint(name))));
        Map<String, Object> fromYaml = new LinkedHashMap<>(ResolvedConfig.of(ConfigLoader.load(PyTorchTwinsTest.resource(name + ".yaml"))));
        fromCheckpoint.remove("source");
        fromYaml.remove("source");
        assertEquals(fromYaml, fromCheckpoint);
    }

    @Test
    void llamasFieldsMeanWhatLlamaComputes() {
        ModelSpec spec = ConfigLoader.load(checkpoint("llama"));
        assertEquals("rnope_swa", spec.architecture().yamlName());
        assertTrue(spec.layerTypes().stream().allMatch(t -> t == LayerType.FULL), "Llama has no sliding window");
        assertEquals(Norm.RMSNORM, spec.settings().get(Keys.NORM));
        assertEquals(NormPosition.PRE, spec.normPosition());
        assertEquals(RopePairing.NEOX, spec.blocks().get(0).attention().rope().orElseThrow().pairing());
        assertEquals(500000.0, spec.blocks().get(3).attention().rope().orElseThrow().theta());
        assertEquals(1e-5, spec.settings().get(Keys.LAYER_NORM_EPS));
        assertTrue(spec.blocks().get(0).attentionBias());
        assertTrue(spec.blocks().get(0).ffn().orElseThrow().bias());
        assertEquals(FfnType.SWIGLU, spec.blocks().get(0).ffn().orElseThrow().type());
        assertTrue(spec.lmHead().orElseThrow().tied());
        assertEquals(1.0, spec.lmHead().orElseThrow().logitScale());
        assertEquals(0.0, spec.settings().get(Keys.DROPOUT));
    }

    // ---------------------------------------------------------------- the other direction

    /** config.json parsed, numbers as doubles. */
    static Map<String, Object> configJson(Path directory) throws IOException {
        try {
            return plain(Json.parse(Files.readString(directory.resolve("config.json"))));
        } catch (Json.ParseException e) {
            throw new AssertionError(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T plain(Object value) {
        if (value instanceof Json.Number n) {
            return (T) Double.valueOf(n.text());
        }
        if (value == Json.NULL) {
            return null;
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new TreeMap<>();
            map.forEach((k, v) -> out.put((String) k, plain(v)));
            return (T) out;
        }
        if (value instanceof List<?> list) {
            return (T) list.stream().map(HuggingFaceCheckpointTest::plain).toList();
        }
        return (T) value;
    }

    @ParameterizedTest
    @ValueSource(strings = { "cohere2", "mistral", "llama" })
    void whatThisProjectWritesIsWhatTheTwinWrote(String name) throws IOException {
        Path twin = checkpoint(name);
        Model model = loaded(twin);
        Path ours = tmp.resolve(name);
        HuggingFaceCheckpoint.write(ours, model.spec(), model.parameters());

        Map<String, Tensor> theirTensors = SafeTensors.read(twin.resolve("model.safetensors"));
        Map<String, Tensor> ourTensors = SafeTensors.read(ours.resolve("model.safetensors"));
        assertEquals(theirTensors.keySet(), ourTensors.keySet());
        for (String tensor : theirTensors.keySet()) {
            assertArrayEquals(theirTensors.get(tensor).shape(), ourTensors.get(tensor).shape(), tensor);
            assertEquals(DType.F32, ourTensors.get(tensor).dtype());
            assertArrayEquals(theirTensors.get(tensor).floats(), ourTensors.get(tensor).floats(), tensor + ": F16/BF16 widen exactly");
        }
        assertEquals(Map.of("format", "pt"), SafeTensors.readMetadata(ours.resolve("model.safetensors")));

        Map<String, Object> theirs = configJson(twin);
        Map<String, Object> mine = configJson(ours);
        Set<String> onlyMine = new HashSet<>(mine.keySet());
        onlyMine.removeAll(theirs.keySet());
        for (String field : mine.keySet()) {
            if (theirs.containsKey(field) && !field.equals("torch_dtype")) {
                assertEquals(theirs.get(field), mine.get(field), field);
            }
        }
        for (String field : theirs.keySet()) {
            assertTrue(mine.containsKey(field) || HuggingFaceConfig.IGNORED.containsKey(field), field + " is written by the twin and not by us");
        }
        // what the twin's file leaves to the configuration class's defaults, and those defaults
        Map<String, Object> expectedExtra = switch (name) {
        case "cohere2" -> Map.of("tie_word_embeddings", true);
        case "mistral" -> java.util.Collections.singletonMap("rope_scaling", null);
        default -> Map.of();
        };
        assertEquals(expectedExtra.keySet(), onlyMine);
        expectedExtra.forEach((field, value) -> assertEquals(value, mine.get(field), field));
        assertEquals("float32", mine.get("torch_dtype"));
    }

    static Stream<Arguments> exportableConfigs() {
        return Stream.of(Arguments.of("cohere2.yaml", List.of()), Arguments.of("mistral.yaml", List.of()),
                Arguments.of("mistral.yaml", List.of("layer_types=[" + "full_attention, ".repeat(7) + "full_attention]", "attention_bias=true", "mlp_bias=true",
                        "tie_word_embeddings=true", "rope_theta=500000", "seed=7")),
                Arguments.of("mistral.yaml", List.of("layer_types=[" + "full_attention, ".repeat(7) + "full_attention]", "hidden_act=gelu_pytorch_tanh",
                        "ffn_type=geglu")),
                Arguments.of("cohere2.yaml", List.of("layer_types=[full_attention, sliding_attention, full_attention, sliding_attention, sliding_attention,"
                        + " full_attention, full_attention, sliding_attention]", "attention_bias=true", "tie_word_embeddings=false", "hidden_act=gelu",
                        "ffn_type=geglu", "logit_scale=0.25")));
    }

    @ParameterizedTest
    @MethodSource("exportableConfigs")
    void exportThenImportGivesTheSameConfigAndWeights(String twin, List<String> overrides) throws IOException {
        ModelSpec spec = ConfigLoader.load(PyTorchTwinsTest.resource(twin), overrides);
        Model model = Model.build(spec);
        Path directory = tmp.resolve("exported");
        HuggingFaceCheckpoint.write(directory, spec, model.parameters());

        Model back = loaded(directory);
        Map<String, Object> expected = new LinkedHashMap<>(ResolvedConfig.of(spec));
        Map<String, Object> actual = new LinkedHashMap<>(ResolvedConfig.of(back.spec()));
        expected.remove("source");
        actual.remove("source");
        Map<String, Object> expectedSettings = new LinkedHashMap<>((Map<String, Object>) expected.remove("settings"));
        Map<String, Object> actualSettings = new LinkedHashMap<>((Map<String, Object>) actual.remove("settings"));
        expectedSettings.remove("seed"); // how to initialise, not what the model is: a checkpoint has its weights instead
        actualSettings.remove("seed");
        if (!spec.layerTypes().contains(LayerType.SLIDING)) {
            // a window no layer uses is not part of the model, and Llama's config.json has no field for it
            expectedSettings.remove("sliding_window");
            actualSettings.remove("sliding_window");
        }
        assertEquals(expected, actual);
        assertEquals(expectedSettings, actualSettings);
        List<Parameter> written = model.parameters().all();
        List<Parameter> read = back.parameters().all();
        assertEquals(written.size(), read.size());
        for (int i = 0; i < written.size(); i++) {
            assertEquals(written.get(i).name(), read.get(i).name());
            assertArrayEquals(written.get(i).data().toHeapArray(), read.get(i).data().toHeapArray(), written.get(i).name());
        }
    }

    // ---------------------------------------------------------------- shards

    /** The cohere2 fixture with its weights split into two shards and an index, as large checkpoints are saved. */
    private Path sharded(Consumer<Map<String, Object>> editIndex) throws IOException {
        Path directory = tmp.resolve("sharded-" + ++copies);
        Files.createDirectories(directory);
        Files.copy(checkpoint("cohere2").resolve("config.json"), directory.resolve("config.json"));
        Map<String, Tensor> all = SafeTensors.read(checkpoint("cohere2").resolve("model.safetensors"));
        Map<String, Tensor> first = new LinkedHashMap<>();
        Map<String, Tensor> second = new LinkedHashMap<>();
        Map<String, Object> weightMap = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : all.entrySet()) {
            boolean early = e.getKey().startsWith("model.embed") || e.getKey().matches("model\\.layers\\.[0-3]\\..*");
            (early ? first : second).put(e.getKey(), e.getValue());
            weightMap.put(e.getKey(), early ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        SafeTensors.write(directory.resolve("model-00001-of-00002.safetensors"), first);
        SafeTensors.write(directory.resolve("model-00002-of-00002.safetensors"), second);
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", 253312));
        index.put("weight_map", weightMap);
        editIndex.accept(index);
        Files.writeString(directory.resolve("model.safetensors.index.json"), Json.writeIndented(index));
        return directory;
    }

    @Test
    void shardedWeightsLoadAsTheSingleFile() throws IOException {
        Path directory = sharded(index -> {
        });
        Map<String, Tensor> single = HuggingFaceCheckpoint.read(checkpoint("cohere2")).byName();
        HuggingFaceCheckpoint.Tensors shards = HuggingFaceCheckpoint.read(directory);
        assertEquals(directory.resolve("model.safetensors.index.json").toString(), shards.source());
        assertEquals(single, shards.byName());
        Model model = loaded(directory);
        Map<String, Tensor> io = SafeTensors.read(checkpoint("cohere2.io.safetensors"));
        PyTorchTwinsTest.assertClose(PyTorchTwinsTest.run(model, io.get("input")), io.get("output").floats(), "sharded cohere2");
    }

    @SuppressWarnings("unchecked")
    @Test
    void anIndexThatDisagreesWithItsShardsIsRefused() throws IOException {
        assertRefused(sharded(index -> ((Map<String, Object>) index.get("weight_map")).put("model.norm.weight", "model-00001-of-00002.safetensors")),
                "model.safetensors.index.json: weight_map puts model.norm.weight in model-00001-of-00002.safetensors, which has no such tensor");
        assertRefused(sharded(index -> ((Map<String, Object>) index.get("weight_map")).remove("model.norm.weight")),
                "model-00002-of-00002.safetensors: holds model.norm.weight, which model.safetensors.index.json does not list in this shard");
        assertRefused(sharded(index -> ((Map<String, Object>) index.get("weight_map")).put("model.norm.weight", "../elsewhere.safetensors")),
                "weight_map: model.norm.weight: the shard must be a file name in the checkpoint directory ending in .safetensors");
        assertRefused(sharded(index -> ((Map<String, Object>) index.get("weight_map")).put("model.extra.weight", "model-00003-of-00002.safetensors")),
                "model-00003-of-00002.safetensors: cannot read: no such file");
        assertRefused(sharded(index -> index.remove("weight_map")), "expected an object with a weight_map");
    }

    private static void assertRefused(Path directory, String message) {
        Exception e = assertThrows(Exception.class, () -> HuggingFaceCheckpoint.read(directory));
        assertTrue(e instanceof InputException || e instanceof IOException, e.toString());
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    // ---------------------------------------------------------------- config.json: defaults and refusals

    /** A copy of a fixture directory with its config.json edited. */
    private Path edited(String name, Consumer<Map<String, Object>> edit) throws IOException {
        Path directory = tmp.resolve(name + "-edited-" + ++copies);
        Files.createDirectories(directory);
        Map<String, Object> json;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> parsed = (Map<String, Object>) Json.parse(Files.readString(checkpoint(name).resolve("config.json")));
            json = parsed;
        } catch (Json.ParseException e) {
            throw new AssertionError(e);
        }
        edit.accept(json);
        Files.writeString(directory.resolve("config.json"), Json.writeIndented(json));
        Files.copy(checkpoint(name).resolve("model.safetensors"), directory.resolve("model.safetensors"));
        return directory;
    }

    @Test
    void absentFieldsTakeTheConfigurationClassesDefaults() throws IOException {
        ModelSpec mistral = ConfigLoader.load(edited("mistral", json -> {
            json.put("num_attention_heads", 8);
            json.remove("num_key_value_heads");
            json.remove("tie_word_embeddings");
            json.remove("sliding_window");
            json.remove("head_dim");
            json.remove("rms_norm_eps");
        }));
        assertEquals(8, mistral.settings().get(Keys.NUM_KEY_VALUE_HEADS), "MistralConfig's num_key_value_heads defaults to 8");
        assertFalse(mistral.lmHead().orElseThrow().tied());
        assertEquals(4096, mistral.blocks().get(0).window());
        assertEquals(4, mistral.settings().get(Keys.HEAD_DIM), "hidden_size / num_attention_heads");
        assertEquals(1e-6, mistral.settings().get(Keys.LAYER_NORM_EPS));

        ModelSpec mistralFull = ConfigLoader.load(edited("mistral", json -> json.put("sliding_window", null)));
        assertTrue(mistralFull.layerTypes().stream().allMatch(t -> t == LayerType.FULL), "sliding_window null: full attention");
        assertTrue(mistralFull.blocks().stream().allMatch(b -> b.attention().rope().isPresent()), "with RoPE on every layer");

        ModelSpec cohere2 = ConfigLoader.load(edited("cohere2", json -> {
            json.remove("layer_types");
            json.remove("sliding_window_pattern");
            json.remove("logit_scale");
            json.put("num_key_value_heads", null);
        }));
        assertEquals(List.of(LayerType.SLIDING, LayerType.SLIDING, LayerType.SLIDING, LayerType.FULL, LayerType.SLIDING, LayerType.SLIDING,
                LayerType.SLIDING, LayerType.FULL), cohere2.layerTypes());
        assertEquals(0.0625, cohere2.lmHead().orElseThrow().logitScale());
        assertEquals(4, cohere2.settings().get(Keys.NUM_KEY_VALUE_HEADS), "null: as many as the query heads");
        assertTrue(cohere2.lmHead().orElseThrow().tied(), "Cohere2Config ties by default");

        ModelSpec newer = ConfigLoader.load(edited("cohere2", json -> {
            json.remove("rope_theta");
            json.put("rope_parameters", Map.of("rope_type", "default", "rope_theta", 50000.0));
        }));
        assertEquals(50000.0, newer.blocks().get(0).attention().rope().orElseThrow().theta());
    }

    static Stream<Arguments> refusedConfigs() {
        return Stream.of(
                Arguments.of("mistral", edit(json -> json.put("model_type", "gpt2")), "model_type: \"gpt2\" is not supported (supported: cohere2, mistral, llama)"),
                Arguments.of("mistral", edit(json -> json.put("model_type", "qwen2")), "model_type: \"qwen2\" is not supported (supported: cohere2, mistral,"
                        + " llama; qwen2 has biases on q_proj, k_proj and v_proj but not on o_proj"),
                Arguments.of("mistral", edit(json -> json.remove("model_type")), "model_type: missing"),
                Arguments.of("mistral", edit(json -> json.put("rope_scaling", Map.of("rope_type", "linear", "factor", 2.0))), "rope_scaling: "),
                Arguments.of("cohere2", edit(json -> json.put("rope_parameters", Map.of("rope_type", "yarn"))),
                        "rope_parameters.rope_type: \"yarn\" is not supported: only plain RoPE"),
                Arguments.of("cohere2", edit(json -> json.put("rope_parameters", Map.of("rope_theta", 5.0))), "rope_parameters.rope_theta: 5 disagrees with rope_theta 10000"),
                Arguments.of("mistral", edit(json -> json.put("hidden_act", "relu")), "hidden_act: \"relu\" has no gated counterpart here"),
                Arguments.of("mistral", edit(json -> json.put("head_dim", 16)), "head_dim: num_attention_heads 4 x head_dim 16 = 64, but hidden_size is 32"),
                Arguments.of("mistral", edit(json -> json.put("num_key_value_heads", 3)), "num_key_value_heads: num_attention_heads 4 is not divisible by"),
                Arguments.of("mistral", edit(json -> json.put("hidden_size", 100000)), "hidden_size: must be at most 65536, got 100000"),
                Arguments.of("mistral", edit(json -> json.put("intermediate_size", 0)), "intermediate_size: must be at least 1, got 0"),
                Arguments.of("mistral", edit(json -> json.put("vocab_size", 1.5)), "vocab_size: expected an integer, got 1.5"),
                Arguments.of("mistral", edit(json -> json.put("tie_word_embeddings", "no")), "tie_word_embeddings: expected true or false, got \"no\""),
                Arguments.of("mistral", edit(json -> json.put("use_sliding_window", true)), "use_sliding_window: unknown field"),
                Arguments.of("mistral", edit(json -> json.put("layer_types", List.of("full_attention"))), "layer_types: not a field of Hugging Face's mistral"),
                Arguments.of("mistral", edit(json -> json.put("attention_bias", false)), "attention_bias: not a field of Hugging Face's mistral"),
                Arguments.of("mistral", edit(json -> json.put("quantization_config", Map.of("bits", 4))), "quantization_config: unknown field"),
                Arguments.of("cohere2", edit(json -> json.put("architectures", List.of("Cohere2Model"))), "architectures: [\"Cohere2Model\"] is not"),
                Arguments.of("cohere2", edit(json -> json.put("sliding_window_pattern", 2)), "sliding_window_pattern: 2 disagrees with layer_types[1]"),
                Arguments.of("cohere2", edit(json -> json.put("sliding_window", null)), "sliding_window: null, but layer_types has sliding_attention layers"),
                Arguments.of("cohere2", edit(json -> json.put("layer_types", List.of("sliding_attention", "chunked_attention"))),
                        "layer_types[1]: \"chunked_attention\" is not supported"),
                Arguments.of("cohere2", edit(json -> json.put("layer_types", List.of("sliding_attention"))), "layer_types: has 1 entries, but num_hidden_layers is 8"));
    }

    private static Consumer<Map<String, Object>> edit(Consumer<Map<String, Object>> edit) {
        return edit;
    }

    @ParameterizedTest
    @MethodSource("refusedConfigs")
    void aConfigJsonWithoutAnExactCounterpartIsRefusedNamingTheField(String name, Consumer<Map<String, Object>> edit, String message) throws IOException {
        Path directory = edited(name, edit);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(directory));
        assertTrue(e.getMessage().startsWith(directory.resolve("config.json") + ": " + message), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void whatIsNotAConfigJsonIsRefusedUnread() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(empty + ": not a Hugging Face checkpoint directory: it has no config.json (a config is a YAML file or such a directory)",
                assertThrows(ConfigException.class, () -> ConfigLoader.load(empty)).getMessage());
        Path notJson = Files.createDirectories(tmp.resolve("not-json"));
        Files.writeString(notJson.resolve("config.json"), "architecture: rnope_swa\n");
        assertEquals(notJson.resolve("config.json") + ": not JSON: expected a value but found 'a' at character 0",
                assertThrows(ConfigException.class, () -> ConfigLoader.load(notJson)).getMessage());
        Path list = Files.createDirectories(tmp.resolve("list"));
        Files.writeString(list.resolve("config.json"), "[1, 2]");
        assertEquals(list.resolve("config.json") + ": expected a JSON object of config fields, got [1, 2]",
                assertThrows(ConfigException.class, () -> ConfigLoader.load(list)).getMessage());
        Path huge = Files.createDirectories(tmp.resolve("huge"));
        try (var file = java.nio.channels.FileChannel.open(huge.resolve("config.json"), java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            file.write(java.nio.ByteBuffer.wrap(new byte[] { '{' }), (1L << 30) - 1); // sparse: a gigabyte of zeros
        }
        assertEquals(huge.resolve("config.json") + ": is more than 1048576 bytes; a config.json is a few kilobytes (its content is not read)",
                assertThrows(ConfigException.class, () -> ConfigLoader.load(huge)).getMessage());
        Path folder = Files.createDirectories(tmp.resolve("folder").resolve("config.json"));
        assertEquals(folder + ": cannot read: it is a directory, not a regular file",
                assertThrows(ConfigException.class, () -> ConfigLoader.load(folder.getParent())).getMessage());
        Path latin1 = Files.createDirectories(tmp.resolve("latin1"));
        Files.write(latin1.resolve("config.json"), "{\"model_type\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(latin1.resolve("config.json") + ": is not UTF-8 text", assertThrows(ConfigException.class, () -> ConfigLoader.load(latin1)).getMessage());
    }

    @Test
    void overridesApplyOnTopOfAConfigJsonAndNameThemselves() {
        ModelSpec flash = ConfigLoader.load(checkpoint("cohere2"), List.of("attention_algorithm=flash", "output=all"));
        assertEquals("flash", flash.blocks().get(0).attention().algorithm().yamlName());
        assertTrue(flash.lmHead().isEmpty());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(checkpoint("cohere2"), List.of("slidng_window=4")));
        assertTrue(e.getMessage().startsWith("--set slidng_window=4:1:1: slidng_window: unknown key"), e.getMessage());
    }

    // ---------------------------------------------------------------- weights that do not fit

    @Test
    void weightsThatDoNotFitTheConfigAreReportedInTheCheckpointsNames() throws IOException {
        Path moreLayers = edited("mistral", json -> json.put("num_hidden_layers", 9));
        InputException missing = assertThrows(InputException.class, () -> loaded(moreLayers));
        assertTrue(missing.getMessage().startsWith(moreLayers.resolve("model.safetensors") + ": does not fit this model: 9 missing: "
                + "model.layers.8.input_layernorm.weight [32], model.layers.8.self_attn.q_proj.weight [32, 32]"), missing.getMessage());

        Path narrower = edited("mistral", json -> json.put("intermediate_size", 40));
        InputException reshaped = assertThrows(InputException.class, () -> loaded(narrower));
        assertTrue(reshaped.getMessage().contains("24 with another shape: model.layers.0.mlp.gate_proj.weight has shape [48, 32], expected [40, 32]"),
                reshaped.getMessage());

        Path fewerLayers = edited("mistral", json -> json.put("num_hidden_layers", 7));
        InputException unexpected = assertThrows(InputException.class, () -> loaded(fewerLayers));
        assertTrue(unexpected.getMessage().contains("9 unexpected: model.layers.7."), unexpected.getMessage());

        Path noWeights = Files.createDirectories(tmp.resolve("no-weights"));
        Files.copy(checkpoint("mistral").resolve("config.json"), noWeights.resolve("config.json"));
        Files.writeString(noWeights.resolve("pytorch_model.bin"), "not read");
        assertEquals(noWeights + ": no model.safetensors or model.safetensors.index.json (pytorch_model.bin is a pickle, which is never read here:"
                + " convert it to safetensors)", assertThrows(InputException.class, () -> HuggingFaceCheckpoint.read(noWeights)).getMessage());
    }

    @Test
    void aTiedModelsHeadMayBeStoredOnlyAsTheEmbeddings() throws IOException {
        Path directory = edited("cohere2", json -> {
        });
        Map<String, Tensor> tensors = new LinkedHashMap<>(SafeTensors.read(directory.resolve("model.safetensors")));
        tensors.put("lm_head.weight", tensors.get("model.embed_tokens.weight"));
        SafeTensors.write(directory.resolve("model.safetensors"), tensors);
        Model model = loaded(directory);
        Map<String, Tensor> io = SafeTensors.read(checkpoint("cohere2.io.safetensors"));
        PyTorchTwinsTest.assertClose(PyTorchTwinsTest.run(model, io.get("input")), io.get("output").floats(), "tied head stored");

        float[] other = tensors.get("model.embed_tokens.weight").floats();
        other[3] += 1;
        tensors.put("lm_head.weight", Tensor.ofFloats(tensors.get("model.embed_tokens.weight").shape(), other));
        SafeTensors.write(directory.resolve("model.safetensors"), tensors);
        InputException e = assertThrows(InputException.class, () -> loaded(directory));
        assertEquals(directory.resolve("model.safetensors") + ": lm_head.weight differs from the embeddings, but tie_word_embeddings is true (Hugging Face"
                + " would compute with the embeddings and ignore it)", e.getMessage());
    }

    // ---------------------------------------------------------------- what export refuses

    static Stream<Arguments> unexportableConfigs() {
        return Stream.of(Arguments.of("configs/rnope-swa.yaml", List.of(), "vocab_size: the config reads features (embed_dim)"),
                Arguments.of("ape.yaml", List.of(), "architecture: ape has no Hugging Face counterpart"),
                Arguments.of("multihead-geglu-tokens.yaml", List.of(), "architecture: multihead_sliding_window has no Hugging Face counterpart"),
                Arguments.of("cohere2.yaml", List.of("output=all"), "output: all; a Hugging Face Cohere2ForCausalLM checkpoint is a language model"),
                Arguments.of("cohere2.yaml", List.of("norm_bias=true"), "norm_bias: true on layer 0 has no counterpart in Hugging Face's cohere2 config.json"
                        + " (its Cohere2ForCausalLM would have false)"),
                Arguments.of("cohere2.yaml", List.of("mlp_bias=true"), "mlp_bias: true on layer 0 has no counterpart"),
                Arguments.of("cohere2.yaml", List.of("rope_pairing=neox"), "rope_pairing: neox on layer 0 has no counterpart"),
                Arguments.of("cohere2.yaml", List.of("norm_position=pre"), "norm_position: pre on layer 0 has no counterpart"),
                Arguments.of("cohere2.yaml", List.of("layers={2: {qk_norm: true}}"), "qk_norm: true on layer 2 has no counterpart"),
                Arguments.of("cohere2.yaml", List.of("layers={5: {rope_theta: 500}}"), "rope_theta: 500.0 on layer 5 has no counterpart"),
                Arguments.of("cohere2.yaml", List.of("layers={3: {position_embedding: rope}}"), "position_embedding: rope on layer 3 has no counterpart"),
                Arguments.of("cohere2.yaml", List.of("ffn_type=mlp", "hidden_act=gelu"), "ffn_type: mlp on layer 0 has no counterpart"),
                Arguments.of("cohere2.yaml", List.of("intermediate_size=0"), "cannot be written as Hugging Face's cohere2: intermediate_size: must be at"
                        + " least 1, got 0"),
                Arguments.of("mistral.yaml", List.of("dropout=0.1"), "dropout: 0.1 on layer 0 has no counterpart in Hugging Face's mistral config.json"),
                Arguments.of("mistral.yaml", List.of("attention_bias=true"), "attention_bias: true on layer 0 has no counterpart"),
                Arguments.of("mistral.yaml", List.of("logit_scale=2"), "logit_scale: 2.0 has no counterpart in Hugging Face's mistral config.json"),
                Arguments.of("mistral.yaml", List.of("layers={3: {layer_type: full_attention}}"), "layer_types: full_attention on layer 3 has no counterpart"),
                Arguments.of("mistral.yaml", List.of("layers={3: {sliding_window: 4}}"), "sliding_window: 4 on layer 3 has no counterpart"),
                Arguments.of("mistral.yaml", List.of("causal=false"), "causal: false on layer 0 has no counterpart"),
                Arguments.of("mistral.yaml", List.of("global_tokens=[0]"), "global_tokens: [0] on layer 0 has no counterpart"),
                Arguments.of("mistral.yaml", List.of("sliding_window=[2, 4, 8, 16]"), "sliding_window: [2, 4, 8, 16] (layer 0) gives each attention head its"
                        + " own window, which Hugging Face's mistral config.json cannot express"),
                Arguments.of("cohere2.yaml", List.of("layers={1: {sliding_window: [3, 3, 3, 5]}}"), "sliding_window: [3, 3, 3, 5] (layer 1) gives each"
                        + " attention head its own window"));
    }

    @ParameterizedTest
    @MethodSource("unexportableConfigs")
    void exportRefusesWhatHuggingFaceCannotExpressNamingTheKey(String config, List<String> overrides, String message) {
        Path file = config.startsWith("configs/") ? Path.of("..").resolve(config) : PyTorchTwinsTest.resource(config);
        ModelSpec spec = ConfigLoader.load(file, overrides);
        Path directory = tmp.resolve("never");
        Model model = Model.build(spec);
        InputException e = assertThrows(InputException.class, () -> HuggingFaceCheckpoint.write(directory, spec, model.parameters()));
        assertTrue(e.getMessage().startsWith(spec.source() + ": " + message), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertFalse(Files.exists(directory), "nothing written");
    }
}
