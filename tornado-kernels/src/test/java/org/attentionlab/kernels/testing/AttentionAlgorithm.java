package org.attentionlab.kernels.testing;

import java.util.Arrays;
import java.util.Locale;

/** The attention kernels of {@link org.attentionlab.kernels.AttentionKernels}, for running one by name in tests. */
public enum AttentionAlgorithm {
    /** {@link org.attentionlab.kernels.AttentionKernels#standard}. */
    STANDARD("standard"),
    /** {@link org.attentionlab.kernels.AttentionKernels#chunked}. */
    CHUNKED("chunked"),
    /** {@link org.attentionlab.kernels.AttentionKernels#memoryEfficient}. */
    MEMORY_EFFICIENT("memory_efficient"),
    /** {@link org.attentionlab.kernels.AttentionKernels#flash}. */
    FLASH("flash"),
    /**
     * {@link org.attentionlab.kernels.AttentionKernels#flashTiled}, flash's register-tiled variant: not a
     * configuration's algorithm (a model runs it for {@code flash} on OpenCL CPU devices), named here for the tests.
     */
    FLASH_TILED("flash_tiled");

    private final String configName;

    /** Whether the kernel runs on flash's worker grid and has no plain Java call. */
    public boolean isFlash() {
        return this == FLASH || this == FLASH_TILED;
    }

    AttentionAlgorithm(String configName) {
        this.configName = configName;
    }

    /** The name in configurations: standard, chunked, memory_efficient, flash (flash_tiled: the tests' name). */
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
