package org.attentionlab.model.spec;

/** Where position information enters: on the input (sinusoidal) or inside attention (the rest). */
public enum PositionEmbedding implements YamlName {
    /** No positional information (NoPE). */
    NONE,
    /** Rotary embedding applied to queries and keys. */
    ROPE,
    /** Sinusoidal encoding added to the input once, before the first layer; never per layer. */
    SINUSOIDAL,
    /** Linear distance bias per head added to the logits. */
    ALIBI,
    /** The notebook's bias (1 - |i - j| / L) * ape_scale added to the logits. */
    APE;

    /** True for encodings applied inside attention, which may differ per layer; false for none and sinusoidal. */
    public boolean isAttentionLevel() {
        return this == ROPE || this == ALIBI || this == APE;
    }
}
