package org.attentionlab.model.spec;

import java.util.Objects;

/**
 * What a layer adds to its attention logits, as a value (FlexAttention's {@code score_mod} on the host side); the
 * kernels' int codes for it are chosen in one place, {@code layers.KernelCodes}.
 */
public sealed interface PositionBias {

    /** Nothing is added. */
    record None() implements PositionBias {
    }

    /** ALiBi: {@code -slope[h] * |i - j|}, with the slopes of {@code rule} for the layer's head count. */
    record Alibi(AlibiSlopes rule) implements PositionBias {
        public Alibi {
            Objects.requireNonNull(rule, "rule");
        }
    }

    /** The APE notebook's {@code (1 - |i - j| / L) * scale}. */
    record Ape(double scale) implements PositionBias {
        public Ape {
            if (!Double.isFinite(scale)) {
                throw new IllegalArgumentException("scale must be finite, got " + scale);
            }
        }
    }
}
