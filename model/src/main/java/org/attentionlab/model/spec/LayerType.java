package org.attentionlab.model.spec;

/** Whether a layer attends within a sliding window or to every visible key (Hugging Face {@code layer_types}). */
public enum LayerType implements YamlName {
    /** Query i sees key j iff i - W < j <= i (causal) or |i - j| <= W/2 (bidirectional). */
    SLIDING,
    /** Every key allowed by causality (or every key when bidirectional). */
    FULL;

    @Override
    public String yamlName() {
        return YamlName.super.yamlName() + "_attention";
    }
}
