package org.attentionlab.model.config;

/** How ALiBi slopes are chosen for a number of heads. */
public enum AlibiSlopes implements YamlName {
    /** The ALiBi paper's rule, also used by FlashAttention and Hugging Face (special rule for non powers of two). */
    REFERENCE("reference"),
    /** 2^(-8h/n) for every head count n. */
    EDIFICE("edifice");

    private final String yamlName;

    AlibiSlopes(String yamlName) {
        this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
        return yamlName;
    }

    /** The value spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    public static AlibiSlopes fromYamlName(String yamlName) {
        for (AlibiSlopes value : values()) {
            if (value.yamlName.equals(yamlName)) {
                return value;
            }
        }
        return null;
    }
}
