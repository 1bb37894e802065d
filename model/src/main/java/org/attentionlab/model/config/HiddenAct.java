package org.attentionlab.model.config;

/** The feed-forward activation (Hugging Face {@code hidden_act} names). */
public enum HiddenAct implements YamlName {
    /** Exact GELU, x * Phi(x) with erf. */
    GELU("gelu"),
    /** The tanh approximation of GELU. */
    GELU_PYTORCH_TANH("gelu_pytorch_tanh"),
    /** x * sigmoid(x). */
    SILU("silu"),
    /** max(x, 0). */
    RELU("relu");

    private final String yamlName;

    HiddenAct(String yamlName) {
        this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
        return yamlName;
    }

    /** The value spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    public static HiddenAct fromYamlName(String yamlName) {
        for (HiddenAct value : values()) {
            if (value.yamlName.equals(yamlName)) {
                return value;
            }
        }
        return null;
    }
}
