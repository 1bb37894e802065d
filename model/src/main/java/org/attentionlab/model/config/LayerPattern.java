package org.attentionlab.model.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A cycle of layer types repeated over the stack: "S" sliding, "F" full. {@code sliding_window_pattern: 4} is the
 * cycle SSSF (Hugging Face Cohere2: layer i is full iff (i + 1) % 4 == 0).
 */
record LayerPattern(String cycle) {

    static final LayerPattern ALL_SLIDING = new LayerPattern("S");
    static final LayerPattern ALL_FULL = new LayerPattern("F");

    static LayerPattern every(int n) {
        return new LayerPattern("S".repeat(n - 1) + "F");
    }

    List<LayerType> expand(int layers) {
        List<LayerType> types = new ArrayList<>(layers);
        for (int i = 0; i < layers; i++) {
            types.add(cycle.charAt(i % cycle.length()) == 'F' ? LayerType.FULL : LayerType.SLIDING);
        }
        return types;
    }
}
