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
    FLASH_TILED("flash_tiled"),
    /**
     * {@link org.attentionlab.kernels.AttentionKernels#flashTiled} with {@code lanes} 8, its register tiles for
     * 8-lane (AVX2) devices; a test name as {@link #FLASH_TILED} (which runs its 16-lane tiles).
     */
    FLASH_TILED_8_LANES("flash_tiled_8_lanes");

    private final String configName;

    /** Whether the kernel runs on flash's worker grid and has no plain Java call. */
    public boolean isFlash() {
        return this == FLASH || this == FLASH_TILED || this == FLASH_TILED_8_LANES;
    }

    /** The kernel {@link org.attentionlab.kernels.AttentionLaunch} adds for this algorithm. */
    public org.attentionlab.kernels.AttentionLaunch.Algorithm launchAlgorithm() {
        return this == FLASH_TILED_8_LANES ? org.attentionlab.kernels.AttentionLaunch.Algorithm.FLASH_TILED
                : org.attentionlab.kernels.AttentionLaunch.Algorithm.valueOf(name());
    }

    /** The vector width the kernel's register tiles are sized for ({@link org.attentionlab.kernels.AttentionLaunch}'s {@code vectorLanes}). */
    public int vectorLanes() {
        return this == FLASH_TILED_8_LANES ? 8 : 16;
    }

    AttentionAlgorithm(String configName) {
        this.configName = configName;
    }

    /** The name in configurations: standard, chunked, memory_efficient, flash (flash_tiled, flash_tiled_8_lanes: the tests' names). */
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
