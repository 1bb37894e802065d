package org.attentionlab.model.config;

/** What the model returns. */
public enum OutputMode implements YamlName {
    /** The last position: [batch, hidden]. */
    LAST("last"),
    /** Every position: [batch, seq, hidden]. */
    ALL("all"),
    /** The mean over positions: [batch, hidden]. */
    MEAN("mean");

    private final String yamlName;

    OutputMode(String yamlName) {
        this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
        return yamlName;
    }

    /** The value spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    public static OutputMode fromYamlName(String yamlName) {
        for (OutputMode value : values()) {
            if (value.yamlName.equals(yamlName)) {
                return value;
            }
        }
        return null;
    }
}
