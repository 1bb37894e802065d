package org.attentionlab.model.config;

import java.util.List;

/** Every key a config may contain, spelled as in YAML. configs/README.md documents each one. */
final class ConfigKeys {

    static final String ARCHITECTURE = "architecture";
    static final String EXTENDS = "extends";
    static final String EMBED_DIM = "embed_dim";
    static final String VOCAB_SIZE = "vocab_size";
    static final String HIDDEN_SIZE = "hidden_size";
    static final String NUM_ATTENTION_HEADS = "num_attention_heads";
    static final String NUM_KEY_VALUE_HEADS = "num_key_value_heads";
    static final String HEAD_DIM = "head_dim";
    static final String NUM_HIDDEN_LAYERS = "num_hidden_layers";
    static final String INTERMEDIATE_SIZE = "intermediate_size";
    static final String SLIDING_WINDOW = "sliding_window";
    static final String LAYER_TYPES = "layer_types";
    static final String SLIDING_WINDOW_PATTERN = "sliding_window_pattern";
    static final String ROPE_THETA = "rope_theta";
    static final String ROPE_PAIRING = "rope_pairing";
    static final String ATTENTION_DROPOUT = "attention_dropout";
    static final String DROPOUT = "dropout";
    static final String LAYER_NORM_EPS = "layer_norm_eps";
    static final String HIDDEN_ACT = "hidden_act";
    static final String POSITION_EMBEDDING = "position_embedding";
    static final String SINUSOIDAL_VARIANT = "sinusoidal_variant";
    static final String ALIBI_SLOPES = "alibi_slopes";
    static final String APE_SCALE = "ape_scale";
    static final String ATTENTION_ALGORITHM = "attention_algorithm";
    static final String CHUNK_SIZE = "chunk_size";
    static final String QK_NORM = "qk_norm";
    static final String NORM = "norm";
    static final String NORM_POSITION = "norm_position";
    static final String GLOBAL_TOKENS = "global_tokens";
    static final String OUTPUT = "output";
    static final String CAUSAL = "causal";
    static final String SEED = "seed";
    static final String DEVICE = "device";
    static final String LSTM_HIDDEN_SIZE = "lstm_hidden_size";
    static final String LSTM_LAYERS = "lstm_layers";
    static final String MLP_SIZES = "mlp_sizes";
    static final String LAYERS = "layers";

    /** Only inside a {@code layers:} entry. */
    static final String LAYER_TYPE = "layer_type";

    static final List<String> TOP_LEVEL = List.of(
            ARCHITECTURE, EXTENDS, EMBED_DIM, VOCAB_SIZE, HIDDEN_SIZE, NUM_ATTENTION_HEADS, NUM_KEY_VALUE_HEADS,
            HEAD_DIM, NUM_HIDDEN_LAYERS, INTERMEDIATE_SIZE, SLIDING_WINDOW, LAYER_TYPES, SLIDING_WINDOW_PATTERN,
            ROPE_THETA, ROPE_PAIRING, ATTENTION_DROPOUT, DROPOUT, LAYER_NORM_EPS, HIDDEN_ACT, POSITION_EMBEDDING,
            SINUSOIDAL_VARIANT, ALIBI_SLOPES, APE_SCALE, ATTENTION_ALGORITHM, CHUNK_SIZE, QK_NORM, NORM,
            NORM_POSITION, GLOBAL_TOKENS, OUTPUT, CAUSAL, SEED, DEVICE, LSTM_HIDDEN_SIZE, LSTM_LAYERS, MLP_SIZES,
            LAYERS);

    static final List<String> PER_LAYER = List.of(
            LAYER_TYPE, SLIDING_WINDOW, POSITION_EMBEDDING, ROPE_THETA, ATTENTION_ALGORITHM, CHUNK_SIZE, QK_NORM);

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

    private ConfigKeys() {
    }
}
