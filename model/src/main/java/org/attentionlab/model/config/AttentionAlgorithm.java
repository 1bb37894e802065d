package org.attentionlab.model.config;

/** How a layer computes attention; all give the same result up to rounding. */
public enum AttentionAlgorithm implements YamlName {
    /** Materialise the masked score rows, softmax, weighted sum. */
    STANDARD("standard"),
    /** Queries in chunks of chunk_size against all visible keys (Edifice chunked_attention). */
    CHUNKED("chunked"),
    /** Keys in chunks of chunk_size with an online softmax (Rabe and Staats). */
    MEMORY_EFFICIENT("memory_efficient"),
    /** Tiled online-softmax kernel (FlashAttention-style). */
    FLASH("flash");

    private final String yamlName;

    AttentionAlgorithm(String yamlName) {
        this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
        return yamlName;
    }

    /** The value spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    public static AttentionAlgorithm fromYamlName(String yamlName) {
        for (AttentionAlgorithm value : values()) {
            if (value.yamlName.equals(yamlName)) {
                return value;
            }
        }
        return null;
    }
}
