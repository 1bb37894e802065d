package org.attentionlab.model.config;

import static org.attentionlab.model.config.ConfigKeys.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Turns the collected keys of a config into a {@link ModelConfig}: first every key on its own (type, range,
 * whether the architecture uses it), then the rules that tie keys together, then one {@link LayerConfig} per layer.
 */
final class ConfigResolver {

    private static final Pattern LAYER_INDEX = Pattern.compile("\\d+");
    private static final Pattern LAYER_RANGE = Pattern.compile("(\\d+)\\s*-\\s*(\\d+)");
    private static final Pattern LAYER_CYCLE = Pattern.compile("[SFsf]+");
    private static final Pattern DEVICE_SPELLING = Pattern.compile("jvm|tornado:\\d{1,4}:\\d{1,4}");
    private static final List<PositionEmbedding> PER_LAYER_POSITION_EMBEDDINGS =
            List.of(PositionEmbedding.NONE, PositionEmbedding.ROPE, PositionEmbedding.SINUSOIDAL, PositionEmbedding.ALIBI, PositionEmbedding.APE);

    private final ConfigLoader.RawConfig raw;
    private final YamlFile mainFile;
    private final Path source;
    private final Map<String, Object> parsed = new HashMap<>();
    private final List<LayerOverride> overrides = new ArrayList<>();
    private List<Value> layerTypeValues = List.of();
    private Architecture architecture;
    private Value.Pair architecturePair;
    private ArchitectureDefaults defaults;

    ConfigResolver(ConfigLoader.RawConfig raw, YamlFile mainFile, Path source) {
        this.raw = raw;
        this.mainFile = mainFile;
        this.source = source;
    }

    /** Which layers a {@code layers:} entry addresses: one index, an inclusive range, or all. */
    private record Selector(Value key, int from, int to, boolean all) {
        List<Integer> indices(int layers) throws ConfigException {
            if (all) {
                return range(0, layers - 1);
            }
            if (to >= layers) {
                String which = from == to ? "layer " + from + " is" : "layers " + from + "-" + to + " go";
                throw key.error(which + " out of range: num_hidden_layers is " + layers
                        + (layers == 1 ? " (layer 0)" : " (layers 0-" + (layers - 1) + ")"));
            }
            return range(from, to);
        }

        private static List<Integer> range(int from, int to) {
            List<Integer> indices = new ArrayList<>();
            for (int i = from; i <= to; i++) {
                indices.add(i);
            }
            return indices;
        }
    }

    /** One {@code layers:} entry: the settings it gives and where each was written. */
    private static final class LayerOverride {
        final Selector selector;
        final Map<String, Value> keys = new HashMap<>();
        LayerType layerType;
        Integer slidingWindow;
        PositionEmbedding positionEmbedding;
        Double ropeTheta;
        AttentionAlgorithm attentionAlgorithm;
        Integer chunkSize;
        Boolean qkNorm;

        LayerOverride(Selector selector) {
            this.selector = selector;
        }
    }

    ModelConfig resolve() throws ConfigException {
        architecturePair = raw.entries.get(ARCHITECTURE);
        if (architecturePair == null) {
            throw mainFile.error(mainFile.root, ARCHITECTURE, "required key is missing (one of: "
                    + String.join(", ", Arrays.stream(Architecture.values()).map(Architecture::yamlName).toList())
                    + ")");
        }
        architecture = architecturePair.value().choice(Architecture.class);
        defaults = ArchitectureDefaults.of(architecture);
        for (Value.Pair pair : raw.entries.values()) {
            parseEntry(pair);
        }
        for (Value.Pair block : raw.layerBlocks) {
            parseLayerBlock(block);
        }
        return build();
    }

    // ---------------------------------------------------------------- one key at a time

    private void parseEntry(Value.Pair pair) throws ConfigException {
        Value value = pair.value();
        Object result = switch (pair.name()) {
            case ARCHITECTURE -> architecture;
            case EMBED_DIM -> {
                if (architecture.takesTokenIds()) {
                    throw pair.key().error("not used by architecture " + architecture.yamlName()
                            + ", which reads token ids (set vocab_size; the model width is hidden_size)");
                }
                yield value.integer(1, MAX_WIDTH);
            }
            case VOCAB_SIZE -> {
                onlyFor(pair, Architecture.APE);
                yield value.integer(1, MAX_VOCAB);
            }
            case HIDDEN_SIZE, HEAD_DIM -> value.integer(1, MAX_WIDTH);
            case NUM_ATTENTION_HEADS, NUM_KEY_VALUE_HEADS -> value.integer(1, MAX_HEADS);
            case NUM_HIDDEN_LAYERS -> value.integer(1, MAX_LAYERS);
            case INTERMEDIATE_SIZE -> value.integer(0, MAX_INTERMEDIATE);
            case SLIDING_WINDOW -> value.integer(1, MAX_WINDOW);
            case LAYER_TYPES -> parseLayerTypes(value);
            case SLIDING_WINDOW_PATTERN -> parsePattern(value);
            case ROPE_THETA -> value.number(0, true, Double.POSITIVE_INFINITY, false);
            case ROPE_PAIRING -> value.choice(RopePairing.class);
            case ATTENTION_DROPOUT, DROPOUT -> value.number(0, false, 1, false);
            case LAYER_NORM_EPS -> value.number(0, true, 1, true);
            case HIDDEN_ACT -> value.choice(HiddenAct.class);
            case POSITION_EMBEDDING -> value.choice(PositionEmbedding.class);
            case SINUSOIDAL_VARIANT -> value.choice(SinusoidalVariant.class);
            case ALIBI_SLOPES -> value.choice(AlibiSlopes.class);
            case APE_SCALE -> value.number();
            case ATTENTION_ALGORITHM -> value.choice(AttentionAlgorithm.class);
            case CHUNK_SIZE -> value.integer(1, MAX_CHUNK);
            case QK_NORM, CAUSAL -> value.bool();
            case NORM -> value.choice(Norm.class);
            case NORM_POSITION -> value.choice(NormPosition.class);
            case GLOBAL_TOKENS -> parseGlobalTokens(value);
            case OUTPUT -> value.choice(OutputMode.class);
            case SEED -> value.integer(Long.MIN_VALUE, Long.MAX_VALUE);
            case DEVICE -> {
                String device = value.text().strip();
                if (!DEVICE_SPELLING.matcher(device).matches()) {
                    throw value.error("expected jvm or tornado:<backend>:<device> (such as tornado:0:0), got "
                            + Value.describeNode(value.node));
                }
                yield device;
            }
            case LSTM_HIDDEN_SIZE -> {
                onlyFor(pair, Architecture.HYBRID_LSTM_ATTENTION, Architecture.HYBRID_LSTM_ATTENTION_MLP);
                yield value.integer(1, MAX_WIDTH);
            }
            case LSTM_LAYERS -> {
                onlyFor(pair, Architecture.HYBRID_LSTM_ATTENTION, Architecture.HYBRID_LSTM_ATTENTION_MLP);
                yield value.integer(1, MAX_LSTM_LAYERS);
            }
            case MLP_SIZES -> {
                onlyFor(pair, Architecture.HYBRID_LSTM_ATTENTION_MLP);
                yield parseMlpSizes(value);
            }
            default -> throw new IllegalStateException("key without a parser: " + pair.name());
        };
        parsed.put(pair.name(), result);
    }

    private void onlyFor(Value.Pair pair, Architecture... allowed) throws ConfigException {
        if (!Arrays.asList(allowed).contains(architecture)) {
            throw pair.key().error("not used by architecture " + architecture.yamlName() + " (only by "
                    + String.join(", ", Arrays.stream(allowed).map(Architecture::yamlName).toList()) + ")");
        }
    }

    private List<LayerType> parseLayerTypes(Value value) throws ConfigException {
        List<Value> items = value.list();
        if (items.isEmpty()) {
            throw value.error("needs at least one entry");
        }
        if (items.size() > MAX_LAYERS) {
            throw value.error("has " + items.size() + " entries; at most " + MAX_LAYERS + " layers are allowed");
        }
        List<LayerType> types = new ArrayList<>();
        for (Value item : items) {
            types.add(item.choice(LayerType.class));
        }
        layerTypeValues = items;
        return types;
    }

    private LayerPattern parsePattern(Value value) throws ConfigException {
        String expected = "expected an integer N (every Nth layer is full_attention) or a cycle of S and F such as"
                + " SSSF, got ";
        if (value.node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.INT)) {
            return LayerPattern.every(value.integer(1, MAX_LAYERS));
        }
        if (value.node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.STR)) {
            String cycle = scalar.getValue().strip();
            if (!LAYER_CYCLE.matcher(cycle).matches()) {
                throw value.error(expected + Value.describeNode(value.node));
            }
            if (cycle.length() > MAX_LAYERS) {
                throw value.error("the cycle has " + cycle.length() + " letters; at most " + MAX_LAYERS
                        + " are allowed");
            }
            return new LayerPattern(cycle.toUpperCase(java.util.Locale.ROOT));
        }
        throw value.error(expected + Value.describeNode(value.node));
    }

    private List<Integer> parseGlobalTokens(Value value) throws ConfigException {
        List<Value> items = value.list();
        if (items.size() > MAX_GLOBAL_TOKENS) {
            throw value.error("has " + items.size() + " positions; at most " + MAX_GLOBAL_TOKENS + " are allowed");
        }
        Set<Integer> positions = new TreeSet<>();
        for (Value item : items) {
            int position = item.integer(0, MAX_POSITION);
            if (!positions.add(position)) {
                throw item.error("position " + position + " is listed twice");
            }
        }
        return List.copyOf(positions);
    }

    private List<Integer> parseMlpSizes(Value value) throws ConfigException {
        List<Value> items = value.list();
        if (items.isEmpty()) {
            throw value.error("needs at least one layer width");
        }
        if (items.size() > MAX_MLP_LAYERS) {
            throw value.error("has " + items.size() + " entries; at most " + MAX_MLP_LAYERS + " are allowed");
        }
        List<Integer> sizes = new ArrayList<>();
        for (Value item : items) {
            sizes.add(item.integer(1, MAX_WIDTH));
        }
        return sizes;
    }

    private void parseLayerBlock(Value.Pair block) throws ConfigException {
        for (Value.Pair entry : block.value().mapping(name -> LAYERS + "." + name)) {
            LayerOverride override = new LayerOverride(parseSelector(entry.key()));
            String prefix = entry.key().path + ".";
            for (Value.Pair field : entry.value().mapping(name -> prefix + name)) {
                parseLayerField(override, field);
            }
            overrides.add(override);
        }
    }

    private Selector parseSelector(Value key) throws ConfigException {
        ScalarNode scalar = (ScalarNode) key.node;
        String text = scalar.getValue().strip();
        if (text.equals("all")) {
            return new Selector(key, 0, 0, true);
        }
        if (scalar.getTag().equals(Tag.INT)) {
            int index = key.integer(0, MAX_LAYERS - 1);
            return new Selector(key, index, index, false);
        }
        if (LAYER_INDEX.matcher(text).matches()) {
            int index = text.length() > 5 ? MAX_LAYERS : Integer.parseInt(text);
            if (index >= MAX_LAYERS) {
                throw key.error("must be at most " + (MAX_LAYERS - 1) + ", got " + text);
            }
            return new Selector(key, index, index, false);
        }
        Matcher range = LAYER_RANGE.matcher(text);
        if (range.matches()) {
            int from = Integer.parseInt(range.group(1).length() > 5 ? "99999" : range.group(1));
            int to = Integer.parseInt(range.group(2).length() > 5 ? "99999" : range.group(2));
            if (from > to) {
                throw key.error("range start " + from + " is greater than its end " + to);
            }
            return new Selector(key, from, to, false);
        }
        throw key.error("expected a layer index, a range such as 0-3, or all, got " + Value.describeNode(key.node));
    }

    private void parseLayerField(LayerOverride override, Value.Pair field) throws ConfigException {
        Value value = field.value();
        switch (field.name()) {
            case LAYER_TYPE -> override.layerType = value.choice(LayerType.class);
            case SLIDING_WINDOW -> override.slidingWindow = value.integer(1, MAX_WINDOW);
            case POSITION_EMBEDDING -> override.positionEmbedding = value.choice(PositionEmbedding.class, PER_LAYER_POSITION_EMBEDDINGS);
            case ROPE_THETA -> override.ropeTheta = value.number(0, true, Double.POSITIVE_INFINITY, false);
            case ATTENTION_ALGORITHM -> override.attentionAlgorithm = value.choice(AttentionAlgorithm.class);
            case CHUNK_SIZE -> override.chunkSize = value.integer(1, MAX_CHUNK);
            case QK_NORM -> override.qkNorm = value.bool();
            default -> {
                if (TOP_LEVEL.contains(field.name())) {
                    throw field.key().error("cannot be set per layer (per-layer keys: " + String.join(", ", PER_LAYER)
                            + ")");
                }
                throw field.key().error("unknown per-layer key" + Suggestions.didYouMean(field.name(), PER_LAYER));
            }
        }
        override.keys.put(field.name(), field.key());
    }

    // ---------------------------------------------------------------- keys together

    @SuppressWarnings("unchecked")
    private <T> T get(String key) {
        return (T) parsed.get(key);
    }

    private <T> T get(String key, T fallback) {
        T value = get(key);
        return value == null ? fallback : value;
    }

    /** The key node of a top-level key, or null when the key is absent. */
    private Value keyOf(String key) {
        Value.Pair pair = raw.entries.get(key);
        return pair == null ? null : pair.key();
    }

    /** The first of the given keys that the config sets, else the architecture key. */
    private Value firstGiven(String... keys) {
        for (String key : keys) {
            if (keyOf(key) != null) {
                return keyOf(key);
            }
        }
        return architecturePair.key();
    }

    private ModelConfig build() throws ConfigException {
        Integer embedDim = get(EMBED_DIM);
        if (!architecture.takesTokenIds() && embedDim == null) {
            throw architecturePair.key().errorAs(EMBED_DIM, "required for architecture " + architecture.yamlName()
                    + " (the width of each input vector)");
        }
        int[] sizes = attentionSizes();
        int hidden = sizes[0];
        int heads = sizes[1];
        int kvHeads = sizes[2];
        int headDim = sizes[3];
        int intermediate = get(INTERMEDIATE_SIZE, defaults.intermediateFor(hidden));
        List<LayerConfig> layers = resolveLayers(headDim);
        Integer window = get(SLIDING_WINDOW, defaults.slidingWindow());
        return new ModelConfig(
                source,
                architecture,
                architecture.takesTokenIds() ? 0 : embedDim,
                architecture.takesTokenIds() ? get(VOCAB_SIZE, defaults.vocabSize()) : 0,
                hidden,
                heads,
                kvHeads,
                headDim,
                layers.size(),
                intermediate,
                window == null ? 0 : window,
                get(ROPE_THETA, 10000.0),
                get(ROPE_PAIRING, RopePairing.NEOX),
                get(ATTENTION_DROPOUT, 0.0),
                get(DROPOUT, defaults.dropout()),
                get(LAYER_NORM_EPS, 1e-5),
                get(HIDDEN_ACT, HiddenAct.GELU),
                get(POSITION_EMBEDDING, defaults.positionEmbedding()),
                get(SINUSOIDAL_VARIANT, SinusoidalVariant.STANDARD),
                get(ALIBI_SLOPES, AlibiSlopes.REFERENCE),
                get(APE_SCALE, 0.1),
                get(ATTENTION_ALGORITHM, AttentionAlgorithm.STANDARD),
                get(CHUNK_SIZE, 32),
                get(QK_NORM, false),
                get(NORM, defaults.norm()),
                get(NORM_POSITION, defaults.normPosition()),
                get(GLOBAL_TOKENS, List.of()),
                get(OUTPUT, defaults.output()),
                get(CAUSAL, defaults.causal()),
                get(SEED, 0L),
                get(DEVICE, "jvm"),
                architecture.hasLstm() ? get(LSTM_HIDDEN_SIZE, defaults.lstmHiddenSize()) : 0,
                architecture.hasLstm() ? get(LSTM_LAYERS, defaults.lstmLayers()) : 0,
                architecture == Architecture.HYBRID_LSTM_ATTENTION_MLP ? get(MLP_SIZES, defaults.mlpSizes())
                        : List.of(),
                layers);
    }

    /** hidden_size, heads, kv heads, head_dim; hidden_size is always heads x head_dim. */
    private int[] attentionSizes() throws ConfigException {
        int heads = get(NUM_ATTENTION_HEADS, defaults.heads());
        Integer hiddenGiven = get(HIDDEN_SIZE);
        Integer headDimGiven = get(HEAD_DIM);
        int hidden;
        int headDim;
        if (hiddenGiven != null) {
            hidden = hiddenGiven;
            if (headDimGiven != null) {
                headDim = headDimGiven;
                if ((long) heads * headDim != hidden) {
                    throw keyOf(HEAD_DIM).error("num_attention_heads " + heads + " x head_dim " + headDim + " = "
                            + (long) heads * headDim + ", but hidden_size is " + hidden);
                }
            } else {
                if (hidden % heads != 0) {
                    Value at = firstGiven(NUM_ATTENTION_HEADS, HIDDEN_SIZE);
                    throw at.error("hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
                }
                headDim = hidden / heads;
            }
        } else if (headDimGiven != null || defaults.hiddenSize() == null) {
            headDim = headDimGiven != null ? headDimGiven : defaults.headDim();
            long product = (long) heads * headDim;
            if (product > MAX_WIDTH) {
                throw firstGiven(HEAD_DIM, NUM_ATTENTION_HEADS).error("num_attention_heads " + heads + " x head_dim "
                        + headDim + " = " + product + " exceeds the hidden_size limit " + MAX_WIDTH);
            }
            hidden = (int) product;
        } else {
            hidden = defaults.hiddenSize();
            if (hidden % heads != 0) {
                throw firstGiven(NUM_ATTENTION_HEADS).error("hidden_size " + hidden + " (the "
                        + architecture.yamlName() + " default) is not divisible by num_attention_heads " + heads);
            }
            headDim = hidden / heads;
        }
        int kvHeads = get(NUM_KEY_VALUE_HEADS, heads);
        if (kvHeads > heads) {
            throw keyOf(NUM_KEY_VALUE_HEADS).error("num_key_value_heads " + kvHeads
                    + " is more than num_attention_heads " + heads);
        }
        if (heads % kvHeads != 0) {
            throw keyOf(NUM_KEY_VALUE_HEADS).error("num_attention_heads " + heads
                    + " is not divisible by num_key_value_heads " + kvHeads);
        }
        return new int[] {hidden, heads, kvHeads, headDim};
    }

    private List<LayerConfig> resolveLayers(int headDim) throws ConfigException {
        List<LayerType> typesGiven = get(LAYER_TYPES);
        Integer countGiven = get(NUM_HIDDEN_LAYERS);
        int count = countGiven != null ? countGiven : typesGiven != null ? typesGiven.size() : defaults.layers();
        if (typesGiven != null && typesGiven.size() != count) {
            throw keyOf(LAYER_TYPES).error("has " + typesGiven.size() + " entries, but num_hidden_layers is " + count);
        }
        LayerType[] types = new LayerType[count];
        Value[] typeSource = new Value[count];
        LayerPattern pattern = get(SLIDING_WINDOW_PATTERN, defaults.layerTypes());
        List<LayerType> initial = typesGiven != null ? typesGiven : pattern.expand(count);
        for (int i = 0; i < count; i++) {
            types[i] = initial.get(i);
            typeSource[i] = typesGiven != null ? layerTypeValues.get(i) : firstGiven(SLIDING_WINDOW_PATTERN);
        }

        Integer[] windows = new Integer[count];
        PositionEmbedding[] embeddings = new PositionEmbedding[count];
        Value[] embeddingSource = new Value[count];
        Double[] thetas = new Double[count];
        AttentionAlgorithm[] algorithms = new AttentionAlgorithm[count];
        Integer[] chunks = new Integer[count];
        Boolean[] qkNorms = new Boolean[count];
        Map<LayerOverride, List<Integer>> selected = new HashMap<>();
        for (LayerOverride override : overrides) {
            List<Integer> indices = override.selector.indices(count);
            selected.put(override, indices);
            for (int i : indices) {
                if (override.layerType != null) {
                    types[i] = override.layerType;
                    typeSource[i] = override.keys.get(LAYER_TYPE);
                }
                if (override.slidingWindow != null) {
                    windows[i] = override.slidingWindow;
                }
                if (override.positionEmbedding != null) {
                    embeddings[i] = override.positionEmbedding;
                    embeddingSource[i] = override.keys.get(POSITION_EMBEDDING);
                }
                if (override.ropeTheta != null) {
                    thetas[i] = override.ropeTheta;
                }
                if (override.attentionAlgorithm != null) {
                    algorithms[i] = override.attentionAlgorithm;
                }
                if (override.chunkSize != null) {
                    chunks[i] = override.chunkSize;
                }
                if (override.qkNorm != null) {
                    qkNorms[i] = override.qkNorm;
                }
            }
        }
        for (LayerOverride override : overrides) {
            if (override.slidingWindow != null
                    && selected.get(override).stream().noneMatch(i -> types[i] == LayerType.SLIDING)) {
                List<Integer> indices = selected.get(override);
                String which = indices.size() == 1 ? "layer " + indices.get(0) + " is full_attention"
                        : "layers " + override.selector.key().path.substring(LAYERS.length() + 1)
                                + " are all full_attention";
                throw override.keys.get(SLIDING_WINDOW).error("has no effect: " + which
                        + " (add layer_type: sliding_attention to make it slide)");
            }
        }

        Integer globalWindow = get(SLIDING_WINDOW, defaults.slidingWindow());
        PositionEmbedding globalEmbedding = get(POSITION_EMBEDDING, defaults.positionEmbedding());
        double globalTheta = get(ROPE_THETA, 10000.0);
        RopePairing pairing = get(ROPE_PAIRING, RopePairing.NEOX);
        AttentionAlgorithm globalAlgorithm = get(ATTENTION_ALGORITHM, AttentionAlgorithm.STANDARD);
        int globalChunk = get(CHUNK_SIZE, 32);
        boolean globalQkNorm = get(QK_NORM, false);

        List<LayerConfig> layers = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int window = 0;
            if (types[i] == LayerType.SLIDING) {
                Integer w = windows[i] != null ? windows[i] : globalWindow;
                if (w == null) {
                    throw typeSource[i].error("layer " + i + " is sliding_attention, but no sliding_window is set"
                            + " (architecture " + architecture.yamlName() + " has no default window)");
                }
                window = w;
            }
            PositionEmbedding embedding;
            if (embeddings[i] != null) {
                embedding = embeddings[i];
            } else if (architecture == Architecture.RNOPE_SWA_HYBRID && types[i] == LayerType.FULL) {
                // The point of the architecture: global layers see no position information.
                embedding = PositionEmbedding.NONE;
            } else {
                embedding = globalEmbedding.isAttentionLevel() ? globalEmbedding : PositionEmbedding.NONE;
                embeddingSource[i] = keyOf(POSITION_EMBEDDING);
            }
            if (embedding == PositionEmbedding.ROPE && headDim % 2 != 0) {
                if (embeddingSource[i] != null) {
                    throw embeddingSource[i].error("rope needs an even head_dim, but head_dim is " + headDim);
                }
                throw firstGiven(HEAD_DIM, HIDDEN_SIZE, NUM_ATTENTION_HEADS).error("head_dim " + headDim
                        + " is odd, but layer " + i + " uses rope, which rotates pairs of dimensions");
            }
            layers.add(new LayerConfig(
                    i,
                    types[i],
                    window,
                    embedding,
                    thetas[i] != null ? thetas[i] : globalTheta,
                    pairing,
                    algorithms[i] != null ? algorithms[i] : globalAlgorithm,
                    chunks[i] != null ? chunks[i] : globalChunk,
                    qkNorms[i] != null ? qkNorms[i] : globalQkNorm));
        }
        return layers;
    }
}
