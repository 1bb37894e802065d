package org.attentionlab.kernels;

import java.util.Arrays;
import java.util.Locale;

/** The attention algorithms of {@link AttentionKernels}, by the names configurations use. Host-side only. */
public enum AttentionAlgorithm {
    /** {@link AttentionKernels#standard}. */
    STANDARD("standard"),
    /** {@link AttentionKernels#chunked}. */
    CHUNKED("chunked"),
    /** {@link AttentionKernels#memoryEfficient}. */
    MEMORY_EFFICIENT("memory_efficient"),
    /** {@link AttentionKernels#flash}. */
    FLASH("flash");

    private final String configName;

    AttentionAlgorithm(String configName) {
        this.configName = configName;
    }

    /** The name in configurations: standard, chunked, memory_efficient, flash. */
    public String configName() {
        return configName;
    }

    /** The algorithm with this configuration name (case-insensitive). */
    public static AttentionAlgorithm fromConfigName(String name) {
        for (AttentionAlgorithm a : values()) {
            if (a.configName.equals(name.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown attention algorithm '" + name + "', expected one of "
                + Arrays.stream(values()).map(AttentionAlgorithm::configName).toList());
    }
}
