package org.attentionlab.model.spec;

/** The band of keys a layer's queries see besides the global tokens: all of them, or a sliding window. */
public sealed interface Window {

    /** Every key (that causality allows). */
    record Full() implements Window {
    }

    /**
     * W keys including the query: {@code i - W < j <= i} when causal, {@code |i - j| <= W / 2} when bidirectional
     * (configs/README.md, "Sliding-window convention").
     */
    record Sliding(int size) implements Window {
        public Sliding {
            if (size < 1) {
                throw new IllegalArgumentException("a sliding window needs size >= 1, got " + size);
            }
        }
    }
}
