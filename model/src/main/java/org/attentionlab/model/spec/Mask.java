package org.attentionlab.model.spec;

import java.util.List;
import java.util.Objects;

/**
 * Which keys each query sees, as a value (FlexAttention's {@code mask_mod} on the host side): causal or
 * bidirectional, the window, and Longformer-style global tokens (ascending, distinct positions that see and are seen
 * by every position, causality still applying).
 */
public record Mask(boolean causal, Window window, List<Integer> globalTokens) {

    public Mask {
        Objects.requireNonNull(window, "window");
        globalTokens = List.copyOf(globalTokens);
        for (int i = 0; i < globalTokens.size(); i++) {
            if (globalTokens.get(i) < 0 || (i > 0 && globalTokens.get(i) <= globalTokens.get(i - 1))) {
                throw new IllegalArgumentException("global tokens must be ascending, distinct and >= 0, got " + globalTokens);
            }
        }
    }

    /** Sliding or full attention (Hugging Face {@code layer_types}). */
    public LayerType layerType() {
        return window instanceof Window.Sliding ? LayerType.SLIDING : LayerType.FULL;
    }
}
