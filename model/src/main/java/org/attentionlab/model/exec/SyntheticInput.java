package org.attentionlab.model.exec;

import java.util.SplittableRandom;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The seeded input of runs without given data (scripts/run's, a sweep's, an analysis's), and the checksum that
 * compares their outputs across devices.
 */
public final class SyntheticInput {

    private SyntheticInput() {
    }

    /** {@code count} token ids uniform in [0, vocabSize). */
    public static int[] tokenIds(int count, int vocabSize, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] ids = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = random.nextInt(vocabSize);
        }
        return ids;
    }

    /** {@code count} standard-normal floats (Box-Muller, deterministic given the seed). */
    public static float[] features(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            double u1 = 1.0 - random.nextDouble();
            double u2 = random.nextDouble();
            x[i] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return x;
    }

    /** Fills the execution's input: token ids uniform in [0, vocabSize), or standard-normal features. */
    public static void fill(ModelExecution execution, int vocabSize, long seed) {
        if (execution.tokenInput() != null) {
            IntArray ids = execution.tokenInput();
            int[] values = tokenIds(ids.getSize(), vocabSize, seed);
            for (int i = 0; i < values.length; i++) {
                ids.set(i, values[i]);
            }
            return;
        }
        FloatArray x = execution.floatInput();
        float[] values = features(x.getSize(), seed);
        for (int i = 0; i < values.length; i++) {
            x.set(i, values[i]);
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
