package org.attentionlab.model.config;

/** Where the block normalises. */
public enum NormPosition implements YamlName {
    /** x + attn(norm(x)), then x + ffn(norm(x)). */
    PRE("pre"),
    /** norm(x + attn(x)), then norm(x + ffn(x)) (Edifice MultiHead). */
    POST("post"),
    /** x + attn(norm(x)) + ffn(norm(x)) from one norm (Cohere2). */
    PARALLEL("parallel");

    private final String yamlName;

    NormPosition(String yamlName) {
        this.yamlName = yamlName;
    }

    @Override
    public String yamlName() {
        return yamlName;
    }

    /** The value spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    public static NormPosition fromYamlName(String yamlName) {
        for (NormPosition value : values()) {
            if (value.yamlName.equals(yamlName)) {
                return value;
            }
        }
        return null;
    }
}
