package org.attentionlab.model.weights;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.attentionlab.model.InputException;
import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.Key;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.LayerPattern;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.config.ResolvedConfig;
import org.attentionlab.model.io.FileKind;
import org.attentionlab.model.io.InputFiles;
import org.attentionlab.model.io.UnusableFileException;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.FfnType;
import org.attentionlab.model.spec.HiddenAct;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.spec.Numbers;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.spec.RopePairing;
import org.attentionlab.model.spec.Window;
import org.attentionlab.model.spec.YamlName;

/**
 * Hugging Face {@code config.json} fields and this project's keys, in one table ({@link #FIELDS}), read in both
 * directions: a checkpoint directory's config.json becomes a config ({@link #load}), and a config becomes a
 * config.json ({@link #export}). Each row names the field, what it sets here, the value Hugging Face's configuration
 * class assumes when the field is absent (per model type that reads it: {@code Cohere2Config}, {@code MistralConfig},
 * {@code LlamaConfig}) and the rule that keeps the two exact. What a model type's modeling file hard-codes (Cohere2's
 * interleaved RoPE, parallel block and bias-free LayerNorm; Mistral's RMSNorm, pre-norm blocks and bias-free
 * projections) are its {@link ModelType#fixed} keys. Fields that do not change the forward pass are listed in
 * {@link #IGNORED}; any other field, a value without an exact counterpart, or an unsupported model_type is an error
 * naming the file and the field: nothing is approximated. configs/README.md's table is generated from these rows.
 *
 * <p>Export writes the config's values into the rows' fields, reads the result back as a checkpoint would be read and
 * compares the two resolved models layer by layer, so that a config Hugging Face cannot express (a bias where the
 * model type has none, a per-layer override, a scale) is refused naming its key instead of being written wrong.
 */
public final class HuggingFaceConfig {

    public static final String CONFIG_FILE = "config.json";

    /** A config.json is a few kilobytes; a larger file is refused unparsed. */
    static final int MAX_CONFIG_BYTES = 1 << 20;

    /** A Hugging Face model type read and written here, the architecture that computes it and what its modeling file hard-codes. */
    public enum ModelType {
        COHERE2("cohere2", "Cohere2ForCausalLM", "rnope_swa_hybrid", hardCoded(RopePairing.GPTJ, Norm.LAYERNORM, false, NormPosition.PARALLEL)
                .with(Keys.MLP_BIAS, false)),
        MISTRAL("mistral", "MistralForCausalLM", "rnope_swa", hardCoded(RopePairing.NEOX, Norm.RMSNORM, true, NormPosition.PRE)
                .with(Keys.ATTENTION_BIAS, false).with(Keys.MLP_BIAS, false)),
        LLAMA("llama", "LlamaForCausalLM", "rnope_swa", hardCoded(RopePairing.NEOX, Norm.RMSNORM, true, NormPosition.PRE)
                .with(Keys.SLIDING_WINDOW_PATTERN, LayerPattern.ALL_FULL));

        private final String modelType;
        private final String causalLm;
        private final String architecture;
        private final Fixed fixed;

        ModelType(String modelType, String causalLm, String architecture, Fixed fixed) {
            this.modelType = modelType;
            this.causalLm = causalLm;
            this.architecture = architecture;
            this.fixed = fixed;
        }

        /** config.json's {@code model_type}. */
        public String modelType() {
            return modelType;
        }

        /** The class config.json's {@code architectures} names: the causal LM, whose checkpoint names start with {@code model.}. */
        public String causalLm() {
            return causalLm;
        }

        /** This project's architecture that computes the model. */
        public String architecture() {
            return architecture;
        }

        /** The keys the model type's modeling file fixes, in the order configs/README.md lists them. */
        public Map<Key<?>, Object> fixed() {
            return fixed.values;
        }

        /** Declared here, not in the outer class, so that the constants do not wait for the outer class (which reads them). */
        private static Fixed hardCoded(RopePairing pairing, Norm norm, boolean normBias, NormPosition position) {
            Map<Key<?>, Object> values = new LinkedHashMap<>();
            values.put(Keys.POSITION_EMBEDDING, PositionEmbedding.ROPE);
            values.put(Keys.ROPE_PAIRING, pairing);
            values.put(Keys.NORM, norm);
            if (norm == Norm.LAYERNORM) {
                values.put(Keys.NORM_BIAS, normBias);
            }
            values.put(Keys.NORM_POSITION, position);
            values.put(Keys.DROPOUT, 0.0);
            values.put(Keys.OUTPUT, OutputMode.LOGITS);
            return new Fixed(java.util.Collections.unmodifiableMap(values));
        }

        static Optional<ModelType> named(String modelType) {
            for (ModelType type : values()) {
                if (type.modelType.equals(modelType)) {
                    return Optional.of(type);
                }
            }
            return Optional.empty();
        }

        @Override
        public String toString() {
            return modelType;
        }
    }

    /** Keys a model type fixes: its architecture, RoPE on attention layers, its norm, block and pairing, no dropout, logits out. */
    private record Fixed(Map<Key<?>, Object> values) {
        <T> Fixed with(Key<T> key, T value) {
            Map<Key<?>, Object> copy = new LinkedHashMap<>(values);
            copy.put(key, value);
            return new Fixed(java.util.Collections.unmodifiableMap(copy));
        }
    }


    // ---------------------------------------------------------------- the table

    /** A field's value when config.json leaves it out and Hugging Face derives it (the keys derive it the same way). */
    private static final Object DERIVED = new Object();

    /** In a row's defaults: the model type does not read the field. */
    private static final Object NOT_READ = new Object();

    /**
     * One config.json field.
     *
     * @param sets   the keys it sets here, for the docs
     * @param absent per model type that reads the field, the value Hugging Face assumes when it is absent (a JSON value,
     *               or DERIVED); a model type not listed does not read the field
     * @param rule   what the docs say of the mapping
     */
    public record Field(String name, String sets, Map<ModelType, Object> absent, String rule, Reader reader, Writer writer) {

        /** Whether config.json's of {@code type} may hold this field. */
        public boolean readBy(ModelType type) {
            return absent.containsKey(type);
        }

        /** The default as configs/README.md writes it: "–" for a model type that does not read the field. */
        public String describeDefault(ModelType type) {
            if (!readBy(type)) {
                return "–";
            }
            Object value = absent.get(type);
            return value == DERIVED ? "derived" : value == null ? "null" : value instanceof Double d ? plainNumber(d) : String.valueOf(value);
        }
    }

    private static String plainNumber(double value) {
        return value != 0 && Math.abs(value) < 1e-3 ? BigDecimal.valueOf(value).stripTrailingZeros().toPlainString() : Numbers.plain(value);
    }

    /** Turns a field's value (given, or the absent default) into keys. */
    @FunctionalInterface
    interface Reader {
        void read(FieldValue value, Translation into) throws ConfigException;
    }

    /** The field's value for a resolved config, or {@link #OMIT}. */
    @FunctionalInterface
    interface Writer {
        Object write(ModelSpec spec, ModelType type);
    }

    /** A writer's answer when the field is not written. */
    private static final Object OMIT = new Object();

    public static final List<Field> FIELDS = List.of(
            copy("vocab_size", Keys.VOCAB_SIZE, of(256000, 32000, 32000), "", (spec, type) -> ((InputSpec.TokenIds) spec.input()).vocabSize()),
            copy("hidden_size", Keys.HIDDEN_SIZE, of(8192, 4096, 4096), "", setting(Keys.HIDDEN_SIZE)),
            new Field("intermediate_size", "intermediate_size", of(22528, 14336, 11008), "at least 1 (Hugging Face's MLP has no off switch)",
                    (value, into) -> into.set(Keys.INTERMEDIATE_SIZE, value.integer(1)), setting(Keys.INTERMEDIATE_SIZE)),
            copy("num_hidden_layers", Keys.NUM_HIDDEN_LAYERS, of(40, 32, 32), "", setting(Keys.NUM_HIDDEN_LAYERS)),
            copy("num_attention_heads", Keys.NUM_ATTENTION_HEADS, of(64, 32, 32), "", setting(Keys.NUM_ATTENTION_HEADS)),
            new Field("num_key_value_heads", "num_key_value_heads", of(DERIVED, 8, DERIVED), "null: num_attention_heads",
                    (value, into) -> into.setUnlessNull(Keys.NUM_KEY_VALUE_HEADS, value), setting(Keys.NUM_KEY_VALUE_HEADS)),
            new Field("head_dim", "head_dim", of(DERIVED, DERIVED, DERIVED), "null: hidden_size / num_attention_heads; given, it must be that",
                    (value, into) -> into.setUnlessNull(Keys.HEAD_DIM, value), setting(Keys.HEAD_DIM)),
            new Field("hidden_act", "ffn_type, hidden_act", of("silu", "silu", "silu"),
                    "the gated MLP's activation: silu is ffn_type swiglu; gelu and gelu_pytorch_tanh are geglu", HuggingFaceConfig::readHiddenAct,
                    (spec, type) -> spec.settings().get(Keys.HIDDEN_ACT).yamlName()),
            new Field("layer_norm_eps", "layer_norm_eps", only(ModelType.COHERE2, 1e-5), "",
                    (value, into) -> into.set(Keys.LAYER_NORM_EPS, value.number()), setting(Keys.LAYER_NORM_EPS)),
            new Field("rms_norm_eps", "layer_norm_eps", of(NOT_READ, 1e-6, 1e-6), "",
                    (value, into) -> into.set(Keys.LAYER_NORM_EPS, value.number()), setting(Keys.LAYER_NORM_EPS)),
            new Field("rope_theta", "rope_theta", of(10000.0, 10000.0, 10000.0), "",
                    (value, into) -> into.set(Keys.ROPE_THETA, value.number()), setting(Keys.ROPE_THETA)),
            new Field("rope_scaling", "–", of(null, null, null), "must be null: scaled RoPE (linear, dynamic, yarn, llama3, ...) is not computed here",
                    (value, into) -> value.requireNull("only plain RoPE is computed here"), (spec, type) -> null),
            new Field("rope_parameters", "rope_theta", of(null, null, null), "null, or {rope_type: default, rope_theta: θ} (newer transformers)",
                    HuggingFaceConfig::readRopeParameters, (spec, type) -> OMIT),
            new Field("sliding_window", "sliding_window", of(4096, 4096, NOT_READ), "mistral: null means full attention on every layer; cohere2: its sliding"
                    + " layers need one", HuggingFaceConfig::readSlidingWindow, HuggingFaceConfig::writeSlidingWindow),
            new Field("layer_types", "layer_types", only(ModelType.COHERE2, null), "null: from sliding_window_pattern",
                    HuggingFaceConfig::readLayerTypes, (spec, type) -> spec.layerTypes().stream().map(LayerType::yamlName).toList()),
            new Field("sliding_window_pattern", "layer_types", only(ModelType.COHERE2, 4),
                    "layer i is full_attention iff (i + 1) % N == 0; with layer_types, the two must agree", (value, into) -> {
                        // read together with layer_types (readLayerTypes), which it is the shorthand of
                    }, HuggingFaceConfig::writeSlidingWindowPattern),
            new Field("attention_bias", "attention_bias", of(false, NOT_READ, false), "",
                    (value, into) -> into.set(Keys.ATTENTION_BIAS, value.bool()), setting(Keys.ATTENTION_BIAS)),
            new Field("mlp_bias", "mlp_bias", only(ModelType.LLAMA, false), "", (value, into) -> into.set(Keys.MLP_BIAS, value.bool()),
                    setting(Keys.MLP_BIAS)),
            new Field("tie_word_embeddings", "tie_word_embeddings", of(true, false, false), "",
                    (value, into) -> into.set(Keys.TIE_WORD_EMBEDDINGS, value.bool()), setting(Keys.TIE_WORD_EMBEDDINGS)),
            new Field("logit_scale", "logit_scale", only(ModelType.COHERE2, 0.0625), "", (value, into) -> into.set(Keys.LOGIT_SCALE, value.number()),
                    setting(Keys.LOGIT_SCALE)),
            new Field("attention_dropout", "attention_dropout", of(0.0, 0.0, 0.0), "", (value, into) -> into.set(Keys.ATTENTION_DROPOUT, value.number()),
                    setting(Keys.ATTENTION_DROPOUT)));

    /** Fields that do not change the forward pass, read by every model type and otherwise ignored: why. */
    public static final Map<String, String> IGNORED = ignored();

    private static Map<String, String> ignored() {
        Map<String, String> ignored = new LinkedHashMap<>();
        ignored.put("architectures", "when given, it must name the model type's causal LM (Cohere2ForCausalLM, ...): the checkpoint names start with model.");
        ignored.put("model_type", "chooses the rows above (cohere2, mistral, llama)");
        ignored.put("torch_dtype", "the weights are converted to float32 (F16 and BF16 exactly)");
        ignored.put("dtype", "as torch_dtype");
        ignored.put("transformers_version", "who wrote the file");
        ignored.put("_name_or_path", "where it was loaded from");
        ignored.put("max_position_embeddings", "plain RoPE does not depend on it, and nothing here limits the sequence length by it");
        ignored.put("initializer_range", "initialisation, not the forward pass");
        ignored.put("use_cache", "generation, not the forward pass");
        ignored.put("bos_token_id", "the tokenizer's");
        ignored.put("eos_token_id", "the tokenizer's");
        ignored.put("pad_token_id", "the tokenizer's (the embedding row is an ordinary row in a forward pass)");
        ignored.put("pretraining_tp", "Llama: the same products computed in slices");
        return java.util.Collections.unmodifiableMap(ignored);
    }

    private static Field copy(String name, Key<Integer> key, Map<ModelType, Object> absent, String rule, Writer writer) {
        return new Field(name, key.name(), absent, rule, (value, into) -> into.set(key, value.integer(Long.MIN_VALUE)), writer);
    }

    private static Writer setting(Key<?> key) {
        return (spec, type) -> spec.settings().find(key).orElse(null);
    }

    /** Absent defaults for cohere2, mistral and llama (null: Hugging Face's None; NOT_READ: not a field of that type). */
    private static Defaults of(Object cohere2, Object mistral, Object llama) {
        Defaults defaults = new Defaults(new LinkedHashMap<>());
        Object[] values = { cohere2, mistral, llama };
        for (ModelType type : ModelType.values()) {
            if (values[type.ordinal()] != NOT_READ) {
                defaults.put(type, values[type.ordinal()]);
            }
        }
        return defaults;
    }

    private static Defaults only(ModelType type, Object absent) {
        Defaults defaults = new Defaults(new LinkedHashMap<>());
        defaults.put(type, absent);
        return defaults;
    }

    /** A map of model type to absent value that keeps Hugging Face's None as a value (Map.of cannot). */
    private static final class Defaults extends java.util.AbstractMap<ModelType, Object> {
        private final LinkedHashMap<ModelType, Object> values;

        private Defaults(LinkedHashMap<ModelType, Object> values) {
            this.values = values;
        }

        @Override
        public Object put(ModelType key, Object value) {
            return values.put(key, value);
        }

        @Override
        public java.util.Set<Entry<ModelType, Object>> entrySet() {
            return java.util.Collections.unmodifiableSet(values.entrySet());
        }
    }

    // ---------------------------------------------------------------- reading config.json

    /**
     * The config a checkpoint directory's config.json describes, with {@code overrides} ({@code KEY=VALUE}, as
     * {@code --set}) on top. Every problem is one line naming {@code DIR/config.json} and the field.
     */
    public static ModelSpec load(Path directory, List<String> overrides) throws ConfigException {
        Path file = directory.resolve(CONFIG_FILE);
        Translation translation = translate(read(directory), file.toString());
        try {
            return ConfigLoader.parse(translation.yaml(), file, overrides);
        } catch (ConfigException e) {
            if (!e.file().equals(file.toString())) {
                throw e; // an override's own mistake names the override
            }
            throw new ConfigException(file.toString(), translation.origin(e.keyPath()) + ": " + e.problem(), e);
        }
    }

    /** The JSON object of {@code DIR/config.json}: a regular file of at most {@link #MAX_CONFIG_BYTES} bytes of UTF-8 JSON. */
    static Map<String, Object> read(Path directory) throws ConfigException {
        Path file = directory.resolve(CONFIG_FILE);
        String name = file.toString();
        try {
            if (FileKind.of(file) == FileKind.MISSING) {
                throw new ConfigException(directory.toString(), "not a Hugging Face checkpoint directory: it has no " + CONFIG_FILE
                        + " (a config is a YAML file or such a directory)", null);
            }
        } catch (IOException e) {
            throw new ConfigException(name, "cannot read: " + e.getMessage(), e);
        }
        byte[] bytes;
        try {
            bytes = InputFiles.readAtMost(file, MAX_CONFIG_BYTES);
        } catch (UnusableFileException e) {
            throw new ConfigException(name, "cannot read: " + e.reason(), e);
        }
        if (bytes.length > MAX_CONFIG_BYTES) {
            throw new ConfigException(name, "is more than " + MAX_CONFIG_BYTES + " bytes; a config.json is a few kilobytes (its content is not read)", null);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException(name, "is not UTF-8 text", e);
        }
        Object parsed;
        try {
            parsed = Json.parse(text.startsWith("\uFEFF") ? text.substring(1) : text);
        } catch (Json.ParseException e) {
            throw new ConfigException(name, "not JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> object)) {
            throw new ConfigException(name, "expected a JSON object of config fields, got " + FieldValue.describe(parsed), null);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) object;
        return fields;
    }

    /** config.json's fields as keys, each remembering the field it came from. */
    static Translation translate(Map<String, Object> json, String file) throws ConfigException {
        Object modelType = json.get("model_type");
        if (!(modelType instanceof String typeName)) {
            throw new ConfigException(file, "model_type: " + (modelType == null ? "missing" : "expected a string, got " + FieldValue.describe(modelType))
                    + " (supported: " + supported() + ")", null);
        }
        ModelType type = ModelType.named(typeName).orElseThrow(() -> new ConfigException(file, "model_type: " + FieldValue.describe(typeName)
                + " is not supported (supported: " + supported() + unsupportedReason(typeName) + ")", null));
        for (String field : json.keySet()) {
            boolean known = IGNORED.containsKey(field) || FIELDS.stream().anyMatch(f -> f.name().equals(field) && f.readBy(type));
            if (!known) {
                boolean otherType = FIELDS.stream().anyMatch(f -> f.name().equals(field));
                throw new ConfigException(file, field + ": " + (otherType ? "not a field of Hugging Face's " + type + " config (" + type
                        + "'s modeling code does not read it)" : "unknown field: it may change the model, and nothing here can tell how") + "", null);
            }
        }
        Object architectures = json.get("architectures");
        if (architectures != null && architectures != Json.NULL && !List.of(type.causalLm()).equals(architectures)) {
            throw new ConfigException(file, "architectures: " + Json.write(architectures) + " is not [\"" + type.causalLm()
                    + "\"] (only causal-LM checkpoints, whose tensor names start with model., are read)", null);
        }
        Translation into = new Translation(file, type, json);
        into.set(Keys.ARCHITECTURE, type.architecture());
        for (Map.Entry<Key<?>, Object> fixedKey : type.fixed().entrySet()) {
            into.values.put(fixedKey.getKey(), fixedKey.getValue());
        }
        for (Field field : FIELDS) {
            if (field.readBy(type)) {
                into.field = field.name();
                field.reader().read(into.value(field), into);
            }
        }
        into.field = null;
        return into;
    }

    private static String supported() {
        return java.util.Arrays.stream(ModelType.values()).map(ModelType::modelType).collect(Collectors.joining(", "));
    }

    /** Why a near relative of a supported model type is not read. */
    private static String unsupportedReason(String modelType) {
        return switch (modelType) {
        case "qwen2", "qwen3" -> "; " + modelType + " has biases on q_proj, k_proj and v_proj but not on o_proj, which attention_bias cannot express";
        case "cohere" -> "; Cohere (v1) has no sliding window and an optional qk LayerNorm of its own";
        case "gemma", "gemma2", "gemma3" -> "; Gemma scales embeddings, adds 1 to its RMSNorm weights and soft-caps logits";
        default -> "";
        };
    }

    /** One field's value as read: given in config.json, or the model type's default. */
    static final class FieldValue {
        final String file;
        final String field;
        final Object value;

        FieldValue(String file, String field, Object value) {
            this.file = file;
            this.field = field;
            this.value = value;
        }

        boolean isNull() {
            return value == null || value == Json.NULL;
        }

        ConfigException error(String problem) {
            return new ConfigException(file, field + ": " + problem, null);
        }

        long integer(long min) throws ConfigException {
            BigInteger number = value instanceof Json.Number n ? n.integerValue() : value instanceof Integer i ? BigInteger.valueOf(i) : null;
            if (number == null) {
                throw error("expected an integer, got " + describe(value));
            }
            if (number.bitLength() > 62) {
                throw error("integer " + number + " is too large");
            }
            if (number.longValue() < min) {
                throw error("must be at least " + min + ", got " + number);
            }
            return number.longValue();
        }

        double number() throws ConfigException {
            double number;
            if (value instanceof Json.Number n) {
                number = Double.parseDouble(n.text());
            } else if (value instanceof java.lang.Number n) {
                number = n.doubleValue();
            } else {
                throw error("expected a number, got " + describe(value));
            }
            if (!Double.isFinite(number)) {
                throw error("must be a finite number, got " + describe(value));
            }
            return number;
        }

        boolean bool() throws ConfigException {
            if (value instanceof Boolean b) {
                return b;
            }
            throw error("expected true or false, got " + describe(value));
        }

        String text() throws ConfigException {
            if (value instanceof String s) {
                return s;
            }
            throw error("expected a string, got " + describe(value));
        }

        void requireNull(String why) throws ConfigException {
            if (!isNull()) {
                throw error(describe(value) + " is not supported: it must be null (" + why + ")");
            }
        }

        /** How a JSON value reads in messages: shortened, one line. */
        static String describe(Object value) {
            String text = value == null || value == Json.NULL ? "null" : value instanceof String s ? Json.quote(s) : Json.write(value);
            return text.length() > 60 ? text.substring(0, 57) + "..." : text;
        }
    }

    /** Keys as they are translated, each with the config.json field it came from. */
    static final class Translation {
        final String file;
        final ModelType type;
        private final Map<String, Object> json;
        final Map<Key<?>, Object> values = new LinkedHashMap<>();
        private final Map<String, String> origins = new LinkedHashMap<>();
        private String field;

        Translation(String file, ModelType type, Map<String, Object> json) {
            this.file = file;
            this.type = type;
            this.json = json;
        }

        /** The field's value in config.json, else the model type's default for it. */
        FieldValue value(Field field) {
            return new FieldValue(file, field.name(), json.containsKey(field.name()) ? json.get(field.name()) : field.absent().get(type));
        }

        /** The value of another field (given or default). */
        FieldValue value(String name) {
            return value(FIELDS.stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow());
        }

        boolean given(String name) {
            return json.containsKey(name);
        }

        void set(Key<?> key, Object value) {
            values.put(key, value);
            if (field != null) {
                origins.put(key.name(), field);
            }
        }

        void setUnlessNull(Key<Integer> key, FieldValue value) throws ConfigException {
            if (!value.isNull() && value.value != DERIVED) {
                set(key, value.integer(Long.MIN_VALUE));
            }
        }

        /** The config.json field behind a key path ({@code layer_types[2]}), or where the model type fixed the key. */
        String origin(String keyPath) {
            String key = keyPath.replaceAll("[.\\[].*", "");
            String field = origins.get(key);
            Object value = values.entrySet().stream().filter(e -> e.getKey().name().equals(key)).map(Map.Entry::getValue).findFirst().orElse(null);
            return field != null ? field : "model_type " + type + " (" + key + " " + show(value) + ")";
        }

        /** The keys as a YAML config, one per line. */
        String yaml() {
            StringBuilder out = new StringBuilder();
            values.forEach((key, value) -> out.append(key.name()).append(": ").append(show(value)).append('\n'));
            return out.toString();
        }
    }

    /** A value as YAML writes it: enums by their name, numbers in plain decimal (YAML 1.1 reads 1e-05 as a string). */
    private static String show(Object value) {
        return switch (value) {
        case null -> "null";
        case YamlName name -> name.yamlName();
        case LayerPattern pattern -> pattern.cycle();
        case Double d -> BigDecimal.valueOf(d).toPlainString();
        case List<?> list -> list.stream().map(HuggingFaceConfig::show).collect(Collectors.joining(", ", "[", "]"));
        default -> String.valueOf(value);
        };
    }

    // ---------------------------------------------------------------- the fields that need more than a copy

    private static void readHiddenAct(FieldValue value, Translation into) throws ConfigException {
        String name = value.text();
        HiddenAct act = YamlName.fromYamlName(HiddenAct.class, name);
        FfnType gate = act == HiddenAct.SILU ? FfnType.SWIGLU : act == HiddenAct.GELU || act == HiddenAct.GELU_PYTORCH_TANH ? FfnType.GEGLU : null;
        if (gate == null) {
            throw value.error(FieldValue.describe(name) + " has no gated counterpart here (silu, gelu or gelu_pytorch_tanh)");
        }
        into.set(Keys.FFN_TYPE, gate);
        into.set(Keys.HIDDEN_ACT, act);
    }

    /** Newer transformers' form of rope_theta: plain RoPE only, and it must agree with a rope_theta given beside it. */
    private static void readRopeParameters(FieldValue value, Translation into) throws ConfigException {
        if (value.isNull()) {
            return;
        }
        if (!(value.value instanceof Map<?, ?> parameters)) {
            throw value.error("expected null or an object such as {\"rope_type\": \"default\", \"rope_theta\": 10000.0}, got " + FieldValue.describe(value.value));
        }
        for (Map.Entry<?, ?> entry : parameters.entrySet()) {
            String name = (String) entry.getKey();
            FieldValue member = new FieldValue(value.file, "rope_parameters." + name, entry.getValue());
            switch (name) {
            case "rope_type", "type" -> {
                if (!member.text().equals("default")) {
                    throw member.error(FieldValue.describe(member.value) + " is not supported: only plain RoPE (default) is computed here");
                }
            }
            case "rope_theta" -> {
                double theta = member.number();
                if (into.given("rope_theta") && into.value("rope_theta").number() != theta) {
                    throw member.error(Numbers.plain(theta) + " disagrees with rope_theta " + Numbers.plain(into.value("rope_theta").number()));
                }
                into.set(Keys.ROPE_THETA, theta);
            }
            default -> throw member.error("is not supported: only plain RoPE (rope_type default and rope_theta) is computed here");
            }
        }
    }

    private static void readSlidingWindow(FieldValue value, Translation into) throws ConfigException {
        if (!value.isNull()) {
            into.set(Keys.SLIDING_WINDOW, value.integer(Long.MIN_VALUE));
        } else if (into.type == ModelType.MISTRAL) {
            into.set(Keys.SLIDING_WINDOW_PATTERN, LayerPattern.ALL_FULL); // Mistral without a window attends to every earlier position
        } else if (into.type == ModelType.COHERE2 && layerTypes(into).contains(LayerType.SLIDING)) {
            throw value.error("null, but layer_types has sliding_attention layers: Hugging Face then gives them RoPE without a window, which no"
                    + " layer type here computes (give the window, or make those layers full_attention)");
        }
    }

    private static Object writeSlidingWindow(ModelSpec spec, ModelType type) {
        if (type == ModelType.MISTRAL) {
            return spec.blocks().stream().filter(b -> b.layerType() == LayerType.SLIDING).map(BlockSpec::window).findFirst().orElse(null);
        }
        return spec.settings().find(Keys.SLIDING_WINDOW).map(Window.Sliding::size).orElse(null);
    }

    /** Cohere2's layer types: layer_types when given (it must agree with a sliding_window_pattern given beside it), else the pattern's. */
    private static void readLayerTypes(FieldValue value, Translation into) throws ConfigException {
        FieldValue pattern = into.value("sliding_window_pattern");
        if (value.isNull()) {
            into.field = pattern.field;
            into.set(Keys.SLIDING_WINDOW_PATTERN, (int) pattern.integer(1));
            return;
        }
        List<LayerType> types = layerTypes(into);
        if (into.given(pattern.field)) {
            long every = pattern.integer(1);
            for (int i = 0; i < types.size(); i++) {
                if ((types.get(i) == LayerType.FULL) != ((i + 1) % every == 0)) {
                    throw pattern.error(every + " disagrees with layer_types[" + i + "] " + types.get(i).yamlName()
                            + " (Hugging Face versions differ in which one they read: give one, or make them agree)");
                }
            }
        }
        into.set(Keys.LAYER_TYPES, types);
    }

    /** Cohere2's layer types as given in layer_types, or as the pattern expands them. */
    private static List<LayerType> layerTypes(Translation into) throws ConfigException {
        FieldValue value = into.value("layer_types");
        if (value.isNull()) {
            long every = into.value("sliding_window_pattern").integer(1);
            long layers = into.value("num_hidden_layers").integer(1);
            List<LayerType> types = new ArrayList<>();
            for (long i = 0; i < Math.min(layers, 1 << 16); i++) {
                types.add((i + 1) % every == 0 ? LayerType.FULL : LayerType.SLIDING);
            }
            return types;
        }
        if (!(value.value instanceof List<?> items)) {
            throw value.error("expected a list of sliding_attention and full_attention, got " + FieldValue.describe(value.value));
        }
        List<LayerType> types = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            LayerType type = item instanceof String name ? YamlName.fromYamlName(LayerType.class, name) : null;
            if (type == null) {
                throw new ConfigException(value.file, "layer_types[" + i + "]: " + FieldValue.describe(item)
                        + " is not supported (sliding_attention or full_attention)", null);
            }
            types.add(type);
        }
        return types;
    }

    /** Written where the layer types follow one (older transformers read only the pattern). */
    private static Object writeSlidingWindowPattern(ModelSpec spec, ModelType type) {
        List<LayerType> types = spec.layerTypes();
        int firstFull = types.indexOf(LayerType.FULL);
        if (firstFull < 0) {
            return OMIT;
        }
        int every = firstFull + 1;
        for (int i = 0; i < types.size(); i++) {
            if ((types.get(i) == LayerType.FULL) != ((i + 1) % every == 0)) {
                return OMIT;
            }
        }
        return every;
    }

    // ---------------------------------------------------------------- writing config.json

    /**
     * The config.json of {@code spec}, as Hugging Face's {@code save_pretrained} lays it out (fields sorted); refused,
     * naming the key, when Hugging Face's model type cannot compute exactly this model.
     */
    public static Map<String, Object> export(ModelSpec spec) {
        ModelType type = modelTypeFor(spec);
        for (BlockSpec block : spec.blocks()) {
            if (block.attention().mask().window() instanceof Window.Sliding sliding && sliding.perHead()) {
                throw new InputException(spec.source() + ": sliding_window: " + sliding + " (layer " + block.index() + ") gives each attention head its"
                        + " own window, which Hugging Face's " + type + " config.json cannot express (its sliding_window is one W for every head)");
            }
        }
        Map<String, Object> json = new TreeMap<>();
        json.put("architectures", List.of(type.causalLm()));
        json.put("model_type", type.modelType());
        json.put("torch_dtype", "float32");
        for (Field field : FIELDS) {
            if (field.readBy(type)) {
                Object value = field.writer().write(spec, type);
                if (value != OMIT) {
                    json.put(field.name(), value instanceof YamlName name ? name.yamlName() : value);
                }
            }
        }
        ModelSpec back;
        try {
            back = load(toJsonObjects(json), spec.source());
        } catch (ConfigException e) {
            throw new InputException(spec.source() + ": cannot be written as Hugging Face's " + type + ": " + e.problem());
        }
        firstDifference(spec, back, type);
        return json;
    }

    /** The model type that computes this architecture: rnope_swa_hybrid is cohere2, rnope_swa mistral (llama when no layer slides). */
    private static ModelType modelTypeFor(ModelSpec spec) {
        String source = spec.source().toString();
        String architecture = spec.architecture().yamlName();
        ModelType type;
        if (architecture.equals(ModelType.COHERE2.architecture())) {
            type = ModelType.COHERE2;
        } else if (architecture.equals(ModelType.MISTRAL.architecture())) {
            type = spec.layerTypes().contains(LayerType.SLIDING) ? ModelType.MISTRAL : ModelType.LLAMA;
        } else {
            throw new InputException(source + ": architecture: " + architecture + " has no Hugging Face counterpart (rnope_swa is written as mistral, or"
                    + " llama when no layer slides; rnope_swa_hybrid as cohere2)");
        }
        if (!(spec.input() instanceof InputSpec.TokenIds)) {
            throw new InputException(source + ": vocab_size: the config reads features (embed_dim); Hugging Face's " + type + " reads token ids");
        }
        if (spec.output() != OutputMode.LOGITS) {
            throw new InputException(source + ": output: " + spec.output().yamlName() + "; a Hugging Face " + type.causalLm()
                    + " checkpoint is a language model (output: logits)");
        }
        return type;
    }

    /** config.json as the reader sees it: numbers as JSON numbers, null as JSON null. */
    private static Map<String, Object> toJsonObjects(Map<String, Object> json) {
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> parsed = (Map<String, Object>) Json.parse(Json.write(json));
            return parsed;
        } catch (Json.ParseException e) {
            throw new IllegalStateException("config.json written unreadable: " + e.getMessage(), e);
        }
    }

    private static ModelSpec load(Map<String, Object> json, Path source) throws ConfigException {
        Path file = source.resolveSibling(CONFIG_FILE);
        Translation translation = translate(json, file.toString());
        try {
            return ConfigLoader.parse(translation.yaml(), file, List.of());
        } catch (ConfigException e) {
            throw new ConfigException(file.toString(), translation.origin(e.keyPath()) + ": " + e.problem(), e);
        }
    }

    /** Where a layer's resolved field is set in a config, when its name is not the key's. */
    private static final Map<String, String> KEY_OF_LAYER_FIELD = Map.ofEntries(Map.entry("layer_type", "layer_types"),
            Map.entry("rope", "position_embedding"), Map.entry("rope.theta", "rope_theta"), Map.entry("rope.pairing", "rope_pairing"),
            Map.entry("alibi_slopes", "position_embedding"), Map.entry("ape_scale", "position_embedding"), Map.entry("qk_norm_eps", "layer_norm_eps"),
            Map.entry("ffn", "intermediate_size"), Map.entry("ffn.type", "ffn_type"), Map.entry("ffn.intermediate_size", "intermediate_size"),
            Map.entry("ffn.hidden_act", "hidden_act"), Map.entry("ffn.bias", "mlp_bias"), Map.entry("norm.kind", "norm"), Map.entry("norm.eps", "layer_norm_eps"),
            Map.entry("norm.bias", "norm_bias"), Map.entry("sinusoidal_input", "position_embedding"), Map.entry("input.kind", "vocab_size"),
            Map.entry("input.sinusoidal", "position_embedding"), Map.entry("lm_head.tie_word_embeddings", "tie_word_embeddings"),
            Map.entry("lm_head.logit_scale", "logit_scale"), Map.entry("lm_head.vocab_size", "vocab_size"), Map.entry("input.vocab_size", "vocab_size"));

    /** How to run a layer, not what it computes: not part of a checkpoint. */
    private static final List<String> RUN_ONLY = List.of("index", "attention_algorithm", "chunk_size");

    /** A leaf of the resolved config that differs: the key that sets it, our value and the value read back. */
    private record Difference(String key, Object ours, Object theirs, String where) {
        Difference at(String place) {
            return new Difference(key, ours, theirs, place);
        }
    }

    /** Refuses the config, naming the key, when the model read back from its config.json is not the same model. */
    private static void firstDifference(ModelSpec spec, ModelSpec back, ModelType type) {
        Map<String, Object> ours = ResolvedConfig.of(spec);
        Map<String, Object> theirs = ResolvedConfig.of(back);
        Optional<Difference> difference = compare("input", ours.get("input"), theirs.get("input"));
        difference = difference.or(() -> compare("lm_head", ours.get("lm_head"), theirs.get("lm_head")));
        List<?> ourLayers = (List<?>) ours.get("layers");
        List<?> theirLayers = (List<?>) theirs.get("layers");
        for (int i = 0; i < ourLayers.size() && difference.isEmpty(); i++) {
            String place = ourLayers.size() > 1 ? " on layer " + i : "";
            difference = compare("", ourLayers.get(i), theirLayers.get(i)).map(d -> d.at(place));
        }
        difference.ifPresent(d -> {
            throw new InputException(spec.source() + ": " + d.key() + ": " + plain(d.ours()) + d.where() + " has no counterpart in Hugging Face's "
                    + type + " config.json (its " + type.causalLm() + " would have " + plain(d.theirs()) + ")");
        });
    }

    private static String plain(Object value) {
        return value instanceof String text ? text : Json.write(value);
    }

    /** The first differing leaf under {@code path}, named by the key that sets it, or empty. */
    private static Optional<Difference> compare(String path, Object ours, Object theirs) {
        if (RUN_ONLY.contains(path) || Objects.equals(ours, theirs)) {
            return Optional.empty();
        }
        if (ours instanceof Map<?, ?> a && theirs instanceof Map<?, ?> b) {
            for (Object name : a.keySet()) {
                Optional<Difference> inner = compare(path.isEmpty() ? (String) name : path + "." + name, a.get(name), b.get(name));
                if (inner.isPresent()) {
                    return inner;
                }
            }
            return Optional.empty();
        }
        return Optional.of(new Difference(KEY_OF_LAYER_FIELD.getOrDefault(path, path.replaceAll(".*\\.", "")), ours, theirs, ""));
    }
}
