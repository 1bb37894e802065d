package org.attentionlab.kernels.testing;

import java.util.Arrays;
import java.util.Locale;

/** The attention algorithms of {@link org.attentionlab.kernels.AttentionKernels}, for running one by name in tests. */
public enum AttentionAlgorithm {
    /** {@link org.attentionlab.kernels.AttentionKernels#standard}. */
    STANDARD("standard"),
    /** {@link org.attentionlab.kernels.AttentionKernels#chunked}. */
    CHUNKED("chunked"),
    /** {@link org.attentionlab.kernels.AttentionKernels#memoryEfficient}. */
    MEMORY_EFFICIENT("memory_efficient"),
    /** {@link org.attentionlab.kernels.AttentionKernels#flash}. */
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
