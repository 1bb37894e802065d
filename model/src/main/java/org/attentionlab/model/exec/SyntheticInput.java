package org.attentionlab.model.exec;

import java.util.SplittableRandom;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** The seeded input of runs without given data, and the checksum that compares their outputs across devices. */
public final class SyntheticInput {

    private SyntheticInput() {
    }

    /** Seeded standard-normal features, or token ids uniform in [0, vocabSize). */
    public static void fill(ModelExecution execution, int vocabSize, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        if (execution.tokenInput() != null) {
            IntArray ids = execution.tokenInput();
            for (int i = 0; i < ids.getSize(); i++) {
                ids.set(i, random.nextInt(vocabSize));
            }
            return;
        }
        FloatArray x = execution.floatInput();
        for (int i = 0; i < x.getSize(); i++) {
            double u1 = 1.0 - random.nextDouble();
            double u2 = random.nextDouble();
            x.set(i, (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)));
        }
    }

    /**
     * Σ x_i · (1 + (i mod 7) / 7): a plain sum of normalised outputs is about 0 whatever they are; these weights
     * make the checksum see every position and feature.
     */
    public static double checksum(FloatArray x) {
        double sum = 0;
        for (int i = 0; i < x.getSize(); i++) {
            sum += x.get(i) * (1.0 + (i % 7) / 7.0);
        }
        return sum;
    }
}
