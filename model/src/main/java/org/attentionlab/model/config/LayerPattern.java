package org.attentionlab.model.config;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.model.spec.LayerType;

/**
 * A cycle of layer types repeated over the stack: "S" sliding, "F" full. {@code sliding_window_pattern: 4} is the
 * cycle SSSF (Hugging Face Cohere2: layer i is full iff (i + 1) % 4 == 0).
 */
public record LayerPattern(String cycle) {

    public static final LayerPattern ALL_SLIDING = new LayerPattern("S");
    public static final LayerPattern ALL_FULL = new LayerPattern("F");

    public static LayerPattern every(int n) {
        return new LayerPattern("S".repeat(n - 1) + "F");
    }

    List<LayerType> expand(int layers) {
        List<LayerType> types = new ArrayList<>(layers);
        for (int i = 0; i < layers; i++) {
            types.add(cycle.charAt(i % cycle.length()) == 'F' ? LayerType.FULL : LayerType.SLIDING);
        }
        return types;
    }

    /** As the docs write it: all sliding, all full, 4 (SSSF), or the cycle. */
    String describe() {
        if (cycle.equals("S")) {
            return "all sliding";
        }
        if (cycle.equals("F")) {
            return "all full";
        }
        return equals(every(cycle.length())) ? cycle.length() + " (" + cycle + ")" : cycle;
    }
}
