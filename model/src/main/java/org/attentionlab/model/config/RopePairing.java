package org.attentionlab.model.config;

/** Which dimensions RoPE rotates together. */
public enum RopePairing implements YamlName {
    /** Half-split pairs (d, d + head_dim/2): GPT-NeoX, Llama, Edifice. */
    NEOX("neox"),
    /** Interleaved pairs (2d, 2d + 1): GPT-J, Cohere2. */
    GPTJ("gptj");

    private final String yamlName;

    RopePairing(String yamlName) {
        this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
        return yamlName;
    }

    /** The value spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    public static RopePairing fromYamlName(String yamlName) {
        for (RopePairing value : values()) {
            if (value.yamlName.equals(yamlName)) {
                return value;
            }
        }
        return null;
    }
}
