package org.attentionlab.model.config;

import static org.attentionlab.model.config.Keys.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.attentionlab.kernels.AttentionKernels;
import org.attentionlab.model.arch.Architecture;
import org.attentionlab.model.arch.Architectures;
import org.attentionlab.model.config.Key.Default;
import org.attentionlab.model.spec.AttentionAlgorithm;
import org.attentionlab.model.spec.AttentionSpec;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.FfnSpec;
import org.attentionlab.model.spec.FfnType;
import org.attentionlab.model.spec.HiddenAct;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.LmHeadSpec;
import org.attentionlab.model.spec.Mask;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormSpec;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.PositionBias;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.spec.RopeSpec;
import org.attentionlab.model.spec.SinusoidalVariant;
import org.attentionlab.model.spec.Window;

/**
 * Turns the collected keys of a config into a {@link ModelSpec}: first every key on its own (whether the
 * architecture reads it, then its type and range, in file order, then the {@code layers:} entries), then the rules
 * that tie keys together (sizes, layer count and types, per-layer overrides, RoPE), then the architecture's own.
 * Values come from the config, else the architecture's {@link Defaults}, else the key's.
 */
final class Resolver implements ConfigErrors {

    private final ConfigLoader.RawConfig raw;
    private final YamlFile mainFile;
    private final Path source;
    private final Map<Key<?>, Object> given = new HashMap<>();
    private final List<LayerEntry> entries = new ArrayList<>();
    /** Per layer, where its layers: entries set each key (the last entry wins). */
    private final List<Map<Key<?>, Value>> writtenPerLayer = new ArrayList<>();
    /** The settings, filled as values are resolved. */
    private final Map<Key<?>, Object> resolved = new LinkedHashMap<>();
    private Architecture architecture;
    private Value.Pair architecturePair;

    Resolver(ConfigLoader.RawConfig raw, YamlFile mainFile, Path source) {
        this.raw = raw;
        this.mainFile = mainFile;
        this.source = source;
    }

    /** The model; a train: block, when there is one, is checked too (a broken one is an error wherever the config is used). */
    ModelSpec resolve() throws ConfigException {
        ModelSpec spec = resolveModel();
        if (!raw.trainBlocks.isEmpty()) {
            trainResolver(spec).resolve();
        }
        return spec;
    }

    /** The model and its train: block, which must exist. */
    TrainingConfig resolveTraining() throws ConfigException {
        ModelSpec spec = resolveModel();
        if (raw.trainBlocks.isEmpty()) {
            throw new ConfigException(source.toString(), "has no train: block, which scripts/run train needs (configs/README.md, \"Training\")", null);
        }
        TrainResolver train = trainResolver(spec);
        return new TrainingConfig(spec, train.resolve(), train);
    }

    private TrainResolver trainResolver(ModelSpec spec) throws ConfigException {
        TrainEntries merged = null;
        for (Value.Pair block : raw.trainBlocks) {
            TrainEntries read = TRAIN_BLOCK.type().read(block.value());
            merged = merged == null ? read : read.over(merged);
        }
        return new TrainResolver(merged, raw.trainBlocks.get(0).key(), this, spec);
    }

    private ModelSpec resolveModel() throws ConfigException {
        architecturePair = raw.entries.get(ARCHITECTURE.name());
        if (architecturePair == null) {
            throw mainFile.error(mainFile.root, ARCHITECTURE.name(), "required key is missing (one of: "
                    + String.join(", ", Architectures.all().stream().map(Architecture::yamlName).toList()) + ")");
        }
        architecture = ARCHITECTURE.type().read(architecturePair.value());
        for (Value.Pair pair : raw.entries.values()) {
            Key<?> key = Keys.named(pair.name());
            if (!architecture.accepts(key)) {
                throw refused(pair, key);
            }
            given.put(key, key.type().read(pair.value()));
        }
        for (Value.Pair block : raw.layerBlocks) {
            entries.addAll(LAYERS_ENTRIES.type().read(block.value()));
        }
        ModelSpec spec = build();
        architecture.check(spec, this);
        if (spec.settings().find(NUM_LABELS).isPresent() && spec.output() == OutputMode.LOGITS) {
            throw at(NUM_LABELS, "adds a score head to the hidden states, but output: logits ends the model in lm_head: use output: last or all"
                    + " with num_labels, or leave num_labels out");
        }
        return spec;
    }

    private ConfigException refused(Value.Pair pair, Key<?> key) {
        if (key == EMBED_DIM && architecture.accepts(VOCAB_SIZE)) {
            return pair.key().error("not used by architecture " + architecture.yamlName()
                    + ", which reads token ids (set vocab_size; the model width is hidden_size)");
        }
        List<String> readers = Architectures.all().stream().filter(a -> a.accepts(key)).map(Architecture::yamlName).toList();
        return pair.key().error("not used by architecture " + architecture.yamlName() + " (only by " + String.join(", ", readers) + ")");
    }

    // ---------------------------------------------------------------- values of single keys

    @SuppressWarnings("unchecked")
    private <T> T given(Key<T> key) {
        return (T) given.get(key);
    }

    /** The value given, else a fixed default, else null when the default is unset; an error when one is required. */
    private <T> T value(Key<T> key) throws ConfigException {
        T value = given(key);
        if (value != null) {
            return value;
        }
        return switch (architecture.defaults().of(key)) {
        case Default.Fixed<T> fixed -> fixed.value();
        case Default.Unset<T> unset -> null;
        case Default.Required<T> required -> throw architecturePair.key().errorAs(key.name(),
                "required for architecture " + architecture.yamlName() + " (" + required.what() + ")");
        case Default.Derived<T> derived -> throw new IllegalStateException(key + " is derived (" + derived.rule() + "): the resolver computes it");
        };
    }

    /** {@link #value}, recorded in the settings. */
    private <T> T settle(Key<T> key) throws ConfigException {
        return settle(key, value(key));
    }

    private <T> T settle(Key<T> key, T value) {
        if (value != null) {
            resolved.put(key, value);
        }
        return value;
    }

    /** The key node of a top-level key, or null when the key is absent. */
    private Value keyOf(Key<?> key) {
        Value.Pair pair = raw.entries.get(key.name());
        return pair == null ? null : pair.key();
    }

    /** The first of the given keys that the config sets, else the architecture key. */
    private Value firstGiven(Key<?>... keys) {
        for (Key<?> key : keys) {
            if (keyOf(key) != null) {
                return keyOf(key);
            }
        }
        return architecturePair.key();
    }

    @Override
    public ConfigException at(Key<?> key, String problem) {
        Value written = keyOf(key);
        return written != null ? written.error(problem) : architecturePair.key().errorAs(key.name(), problem);
    }

    @Override
    public ConfigException atLayer(int layer, Key<?> key, String problem) {
        Value written = writtenPerLayer.get(layer).get(key);
        return written != null ? written.error(problem) : at(key, problem);
    }

    // ---------------------------------------------------------------- keys together

    /** The attention shape: hidden_size is always heads x head_dim. */
    private record Sizes(int hidden, int heads, int kvHeads, int headDim) {
    }

    private ModelSpec build() throws ConfigException {
        settle(ARCHITECTURE, architecture);
        InputSpec input = input();
        Sizes sizes = sizes();
        Integer intermediateGiven = given(INTERMEDIATE_SIZE);
        int intermediate = settle(INTERMEDIATE_SIZE, intermediateGiven != null ? intermediateGiven
                : architecture.defaults().of(INTERMEDIATE_SIZE) == FOUR_TIMES_HIDDEN ? 4 * sizes.hidden() : value(INTERMEDIATE_SIZE));
        FfnType ffnType = settle(FFN_TYPE);
        HiddenAct act = settle(HIDDEN_ACT, hiddenAct(ffnType));
        Optional<FfnSpec> ffn = intermediate > 0 ? Optional.of(new FfnSpec(intermediate, ffnType, act, value(MLP_BIAS))) : Optional.empty();
        List<BlockSpec> blocks = blocks(sizes, ffn);
        Optional<LmHeadSpec> lmHead = lmHead(input);
        for (Key<?> key : Keys.all()) {
            // embed_dim is the width of feature input only: token ids have none
            boolean unused = key == SLIDING_WINDOW_PATTERN || key == EMBED_DIM && input instanceof InputSpec.TokenIds;
            if (key.topLevel() && !unused && architecture.accepts(key) && !resolved.containsKey(key)) {
                settle(key);
            }
        }
        return new ModelSpec(source, architecture, new Settings(resolved), input, blocks, lmHead);
    }

    /**
     * Token ids when the architecture reads them and the config gives a vocabulary (or it reads nothing else); else
     * features. A sinusoidal encoding is added to either stream once.
     */
    private InputSpec input() throws ConfigException {
        boolean sinusoidal = value(POSITION_EMBEDDING) == PositionEmbedding.SINUSOIDAL;
        Optional<SinusoidalVariant> encoding = sinusoidal ? Optional.of(value(SINUSOIDAL_VARIANT)) : Optional.empty();
        boolean readsTokens = architecture.accepts(VOCAB_SIZE);
        if (readsTokens && (given(VOCAB_SIZE) != null || !architecture.accepts(EMBED_DIM))) {
            if (given(EMBED_DIM) != null) {
                throw keyOf(EMBED_DIM).error("not used with vocab_size: token ids are embedded to hidden_size by embed_tokens [vocab_size, hidden_size]"
                        + " (give embed_dim for feature input or vocab_size for token ids, not both)");
            }
            return new InputSpec.TokenIds(settle(VOCAB_SIZE), encoding);
        }
        if (readsTokens && given(EMBED_DIM) == null) {
            throw architecturePair.key().errorAs(EMBED_DIM.name(), "required for architecture " + architecture.yamlName()
                    + " (the width of each input vector), or give vocab_size for token ids");
        }
        return new InputSpec.Features(settle(EMBED_DIM), encoding);
    }

    /**
     * hidden_act as given, which must suit the feed-forward type; else SiLU for SwiGLU (as Llama's hidden_act: silu),
     * GELU otherwise.
     */
    private HiddenAct hiddenAct(FfnType ffnType) throws ConfigException {
        HiddenAct act = given(HIDDEN_ACT);
        if (act == null) {
            return ffnType == FfnType.SWIGLU ? HiddenAct.SILU : HiddenAct.GELU;
        }
        if (!ffnType.admits(act)) {
            String fix = ffnType == FfnType.SWIGLU ? "silu, or use ffn_type geglu for a GELU gate" : "gelu or gelu_pytorch_tanh, or use ffn_type swiglu for a SiLU gate";
            throw keyOf(HIDDEN_ACT).error("ffn_type " + ffnType.yamlName() + " cannot gate with " + act.yamlName() + " (use " + fix + ")");
        }
        return act;
    }

    /** The language-model head of output logits: it needs an architecture that has one and token input. */
    private Optional<LmHeadSpec> lmHead(InputSpec input) throws ConfigException {
        if (value(OUTPUT) != OutputMode.LOGITS) {
            return Optional.empty();
        }
        if (!architecture.accepts(LOGIT_SCALE)) {
            List<String> readers = Architectures.all().stream().filter(a -> a.accepts(LOGIT_SCALE)).map(Architecture::yamlName).toList();
            throw at(OUTPUT, "architecture " + architecture.yamlName() + " has no language-model head (output logits is for " + String.join(", ", readers)
                    + ")");
        }
        if (!(input instanceof InputSpec.TokenIds ids)) {
            throw at(OUTPUT, "logits need token input: set vocab_size (lm_head maps hidden_size to vocab_size logits)");
        }
        return Optional.of(new LmHeadSpec(ids.vocabSize(), value(TIE_WORD_EMBEDDINGS), value(LOGIT_SCALE)));
    }

    private Sizes sizes() throws ConfigException {
        int heads = settle(NUM_ATTENTION_HEADS);
        Integer hiddenGiven = given(HIDDEN_SIZE);
        Integer headDimGiven = given(HEAD_DIM);
        int hidden;
        int headDim;
        if (hiddenGiven != null) {
            hidden = hiddenGiven;
            if (headDimGiven != null) {
                headDim = headDimGiven;
                if ((long) heads * headDim != hidden) {
                    throw keyOf(HEAD_DIM).error("num_attention_heads " + heads + " x head_dim " + headDim + " = " + (long) heads * headDim
                            + ", but hidden_size is " + hidden);
                }
            } else {
                if (hidden % heads != 0) {
                    throw firstGiven(NUM_ATTENTION_HEADS, HIDDEN_SIZE).error("hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
                }
                headDim = hidden / heads;
            }
        } else if (headDimGiven != null || !(architecture.defaults().of(HIDDEN_SIZE) instanceof Default.Fixed)) {
            headDim = headDimGiven != null ? headDimGiven : value(HEAD_DIM);
            long product = (long) heads * headDim;
            if (product > MAX_WIDTH) {
                throw firstGiven(HEAD_DIM, NUM_ATTENTION_HEADS).error("num_attention_heads " + heads + " x head_dim " + headDim + " = " + product
                        + " exceeds the hidden_size limit " + MAX_WIDTH);
            }
            hidden = (int) product;
        } else {
            hidden = value(HIDDEN_SIZE);
            if (hidden % heads != 0) {
                throw firstGiven(NUM_ATTENTION_HEADS).error("hidden_size " + hidden + " (the " + architecture.yamlName()
                        + " default) is not divisible by num_attention_heads " + heads);
            }
            headDim = hidden / heads;
        }
        Integer kvGiven = given(NUM_KEY_VALUE_HEADS);
        int kvHeads = kvGiven != null ? kvGiven : heads;
        if (kvHeads > heads) {
            throw keyOf(NUM_KEY_VALUE_HEADS).error("num_key_value_heads " + kvHeads + " is more than num_attention_heads " + heads);
        }
        if (heads % kvHeads != 0) {
            throw keyOf(NUM_KEY_VALUE_HEADS).error("num_attention_heads " + heads + " is not divisible by num_key_value_heads " + kvHeads);
        }
        settle(HIDDEN_SIZE, hidden);
        settle(HEAD_DIM, headDim);
        settle(NUM_KEY_VALUE_HEADS, kvHeads);
        return new Sizes(hidden, heads, kvHeads, headDim);
    }

    /** One block per layer: layer types, then the layers: entries in order, then every layer's values and checks. */
    private List<BlockSpec> blocks(Sizes sizes, Optional<FfnSpec> ffn) throws ConfigException {
        List<LayerType> typesGiven = given(LAYER_TYPES);
        Integer countGiven = given(NUM_HIDDEN_LAYERS);
        int count = countGiven != null ? countGiven : typesGiven != null ? typesGiven.size() : value(NUM_HIDDEN_LAYERS);
        if (typesGiven != null && typesGiven.size() != count) {
            throw keyOf(LAYER_TYPES).error("has " + typesGiven.size() + " entries, but num_hidden_layers is " + count);
        }
        List<LayerType> types = new ArrayList<>(typesGiven != null ? typesGiven : value(SLIDING_WINDOW_PATTERN).expand(count));
        Value[] typeSource = new Value[count];
        for (int i = 0; i < count; i++) {
            typeSource[i] = typesGiven != null ? raw.entries.get(LAYER_TYPES.name()).value().list().get(i) : firstGiven(SLIDING_WINDOW_PATTERN);
        }

        List<Map<Key<?>, Object>> overrides = new ArrayList<>();
        Value[] embeddingSource = new Value[count];
        for (int i = 0; i < count; i++) {
            overrides.add(new HashMap<>());
            writtenPerLayer.add(new HashMap<>());
        }
        Map<LayerEntry, List<Integer>> selected = new HashMap<>();
        for (LayerEntry entry : entries) {
            List<Integer> indices = entry.selector().indices(count);
            selected.put(entry, indices);
            for (int i : indices) {
                overrides.get(i).putAll(entry.values());
                writtenPerLayer.get(i).putAll(entry.written());
                if (entry.values().containsKey(LAYER_TYPE)) {
                    types.set(i, entry.get(LAYER_TYPE));
                    typeSource[i] = entry.written().get(LAYER_TYPE);
                }
                if (entry.values().containsKey(POSITION_EMBEDDING)) {
                    embeddingSource[i] = entry.written().get(POSITION_EMBEDDING);
                }
            }
        }
        for (LayerEntry entry : entries) {
            List<Integer> indices = selected.get(entry);
            if (entry.values().containsKey(SLIDING_WINDOW) && indices.stream().noneMatch(i -> types.get(i) == LayerType.SLIDING)) {
                String which = indices.size() == 1 ? "layer " + indices.get(0) + " is full_attention"
                        : "layers " + entry.selector().key().path.substring(LAYERS_ENTRIES.name().length() + 1) + " are all full_attention";
                throw entry.written().get(SLIDING_WINDOW).error("has no effect: " + which + " (add layer_type: sliding_attention to make it slide)");
            }
        }
        settle(NUM_HIDDEN_LAYERS, count);
        settle(LAYER_TYPES, List.copyOf(types));
        Window.Sliding topLevelWindow = value(SLIDING_WINDOW);
        if (topLevelWindow != null) {
            checkWindowsPerHead(topLevelWindow, sizes.heads(), -1);
        }

        PositionEmbedding globalEmbedding = value(POSITION_EMBEDDING);
        Norm normKind = value(NORM);
        NormSpec norm = new NormSpec(normKind, value(LAYER_NORM_EPS), normKind == Norm.LAYERNORM && value(NORM_BIAS));
        List<BlockSpec> blocks = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Map<Key<?>, Object> layer = overrides.get(i);
            Window window = new Window.Full();
            if (types.get(i) == LayerType.SLIDING) {
                Window.Sliding sliding = layerValue(layer, SLIDING_WINDOW);
                if (sliding == null) {
                    throw typeSource[i].error("layer " + i + " is sliding_attention, but no sliding_window is set (architecture " + architecture.yamlName()
                            + " has no default window)");
                }
                checkWindowsPerHead(sliding, sizes.heads(), i);
                window = sliding;
            }
            PositionEmbedding embedding = (PositionEmbedding) layer.get(POSITION_EMBEDDING);
            if (embedding == null) {
                embedding = architecture.positionEmbedding(types.get(i), globalEmbedding);
                embeddingSource[i] = keyOf(POSITION_EMBEDDING);
            }
            if (embedding == PositionEmbedding.ROPE && sizes.headDim() % 2 != 0) {
                if (embeddingSource[i] != null) {
                    throw embeddingSource[i].error("rope needs an even head_dim, but head_dim is " + sizes.headDim());
                }
                throw firstGiven(HEAD_DIM, HIDDEN_SIZE, NUM_ATTENTION_HEADS).error("head_dim " + sizes.headDim() + " is odd, but layer " + i
                        + " uses rope, which rotates pairs of dimensions");
            }
            PositionBias bias = switch (embedding) {
            case ALIBI -> new PositionBias.Alibi(value(ALIBI_SLOPES));
            case APE -> new PositionBias.Ape(value(APE_SCALE));
            default -> new PositionBias.None();
            };
            Optional<RopeSpec> rope = embedding == PositionEmbedding.ROPE ? Optional.of(new RopeSpec(layerValue(layer, ROPE_THETA), value(ROPE_PAIRING)))
                    : Optional.empty();
            AttentionAlgorithm algorithm = layerValue(layer, ATTENTION_ALGORITHM);
            if (algorithm == AttentionAlgorithm.FLASH && !AttentionKernels.flashSupportsHeadDim(sizes.headDim())) {
                throw atLayer(i, ATTENTION_ALGORITHM, "flash supports head_dim up to " + AttentionKernels.FLASH_MAX_HEAD_DIM
                        + " (its key and value tiles live in the work-group's local memory), but head_dim is " + sizes.headDim()
                        + ": use memory_efficient, or more num_attention_heads");
            }
            AttentionSpec attention = new AttentionSpec(sizes.heads(), sizes.kvHeads(), sizes.headDim(),
                    new Mask(value(CAUSAL), window, value(GLOBAL_TOKENS)), bias, rope, layerValue(layer, QK_NORM), norm.eps(), algorithm,
                    layerValue(layer, CHUNK_SIZE), value(ATTENTION_DROPOUT));
            blocks.add(new BlockSpec(i, attention, value(ATTENTION_BIAS), ffn, norm, value(NORM_POSITION),
                    embedding == PositionEmbedding.SINUSOIDAL ? Optional.of(value(SINUSOIDAL_VARIANT)) : Optional.empty(), value(DROPOUT)));
        }
        return blocks;
    }

    /** A list of windows must give one W per attention head: at layer {@code layer}'s sliding_window, or the top-level one for -1. */
    private void checkWindowsPerHead(Window.Sliding sliding, int heads, int layer) throws ConfigException {
        if (sliding.perHead() && sliding.sizes().size() != heads) {
            String problem = "has " + sliding.sizes().size() + " windows, but num_attention_heads is " + heads
                    + " (a list gives one W per attention head; a single W serves them all)";
            throw layer < 0 ? at(SLIDING_WINDOW, problem) : atLayer(layer, SLIDING_WINDOW, problem);
        }
    }

    /** A per-layer key's value for one layer: its layers: entry's, else the top-level value. */
    @SuppressWarnings("unchecked")
    private <T> T layerValue(Map<Key<?>, Object> layer, Key<T> key) throws ConfigException {
        T value = (T) layer.get(key);
        return value != null ? value : value(key);
    }
}
