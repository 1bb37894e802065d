package org.attentionlab.model.config;

import static org.attentionlab.model.config.Key.Scope.LAYER;
import static org.attentionlab.model.config.Key.Scope.LAYER_ONLY;
import static org.attentionlab.model.config.Key.Scope.MODEL;
import static org.attentionlab.model.config.Key.Scope.TRAIN;
import static org.attentionlab.model.config.Key.Section.ATTENTION;
import static org.attentionlab.model.config.Key.Section.BLOCKS;
import static org.attentionlab.model.config.Key.Section.LAYERS;
import static org.attentionlab.model.config.Key.Section.RUNNING;
import static org.attentionlab.model.config.Key.Section.POSITION;
import static org.attentionlab.model.config.Key.Section.SHAPE;
import static org.attentionlab.model.config.Key.Section.TRAINING;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.attentionlab.kernels.AttentionKernels;
import org.attentionlab.model.arch.Architecture;
import org.attentionlab.model.arch.Architectures;
import org.attentionlab.model.config.Key.Default;
import org.attentionlab.model.config.Key.Reader;
import org.attentionlab.model.config.Key.Type;
import org.attentionlab.model.spec.AlibiSlopes;
import org.attentionlab.model.spec.AttentionAlgorithm;
import org.attentionlab.model.spec.Device;
import org.attentionlab.model.spec.FfnType;
import org.attentionlab.model.spec.HiddenAct;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.LrSchedule;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.spec.RopePairing;
import org.attentionlab.model.spec.SinusoidalVariant;
import org.attentionlab.model.spec.TaskName;
import org.attentionlab.model.spec.Window;
import org.attentionlab.model.spec.YamlName;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Every key a config may contain, once: name, section, scope, type and range, default, whether it is
 * architecture-specific, documentation and other libraries' names. Names follow Hugging Face's {@code config.json}
 * where one exists. The order here is the order of the docs and of "did you mean" ties. An architecture replaces
 * defaults in its own file ({@code arch/}); configs/README.md's tables are generated from both
 * ({@code scripts/update-config-docs}).
 */
public final class Keys {

    static final int MAX_WIDTH = 1 << 16;
    static final int MAX_HEADS = 1024;
    static final int MAX_LAYERS = 1024;
    static final int MAX_INTERMEDIATE = 1 << 20;
    static final int MAX_WINDOW = 1 << 30;
    static final int MAX_CHUNK = 1 << 16;
    static final int MAX_VOCAB = 1 << 24;
    static final int MAX_LSTM_LAYERS = 64;
    static final int MAX_MLP_LAYERS = 64;
    static final int MAX_GLOBAL_TOKENS = 1024;
    static final int MAX_POSITION = 1 << 30;
    static final int MAX_GROUP_ITEMS = 1024;

    private static final List<Key<?>> ALL = new ArrayList<>();

    // ---------------------------------------------------------------- model shape

    public static final Key<Architecture> ARCHITECTURE = key("architecture", SHAPE, MODEL, architectureType(), new Default.Required<>("the model family"),
            "model family (below)");
    public static final Key<String> EXTENDS = key("extends", SHAPE, MODEL, new Type<>("path", "a readable config", Keys::path), new Default.Unset<>(),
            "start from another config (below)", "base");
    public static final Key<Integer> EMBED_DIM = specific("embed_dim", SHAPE, integer(1, MAX_WIDTH), new Default.Required<>("the width of each input vector"),
            "width of each input vector: input is [batch, seq, embed_dim] (not with vocab_size)");
    public static final Key<Integer> VOCAB_SIZE = specific("vocab_size", SHAPE, integer(1, MAX_VOCAB), fixed(100),
            "number of token ids: input is [batch, seq] ids, embedded by embed_tokens [vocab_size, hidden_size] (ape: its embedded QKV)");
    public static final Key<Integer> HIDDEN_SIZE = key("hidden_size", SHAPE, MODEL, integer(1, MAX_WIDTH),
            new Default.Derived<>("heads × head_dim"), "model width; always num_attention_heads × head_dim", "d_model");
    public static final Key<Integer> NUM_ATTENTION_HEADS = key("num_attention_heads", SHAPE, MODEL, integer(1, MAX_HEADS), fixed(4),
            "query heads; must divide hidden_size when head_dim is not given", "num_heads", "heads", "n_head");
    public static final Key<Integer> NUM_KEY_VALUE_HEADS = key("num_key_value_heads", SHAPE, MODEL, integer(1, MAX_HEADS),
            new Default.Derived<>("= num_attention_heads"),
            "grouped-query attention: query head h uses kv head h / (heads / kv_heads); must divide num_attention_heads", "num_kv_heads", "kv_heads");
    public static final Key<Integer> HEAD_DIM = key("head_dim", SHAPE, MODEL, integer(1, MAX_WIDTH), new Default.Derived<>("hidden / heads"),
            "width per head; given without hidden_size, hidden_size = heads × head_dim; given with it, they must agree");
    public static final Key<Integer> NUM_HIDDEN_LAYERS = key("num_hidden_layers", SHAPE, MODEL, integer(1, MAX_LAYERS), fixed(1),
            "attention layers (default: the length of layer_types when that is given)", "num_layers", "layers_count", "n_layer");
    public static final Key<Integer> INTERMEDIATE_SIZE = key("intermediate_size", SHAPE, MODEL, integer(0, MAX_INTERMEDIATE), fixed(0),
            "feed-forward width; 0 = no feed-forward block", "ffn_dim", "d_ff");

    // ---------------------------------------------------------------- layers and windows

    public static final Key<LayerType> LAYER_TYPE = key("layer_type", LAYERS, LAYER_ONLY, choice(LayerType.class), new Default.Derived<>("from layer_types"),
            "this layer's type (in a layers: entry)");
    public static final Key<Window.Sliding> SLIDING_WINDOW = key("sliding_window", LAYERS, LAYER,
            new Type<>("int or list of int", "1..2^30, or a list of one such W per attention head", Keys::slidingWindow, Window.Sliding::toString),
            new Default.Unset<>(), "W for sliding layers (convention above); a list gives each attention head its own W (multi-scale local attention)",
            "window_size", "window");
    public static final Key<List<LayerType>> LAYER_TYPES = key("layer_types", LAYERS, MODEL,
            new Type<>("list of enum", "sliding_attention, full_attention; length = num_hidden_layers", Keys::layerTypes, Keys::showList),
            new Default.Derived<>("from sliding_window_pattern"), "type of each layer, as Hugging Face layer_types");
    public static final Key<LayerPattern> SLIDING_WINDOW_PATTERN = key("sliding_window_pattern", LAYERS, MODEL,
            new Type<>("int or string", "int 1..1024, or a string of S/F (case-insensitive)", Keys::pattern, LayerPattern::describe),
            fixed(LayerPattern.ALL_FULL), "shorthand for layer_types (below)");
    public static final Key<PositionEmbedding> POSITION_EMBEDDING = key("position_embedding", POSITION, LAYER, choice(PositionEmbedding.class),
            fixed(PositionEmbedding.NONE), "sinusoidal is added to the input once; the others act inside attention and can differ per layer", "rope",
            "positional_encoding");
    public static final Key<Double> ROPE_THETA = key("rope_theta", POSITION, LAYER, number(0, true, Double.POSITIVE_INFINITY, false, "(0, ∞)"),
            fixed(10000.0), "RoPE base", "theta");
    public static final Key<RopePairing> ROPE_PAIRING = key("rope_pairing", POSITION, MODEL, choice(RopePairing.class), fixed(RopePairing.NEOX),
            "neox: pairs (d, d + head_dim/2), as Llama and Edifice; gptj: pairs (2d, 2d+1), as Cohere2");
    public static final Key<Double> ATTENTION_DROPOUT = key("attention_dropout", ATTENTION, MODEL, number(0, false, 1, false, "[0, 1)"), fixed(0.0),
            "dropout on attention weights (applied in training and with scripts/run --dropout)", "attention_probs_dropout_prob");
    public static final Key<Double> DROPOUT = key("dropout", BLOCKS, MODEL, number(0, false, 1, false, "[0, 1)"), fixed(0.0),
            "hidden dropout of the residual updates (applied with scripts/run --dropout)", "hidden_dropout", "hidden_dropout_prob");
    public static final Key<Double> LAYER_NORM_EPS = key("layer_norm_eps", BLOCKS, MODEL, number(0, true, 1, true, "(0, 1]"), fixed(1e-5),
            "epsilon of every norm (and of QK-norm)", "eps", "rms_norm_eps");
    public static final Key<HiddenAct> HIDDEN_ACT = key("hidden_act", BLOCKS, MODEL, choice(HiddenAct.class),
            new Default.Derived<>("silu with ffn_type swiglu, else gelu"),
            "feed-forward (and MLP head) activation; gelu is the exact erf form; swiglu needs silu, geglu gelu or gelu_pytorch_tanh", "activation");
    public static final Key<FfnType> FFN_TYPE = key("ffn_type", BLOCKS, MODEL, choice(FfnType.class), fixed(FfnType.MLP),
            "mlp: down(act(up(x))); swiglu: down(silu(gate(x)) × up(x)), as Llama, Mistral and Cohere2; geglu: the same with hidden_act's GELU",
            "mlp_type", "feed_forward_type");
    public static final Key<SinusoidalVariant> SINUSOIDAL_VARIANT = key("sinusoidal_variant", POSITION, MODEL, choice(SinusoidalVariant.class),
            fixed(SinusoidalVariant.STANDARD), "standard: sin/cos at 10000^(-2k/d); edifice: Edifice's frequency 1/(1 + 0.01 k)");
    public static final Key<AlibiSlopes> ALIBI_SLOPES = key("alibi_slopes", POSITION, MODEL, choice(AlibiSlopes.class), fixed(AlibiSlopes.REFERENCE),
            "reference: the ALiBi paper's rule (non-power-of-two head counts interleave); edifice: 2^(-8h/n) for every n");
    public static final Key<Double> APE_SCALE = key("ape_scale", POSITION, MODEL, new Type<>("float", "any finite", Value::number), fixed(0.1),
            "scale of the APE bias (1 - |i - j| / L) × ape_scale");
    public static final Key<AttentionAlgorithm> ATTENTION_ALGORITHM = key("attention_algorithm", ATTENTION, LAYER, choice(AttentionAlgorithm.class),
            fixed(AttentionAlgorithm.STANDARD), "how attention is computed (same result up to rounding); flash supports head_dim up to "
                    + AttentionKernels.FLASH_MAX_HEAD_DIM + " (a larger one is refused)");
    public static final Key<Integer> CHUNK_SIZE = key("chunk_size", ATTENTION, LAYER, integer(1, MAX_CHUNK), fixed(32),
            "query chunk (chunked) or key chunk (memory_efficient) length; Edifice's default. memory_efficient keeps a chunk's scores in a"
                    + " private array of " + AttentionKernels.MEMORY_EFFICIENT_MAX_CHUNK + " floats: a larger chunk runs as "
                    + AttentionKernels.MEMORY_EFFICIENT_MAX_CHUNK + " (the same result)");
    public static final Key<Boolean> QK_NORM = key("qk_norm", ATTENTION, LAYER, bool(), fixed(false),
            "normalise q and k per head before the dot product (Edifice qk_layernorm)", "qk_layernorm");
    public static final Key<Boolean> ATTENTION_BIAS = key("attention_bias", ATTENTION, MODEL, bool(), fixed(true),
            "biases on q_proj, k_proj, v_proj and o_proj (Llama, Mistral and Cohere2 have none)", "qkv_bias");
    public static final Key<Norm> NORM = key("norm", BLOCKS, MODEL, choice(Norm.class), fixed(Norm.LAYERNORM), "normalisation in each block");
    public static final Key<NormPosition> NORM_POSITION = key("norm_position", BLOCKS, MODEL, choice(NormPosition.class), fixed(NormPosition.PRE),
            "pre: x + f(norm(x)); post: norm(x + f(x)); parallel: x + attn(norm(x)) + ffn(norm(x)) from one norm (Cohere2)");
    public static final Key<Boolean> MLP_BIAS = key("mlp_bias", BLOCKS, MODEL, bool(), fixed(true),
            "biases on the feed-forward projections gate_proj, up_proj and down_proj", "ffn_bias");
    public static final Key<Boolean> NORM_BIAS = key("norm_bias", BLOCKS, MODEL, bool(), fixed(true),
            "a bias in every LayerNorm (Cohere2's LayerNorm has none; RMSNorm never has one)", "layer_norm_bias");
    public static final Key<List<Integer>> GLOBAL_TOKENS = key("global_tokens", LAYERS, MODEL,
            new Type<>("list of int", "distinct positions 0..2^30, at most 1024", Keys::globalTokens, Keys::showList), fixed(List.of()),
            "Longformer global attention positions");
    public static final Key<OutputMode> OUTPUT = key("output", RUNNING, MODEL, choice(OutputMode.class), fixed(OutputMode.LAST),
            "last position [batch, hidden], every position [batch, seq, hidden], the mean over positions, or the language-model head's logits"
                    + " [batch, seq, vocab_size] (token input only)");
    public static final Key<Boolean> TIE_WORD_EMBEDDINGS = specific("tie_word_embeddings", RUNNING, bool(), fixed(false),
            "lm_head reuses embed_tokens.weight and has no tensor of its own (Cohere2: true; Llama, Mistral: false)", "tie_embeddings",
            "tied_embeddings");
    public static final Key<Double> LOGIT_SCALE = specific("logit_scale", RUNNING, new Type<>("float", "any finite", Value::number), fixed(1.0),
            "the logits are multiplied by it (Cohere2: 0.0625)");
    public static final Key<Boolean> CAUSAL = key("causal", LAYERS, MODEL, bool(), fixed(true),
            "false = bidirectional (Longformer-style windows)");
    public static final Key<Long> SEED = key("seed", RUNNING, MODEL, new Type<>("int", "any 64-bit integer", v -> v.integer(Long.MIN_VALUE, Long.MAX_VALUE)),
            fixed(0L), "weight-initialisation seed");
    public static final Key<Device> DEVICE = key("device", RUNNING, MODEL, new Type<>("string", "`jvm`, `tornado:<backend>:<device>`", Keys::device),
            fixed(Device.JVM), "default device, e.g. tornado:0:0 (scripts/run --device overrides it)");
    public static final Key<Integer> WORK_GROUP_ITEMS = key("work_group_items", RUNNING, MODEL, integer(1, MAX_GROUP_ITEMS), new Default.Unset<>(),
            "work-items per work-group of the matrix products and flash attention (the same results at any size); none: from the device,"
            + " 1 on a CPU (PoCL runs a group on one core), 32 on a GPU, within its largest work-group dimension; scripts/run --json records it",
            "local_work_size");
    public static final Key<Integer> VECTOR_LANES = key("vector_lanes", RUNNING, MODEL,
            new Type<>("int", "8, 16", v -> v.integerOf(List.of(8, 16))), new Default.Unset<>(),
            "float lanes of the device's vector registers that the register-tile kernels are shaped for (an OpenCL CPU device such as"
            + " PoCL; the same results within float rounding); none: 16 where the host CPU has AVX-512 (avx512f), 8 elsewhere;"
            + " scripts/run --json records it");
    public static final Key<Integer> LAYERS_PER_GRAPH = key("layers_per_graph", RUNNING, MODEL, integer(1, MAX_LAYERS), new Default.Unset<>(),
            "at most this many layers per TornadoVM task graph; none: as many as TornadoVM's fixed graph sizes admit (fewer graphs, fewer"
            + " host-side steps per forward pass; the same results)");
    public static final Key<Integer> LSTM_HIDDEN_SIZE = specific("lstm_hidden_size", SHAPE, integer(1, MAX_WIDTH), fixed(256), "LSTM width",
            "lstm_hidden");
    public static final Key<Integer> LSTM_LAYERS = specific("lstm_layers", SHAPE, integer(1, MAX_LSTM_LAYERS), fixed(1), "stacked LSTM layers");
    public static final Key<List<Integer>> MLP_SIZES = specific("mlp_sizes", SHAPE,
            new Type<>("list of int", "1..64 entries, each 1..65536", Keys::mlpSizes, Keys::showList), fixed(List.of(256, 256)),
            "widths of the MLP head's dense layers, each followed by hidden_act");
    public static final Key<List<LayerEntry>> LAYERS_ENTRIES = key("layers", LAYERS, MODEL, new Type<>("mapping", "layer selector: per-layer keys",
            LayerEntry::readAll), new Default.Unset<>(), "per-layer overrides (below)");

    public static final Key<Integer> NUM_LABELS = key("num_labels", RUNNING, MODEL, integer(1, MAX_VOCAB), new Default.Unset<>(),
            "a head `score` (hidden → num_labels, with bias) after the output: class logits (classification of output: last, or of every"
            + " position) or regression outputs (delayed_recall); Hugging Face's num_labels and score", "num_classes");

    // ---------------------------------------------------------------- training: the train: block (scripts/run train)

    public static final Key<TrainEntries> TRAIN_BLOCK = key("train", TRAINING, MODEL, new Type<>("mapping", "the keys below", TrainEntries::read),
            new Default.Unset<>(), "what scripts/run train does: the keys below, written under train:");
    public static final Key<TaskName> TASK = trainKey("task", choice(TaskName.class), new Default.Required<>("what to train on"),
            "the seeded task the batches are drawn from (below)");
    public static final Key<Integer> PAIRS = trainKey("pairs", integer(1, 1 << 20), fixed(8), "associative_recall: key–value pairs per sequence",
            "num_kv_pairs");
    public static final Key<Integer> KEYS = trainKey("keys", integer(1, MAX_VOCAB), fixed(32), "associative_recall: distinct keys (token ids 1..keys)");
    public static final Key<Integer> VALUES = trainKey("values", integer(1, MAX_VOCAB), fixed(32),
            "associative_recall: distinct values (token ids keys+1..keys+values)");
    public static final Key<Integer> DIGITS = trainKey("digits", integer(1, 32), fixed(5), "passkey_retrieval: digits of the pass key");
    public static final Key<Double> DEPTH = trainKey("depth", number(0, false, 1, true, "[0, 1]"), new Default.Unset<>(),
            "passkey_retrieval: where the key sits, 0 = at the start, 1 = just before the question; none: drawn per row");
    public static final Key<Integer> VOCAB = trainKey("vocab", integer(2, MAX_VOCAB), fixed(16), "copying: tokens 1..vocab-1 and the separator 0");
    public static final Key<Integer> DELAY = trainKey("delay", integer(0, MAX_POSITION), fixed(12), "delayed_recall: how many steps back the target is");
    public static final Key<String> TEXT_FILE = trainKey("text_file", new Type<>("path", "a readable file", Keys::path), new Default.Unset<>(),
            "text: the file to model, relative to the config (scripts/run train --text overrides it)");
    public static final Key<Integer> STEPS = trainKey("steps", integer(1, Integer.MAX_VALUE), fixed(1000), "optimizer updates in the run", "max_steps");
    public static final Key<Integer> BATCH_SIZE = trainKey("batch_size", integer(1, 1 << 20), fixed(16), "sequences per micro-batch",
            "per_device_train_batch_size");
    public static final Key<Integer> SEQ_LEN = trainKey("seq_len", integer(1, MAX_POSITION), fixed(64), "training sequence length", "block_size");
    public static final Key<Double> LEARNING_RATE = trainKey("learning_rate", number(0, true, Double.POSITIVE_INFINITY, false, "(0, ∞)"), fixed(1e-3),
            "peak learning rate (torch.optim.AdamW's default)", "lr");
    public static final Key<Integer> WARMUP_STEPS = trainKey("warmup_steps", integer(0, Integer.MAX_VALUE), fixed(0),
            "linear warm-up: update t uses learning_rate × t / warmup_steps");
    public static final Key<LrSchedule> LR_SCHEDULE = trainKey("lr_schedule", choice(LrSchedule.class), fixed(LrSchedule.COSINE),
            "after the warm-up: cosine down to min_learning_rate at the last step, or constant", "lr_scheduler_type");
    public static final Key<Double> MIN_LEARNING_RATE = trainKey("min_learning_rate", number(0, false, Double.POSITIVE_INFINITY, false, "[0, ∞)"),
            new Default.Derived<>("learning_rate / 10"), "where the cosine ends (nanoGPT's min_lr); at most learning_rate", "min_lr");
    public static final Key<Double> WEIGHT_DECAY = trainKey("weight_decay", number(0, false, Double.POSITIVE_INFINITY, false, "[0, ∞)"), fixed(0.01),
            "AdamW's decoupled weight decay, on tensors of 2 or more dimensions (weights, embeddings; not biases and norms)");
    public static final Key<List<Double>> BETAS = trainKey("betas",
            new Type<>("list of float", "two values in [0, 1)", Keys::betas, Keys::showList), fixed(List.of(0.9, 0.999)), "AdamW's (beta1, beta2)");
    public static final Key<Double> ADAM_EPSILON = trainKey("adam_epsilon", number(0, true, 1, false, "(0, 1)"), fixed(1e-8),
            "AdamW's eps");
    public static final Key<Double> GRAD_CLIP = trainKey("grad_clip", number(0, false, Double.POSITIVE_INFINITY, false, "[0, ∞)"), fixed(1.0),
            "clip the global gradient norm to this (clip_grad_norm_); 0 = no clipping", "max_grad_norm");
    public static final Key<Integer> GRAD_ACCUMULATION = trainKey("grad_accumulation", integer(1, 1024), fixed(1),
            "micro-batches whose gradients each update averages", "gradient_accumulation_steps");
    public static final Key<Long> DATA_SEED = trainKey("data_seed", new Type<>("int", "any 64-bit integer", v -> v.integer(Long.MIN_VALUE, Long.MAX_VALUE)),
            fixed(0L), "seed of the training batches and dropout masks (the model's seed initialises the weights)");
    public static final Key<List<Integer>> EVAL_LENGTHS = trainKey("eval_lengths",
            new Type<>("list of int", "1..64 lengths, each 1..2^30", Keys::evalLengths, Keys::showList), new Default.Derived<>("[seq_len]"),
            "sequence lengths evaluated at every checkpoint and at the end");
    public static final Key<Integer> EVAL_BATCHES = trainKey("eval_batches", integer(1, 1 << 20), fixed(4),
            "batches per evaluated length (drawn with a seed of their own, never a training batch)");
    public static final Key<Integer> LOG_INTERVAL = trainKey("log_interval", integer(1, Integer.MAX_VALUE), fixed(10),
            "a log.jsonl line every this many steps", "logging_steps");
    public static final Key<Integer> CHECKPOINT_INTERVAL = trainKey("checkpoint_interval", integer(1, Integer.MAX_VALUE), fixed(100),
            "a checkpoint (and an evaluation) every this many steps, and at the end", "save_steps");

    /** Every key, in declaration order. */
    public static List<Key<?>> all() {
        return List.copyOf(ALL);
    }

    /** The names a top-level mapping may use, in declaration order. */
    static final List<String> TOP_LEVEL = ALL.stream().filter(Key::topLevel).map(Key::name).toList();

    /** The names the {@code train:} block may use, in declaration order. */
    static final List<String> TRAIN_KEYS = ALL.stream().filter(Key::inTrainBlock).map(Key::name).toList();

    /** The names a {@code layers:} entry may use, in declaration order. */
    static final List<String> PER_LAYER = ALL.stream().filter(Key::perLayer).map(Key::name).toList();

    private static final Map<String, Key<?>> BY_NAME = byName();

    private Keys() {
    }

    /** The key spelled {@code name}, or null. */
    static Key<?> named(String name) {
        return BY_NAME.get(name);
    }

    /** The key another library calls {@code name} (case-insensitive), or null. */
    static Key<?> aliased(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (Key<?> key : ALL) {
            if (key.aliases().contains(lower)) {
                return key;
            }
        }
        return null;
    }

    private static Map<String, Key<?>> byName() {
        Map<String, Key<?>> map = new LinkedHashMap<>();
        for (Key<?> key : ALL) {
            if (map.put(key.name(), key) != null) {
                throw new IllegalStateException("two keys named " + key.name());
            }
        }
        return map;
    }

    // ---------------------------------------------------------------- declaring keys

    private static <T> Key<T> key(String name, Key.Section section, Key.Scope scope, Type<T> type, Default<T> fallback, String doc, String... aliases) {
        Key<T> key = new Key<>(name, section, scope, type, fallback, false, doc, List.of(aliases));
        ALL.add(key);
        return key;
    }

    /** A key of the train: block. */
    private static <T> Key<T> trainKey(String name, Type<T> type, Default<T> fallback, String doc, String... aliases) {
        Key<T> key = new Key<>(name, TRAINING, TRAIN, type, fallback, false, doc, List.of(aliases));
        ALL.add(key);
        return key;
    }

    /** A key only the architectures that list it among their own keys read. */
    private static <T> Key<T> specific(String name, Key.Section section, Type<T> type, Default<T> fallback, String doc, String... aliases) {
        Key<T> key = new Key<>(name, section, MODEL, type, fallback, true, doc, List.of(aliases));
        ALL.add(key);
        return key;
    }

    private static <T> Default<T> fixed(T value) {
        return new Default.Fixed<>(value);
    }

    /** The default "4 × hidden_size" of intermediate_size (Edifice RNoPESWA, Hugging Face's usual ratio). */
    public static final Default<Integer> FOUR_TIMES_HIDDEN = new Default.Derived<>("4 × hidden");

    // ---------------------------------------------------------------- types

    private static Type<Integer> integer(int min, int max) {
        return new Type<>("int", bound(min) + ".." + bound(max), v -> v.integer(min, max));
    }

    private static String bound(long value) {
        return value >= 1 << 24 && Long.bitCount(value) == 1 ? "2^" + Long.numberOfTrailingZeros(value) : Long.toString(value);
    }

    private static Type<Boolean> bool() {
        return new Type<>("bool", "true, false", Value::bool);
    }

    private static Type<Double> number(double min, boolean minExclusive, double max, boolean maxInclusive, String range) {
        return new Type<>("float", range, v -> v.number(min, minExclusive, max, maxInclusive));
    }

    private static <E extends Enum<E> & YamlName> Type<E> choice(Class<E> type) {
        return new Type<>("enum", String.join(", ", Arrays.stream(type.getEnumConstants()).map(YamlName::yamlName).toList()), v -> v.choice(type));
    }

    /** Read lazily: the architectures declare their defaults with these keys, so the keys come first. */
    private static Type<Architecture> architectureType() {
        Reader<Architecture> reader = v -> v.choice(Architectures.all(), Architecture::yamlName);
        return new Type<>("enum", () -> String.join(", ", Architectures.all().stream().map(Architecture::yamlName).toList()), reader,
                Architecture::yamlName);
    }

    private static String showList(List<?> values) {
        return values.stream().map(Type::plain).toList().toString();
    }

    private static final Pattern LAYER_CYCLE = Pattern.compile("[SFsf]+");
    private static final Pattern DEVICE_SPELLING = Pattern.compile("jvm|tornado:\\d{1,4}:\\d{1,4}");

    private static String path(Value value) throws ConfigException {
        String relative = value.text().strip();
        if (relative.isEmpty()) {
            throw value.error("expected the path of a config file, got " + Value.describeNode(value.node));
        }
        return relative;
    }

    private static List<LayerType> layerTypes(Value value) throws ConfigException {
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
        return List.copyOf(types);
    }

    private static LayerPattern pattern(Value value) throws ConfigException {
        String expected = "expected an integer N (every Nth layer is full_attention) or a cycle of S and F such as SSSF, got ";
        if (value.node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.INT)) {
            return LayerPattern.every(value.integer(1, MAX_LAYERS));
        }
        if (value.node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.STR)) {
            String cycle = scalar.getValue().strip();
            if (!LAYER_CYCLE.matcher(cycle).matches()) {
                throw value.error(expected + Value.describeNode(value.node));
            }
            if (cycle.length() > MAX_LAYERS) {
                throw value.error("the cycle has " + cycle.length() + " letters; at most " + MAX_LAYERS + " are allowed");
            }
            return new LayerPattern(cycle.toUpperCase(Locale.ROOT));
        }
        throw value.error(expected + Value.describeNode(value.node));
    }

    private static List<Integer> globalTokens(Value value) throws ConfigException {
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

    /** W, or a list of W per attention head (its length is checked against num_attention_heads when the layers resolve). */
    private static Window.Sliding slidingWindow(Value value) throws ConfigException {
        if (!value.isList()) {
            return new Window.Sliding(value.integer(1, MAX_WINDOW));
        }
        List<Value> items = value.list();
        if (items.isEmpty() || items.size() > MAX_HEADS) {
            throw value.error("has " + items.size() + " windows; give one W per attention head (1.." + MAX_HEADS + "), or a single W for all");
        }
        List<Integer> sizes = new ArrayList<>();
        for (Value item : items) {
            sizes.add(item.integer(1, MAX_WINDOW));
        }
        return new Window.Sliding(sizes);
    }

    private static List<Integer> mlpSizes(Value value) throws ConfigException {
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
        return List.copyOf(sizes);
    }

    private static List<Double> betas(Value value) throws ConfigException {
        List<Value> items = value.list();
        if (items.size() != 2) {
            throw value.error("expected two values [beta1, beta2], got " + items.size());
        }
        List<Double> betas = new ArrayList<>();
        for (Value item : items) {
            betas.add(item.number(0, false, 1, false));
        }
        return List.copyOf(betas);
    }

    private static List<Integer> evalLengths(Value value) throws ConfigException {
        List<Value> items = value.list();
        if (items.isEmpty() || items.size() > 64) {
            throw value.error("expected 1 to 64 sequence lengths, got " + items.size());
        }
        List<Integer> lengths = new ArrayList<>();
        for (Value item : items) {
            lengths.add(item.integer(1, MAX_POSITION));
        }
        return List.copyOf(lengths);
    }

    private static Device device(Value value) throws ConfigException {
        String text = value.text().strip();
        if (!DEVICE_SPELLING.matcher(text).matches()) {
            throw value.error("expected jvm or tornado:<backend>:<device> (such as tornado:0:0), got " + Value.describeNode(value.node));
        }
        return Device.parse(text).orElseThrow();
    }
}
