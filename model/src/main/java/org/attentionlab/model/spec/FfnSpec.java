package org.attentionlab.model.spec;

import java.util.Objects;

/**
 * A feed-forward block of {@code size} hidden features. {@code mlp}: {@code up_proj} (width to size), the
 * activation, {@code down_proj} (back to width); gated types add {@code gate_proj}:
 * {@code down_proj(act(gate_proj(x)) * up_proj(x))}. {@code bias}: whether the projections have biases
 * (Hugging Face's {@code mlp_bias}).
 */
public record FfnSpec(int size, FfnType type, HiddenAct act, boolean bias) {

    public FfnSpec {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(act, "act");
        if (size < 1) {
            throw new IllegalArgumentException("a feed-forward block needs size >= 1, got " + size + " (no block at all is an empty Optional)");
        }
        if (!type.admits(act)) {
            throw new IllegalArgumentException("ffn type " + type.yamlName() + " cannot use activation " + act.yamlName());
        }
    }

    /** A plain MLP with biases, as before gated blocks existed. */
    public FfnSpec(int size, HiddenAct act) {
        this(size, FfnType.MLP, act, true);
    }

    public boolean gated() {
        return type.gated();
    }
}
