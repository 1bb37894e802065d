package org.attentionlab.kernels.testing;

import java.util.SplittableRandom;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** Reproducible random test data. */
public final class RandomArrays {

    private RandomArrays() {
    }

    /** Normal(0, scale^2) values, rounded to float. */
    public static float[] gaussian(SplittableRandom random, int size, double scale) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (nextGaussian(random) * scale);
        }
        return values;
    }

    /** Uniform values in [low, high), rounded to float. */
    public static float[] uniform(SplittableRandom random, int size, double low, double high) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextDouble(low, high);
        }
        return values;
    }

    public static double nextGaussian(SplittableRandom random) {
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log1p(-u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    public static FloatArray array(float[] values) {
        return FloatArray.fromArray(values);
    }
}
