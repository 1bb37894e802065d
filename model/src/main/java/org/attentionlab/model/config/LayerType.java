package org.attentionlab.model.config;

/** Whether a layer attends within a sliding window or to every visible key (Hugging Face {@code layer_types}). */
public enum LayerType implements YamlName {
    /** Query i sees key j iff i - W < j <= i (causal) or |i - j| <= W/2 (bidirectional). */
    SLIDING("sliding_attention"),
    /** Every key allowed by causality (or every key when bidirectional). */
    FULL("full_attention");

    private final String yamlName;

    LayerType(String yamlName) {
        this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
        return yamlName;
    }

    /** The value spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    public static LayerType fromYamlName(String yamlName) {
        for (LayerType value : values()) {
            if (value.yamlName.equals(yamlName)) {
                return value;
            }
        }
        return null;
    }
}
