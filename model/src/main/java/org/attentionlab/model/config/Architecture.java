package org.attentionlab.model.config;

/** The model families a config can describe (see configs/README.md). */
public enum Architecture implements YamlName {
    /** Edifice RNoPESWA: sliding-window attention blocks without positional encoding. */
    RNOPE_SWA("rnope_swa"),
    /** Edifice MultiHead sliding-window model: sinusoidal input encoding, post-norm blocks. */
    MULTIHEAD_SLIDING_WINDOW("multihead_sliding_window"),
    /** Edifice MultiHead hybrid: LSTM, then causal self-attention over its states. */
    HYBRID_LSTM_ATTENTION("hybrid_lstm_attention"),
    /** The LSTM + attention hybrid with a ReLU MLP head on top. */
    HYBRID_LSTM_ATTENTION_MLP("hybrid_lstm_attention_mlp"),
    /** Cohere "Rope to Nope and Back Again": RoPE sliding layers interleaved with full NoPE layers. */
    RNOPE_SWA_HYBRID("rnope_swa_hybrid"),
    /** The APE notebook: embedded QKV from token ids and a distance bias on the attention logits. */
    APE("ape");

    private final String yamlName;

    Architecture(String yamlName) {
        this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
        return yamlName;
    }

    /** The value spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    public static Architecture fromYamlName(String yamlName) {
        for (Architecture value : values()) {
            if (value.yamlName.equals(yamlName)) {
                return value;
            }
        }
        return null;
    }

    /** True for the families that start with an LSTM over the input sequence. */
    public boolean hasLstm() {
        return this == HYBRID_LSTM_ATTENTION || this == HYBRID_LSTM_ATTENTION_MLP;
    }

    /** True when the input is token ids (embedded by the model) rather than feature vectors. */
    public boolean takesTokenIds() {
        return this == APE;
    }
}
