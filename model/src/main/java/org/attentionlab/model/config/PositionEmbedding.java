package org.attentionlab.model.config;

/** Where position information enters: on the input (sinusoidal) or inside attention (the rest). */
public enum PositionEmbedding implements YamlName {
    /** No positional information (NoPE). */
    NONE("none"),
    /** Rotary embedding applied to queries and keys. */
    ROPE("rope"),
    /** Sinusoidal encoding added to the input once, before the first layer; never per layer. */
    SINUSOIDAL("sinusoidal"),
    /** Linear distance bias per head added to the logits. */
    ALIBI("alibi"),
    /** The notebook's bias (1 - |i - j| / L) * ape_scale added to the logits. */
    APE("ape");

    private final String yamlName;

    PositionEmbedding(String yamlName) {
        this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
        return yamlName;
    }

    /** The value spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    public static PositionEmbedding fromYamlName(String yamlName) {
        for (PositionEmbedding value : values()) {
            if (value.yamlName.equals(yamlName)) {
                return value;
            }
        }
        return null;
    }

    /** True for encodings applied inside attention, which may differ per layer; false for none and sinusoidal. */
    public boolean isAttentionLevel() {
        return this == ROPE || this == ALIBI || this == APE;
    }
}
