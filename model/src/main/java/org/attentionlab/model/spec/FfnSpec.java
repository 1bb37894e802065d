package org.attentionlab.model.spec;

import java.util.Objects;

/** A feed-forward block: {@code up_proj} (width to {@code size}), the activation, {@code down_proj} (back to width). */
public record FfnSpec(int size, HiddenAct act) {

    public FfnSpec {
        Objects.requireNonNull(act, "act");
        if (size < 1) {
            throw new IllegalArgumentException("a feed-forward block needs size >= 1, got " + size + " (no block at all is an empty Optional)");
        }
    }
}
