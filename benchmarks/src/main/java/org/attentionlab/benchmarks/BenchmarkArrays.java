package org.attentionlab.benchmarks;

import java.util.SplittableRandom;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** Inputs of the benchmarks: uniform values in [-1, 1) from a seeded generator, so every run sees the same data. */
final class BenchmarkArrays {

    private BenchmarkArrays() {
    }

    static FloatArray uniform(int size, SplittableRandom random) {
        FloatArray a = new FloatArray(size);
        for (int i = 0; i < size; i++) {
            a.set(i, (float) (random.nextDouble() * 2 - 1));
        }
        return a;
    }
}
