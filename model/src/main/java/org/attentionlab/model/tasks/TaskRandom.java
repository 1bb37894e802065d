package org.attentionlab.model.tasks;

import java.util.SplittableRandom;

/** The generator of one row of one batch: a function of (seed, batch index, row) alone. */
final class TaskRandom {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private TaskRandom() {
    }

    static SplittableRandom row(long seed, long index, int row) {
        return new SplittableRandom(mix(mix(seed + GOLDEN * (index + 1)) + GOLDEN * (row + 1L)));
    }

    /** Stafford's variant 13 of the MurmurHash3 finaliser (as SplittableRandom uses): every input bit moves every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
