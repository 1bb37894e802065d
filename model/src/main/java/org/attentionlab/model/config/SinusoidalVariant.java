package org.attentionlab.model.config;

/** Which sinusoidal input encoding to add. */
public enum SinusoidalVariant implements YamlName {
    /** Vaswani et al.: sin/cos pairs with frequencies 10000^(-2k/d). */
    STANDARD("standard"),
    /** Edifice's simplified encoding, frequency 1/(1 + 0.01 k). */
    EDIFICE("edifice");

    private final String yamlName;

    SinusoidalVariant(String yamlName) {
        this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
        return yamlName;
    }

    /** The value spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    public static SinusoidalVariant fromYamlName(String yamlName) {
        for (SinusoidalVariant value : values()) {
            if (value.yamlName.equals(yamlName)) {
                return value;
            }
        }
        return null;
    }
}
