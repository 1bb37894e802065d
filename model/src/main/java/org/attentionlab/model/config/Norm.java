package org.attentionlab.model.config;

/** The normalisation used in each block. */
public enum Norm implements YamlName {
    /** LayerNorm with weight and bias. */
    LAYERNORM("layernorm"),
    /** RMSNorm with weight only. */
    RMSNORM("rmsnorm"),
    /** No normalisation (the APE notebook). */
    NONE("none");

    private final String yamlName;

    Norm(String yamlName) {
        this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
        return yamlName;
    }

    /** The value spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    public static Norm fromYamlName(String yamlName) {
        for (Norm value : values()) {
            if (value.yamlName.equals(yamlName)) {
                return value;
            }
        }
        return null;
    }
}
