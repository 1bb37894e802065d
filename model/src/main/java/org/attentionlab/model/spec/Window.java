package org.attentionlab.model.spec;

import java.util.Collections;
import java.util.List;

/** The band of keys a layer's queries see besides the global tokens: all of them, or a sliding window. */
public sealed interface Window {

    /** Every key (that causality allows). */
    record Full() implements Window {
    }

    /**
     * W keys including the query: {@code i - W < j <= i} when causal, {@code |i - j| <= W / 2} when bidirectional
     * (configs/README.md, "Sliding-window convention"). {@code sizes} holds one W for every head, or one W per
     * attention head (multi-scale local attention: head h slides with {@code sizes[h]}).
     */
    record Sliding(List<Integer> sizes) implements Window {
        public Sliding {
            sizes = List.copyOf(sizes);
            if (sizes.isEmpty()) {
                throw new IllegalArgumentException("a sliding window needs at least one size");
            }
            for (int size : sizes) {
                if (size < 1) {
                    throw new IllegalArgumentException("a sliding window needs size >= 1, got " + size);
                }
            }
        }

        /** One window of {@code size} keys for every head. */
        public Sliding(int size) {
            this(List.of(size));
        }

        /** Whether the heads slide with windows of their own (the config gave a list). */
        public boolean perHead() {
            return sizes.size() > 1;
        }

        /** Head {@code head}'s W. */
        public int size(int head) {
            return sizes.get(perHead() ? head : 0);
        }

        /** The widest head's W: the W of a layer with one window; what a rolling key/value cache must hold. */
        public int size() {
            return Collections.max(sizes);
        }

        /** As a config writes it: W, or the list of every head's W. */
        public Object yamlValue() {
            return perHead() ? sizes : sizes.get(0);
        }

        @Override
        public String toString() {
            return String.valueOf(yamlValue());
        }
    }
}
