package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.types.vectors.Float16;

/**
 * The 16-lane steps shared by the kernels that keep their sums in TornadoVM's {@link Float16} (the register tiles of
 * {@link MatrixMultiply}, {@link AttentionKernels#flashTiled}). TornadoVM compiles a Float16 to OpenCL's
 * {@code float16}, which PoCL keeps in one AVX-512 register where its own vectorizer stays at 256 bits. TornadoVM inlines
 * these into the kernels; as plain Java they are ordinary methods.
 */
final class Float16Lanes {

    private Float16Lanes() {
    }

    /** {@code value} in all 16 lanes. */
    static Float16 broadcast(float value) {
        return new Float16(value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value);
    }

    /** {@code values[at]} to {@code values[at + 15]} as one vector: LLVM merges the 16 loads into one vector load. */
    static Float16 load(float[] values, int at) {
        return new Float16(values[at], values[at + 1], values[at + 2], values[at + 3], values[at + 4], values[at + 5], values[at + 6], values[at + 7],
                values[at + 8], values[at + 9], values[at + 10], values[at + 11], values[at + 12], values[at + 13], values[at + 14], values[at + 15]);
    }

    /** {@code values[at + j] = lanes.get(j)} for the 16 lanes ({@link #load}'s inverse): LLVM merges the 16 stores into one vector store. */
    static void store(float[] values, int at, Float16 lanes) {
        for (int j = 0; j < 16; j++) {
            values[at + j] = lanes.get(j);
        }
    }

    /**
     * {@code sum + value * lanes}, lane by lane: a broadcast, a vector multiply and a vector add. TornadoVM fuses only
     * scalar multiply-adds into fma (its FMA phase is scalar only, and PoCL refuses {@code -ffp-contract=fast}); this is
     * {@code vmulps} then {@code vaddps}, which Zen 5 issues at its FMA rate (two multiply and two add pipes).
     */
    static Float16 multiplyAdd(Float16 sum, float value, Float16 lanes) {
        return Float16.add(sum, Float16.mult(broadcast(value), lanes));
    }
}
