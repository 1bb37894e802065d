package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.ActivationReference;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** Dropout: the documented counter-based mask, re-derived independently, and its statistics. */
class DropoutTest {

    private static float[] dropout(float[] input, float p, int seed) {
        FloatArray out = new FloatArray(input.length);
        Activations.dropout(FloatArray.fromArray(input), out, input.length, p, seed);
        return out.toHeapArray();
    }

    private static float[] ones(int n) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        return x;
    }

    /** Every element is kept iff the specified hash's uniform is >= p, and then scaled by 1 / (1 - p). */
    @Property(tries = 300)
    void followsTheSpecifiedHash(@ForAll @IntRange(min = 1, max = 2000) int size, @ForAll @FloatRange(min = 0, max = 0.95f) float p, @ForAll int seed) {
        float[] input = RandomArrays.gaussian(new SplittableRandom(seed), size, 2.0);
        float[] out = dropout(input, p, seed);
        for (int i = 0; i < size; i++) {
            boolean keep = ActivationReference.dropoutUniform(seed, i) >= p;
            double expected = keep ? input[i] / (1.0 - p) : 0.0;
            assertEquals(expected, out[i], 2.5e-7 * Math.abs(expected), "element " + i);
            assertEquals(ActivationReference.dropoutUniform(seed, i), Activations.dropoutUniform(seed, i), 0.0, "uniform " + i);
        }
    }

    @Test
    void zeroProbabilityIsTheIdentity() {
        float[] input = RandomArrays.gaussian(new SplittableRandom(1), 10000, 3.0);
        assertArrayEquals(input, dropout(input, 0f, 42));
    }

    /** The comparison is {@code uniform >= p}: an element whose uniform equals p exactly is kept. */
    @Test
    void anElementWhoseUniformEqualsPIsKept() {
        int seed = 31;
        float[] input = { 3f, 3f, 3f, 3f };
        for (int i = 0; i < input.length; i++) {
            float p = Activations.dropoutUniform(seed, i);
            float[] out = dropout(input, p, seed);
            assertEquals(3.0 / (1.0 - p), out[i], 1e-5, "element " + i + " with p = its uniform " + p);
        }
    }

    @Test
    void probabilityOneDropsEverything() {
        float[] out = dropout(RandomArrays.gaussian(new SplittableRandom(2), 1000, 3.0), 1f, 42);
        for (float v : out) {
            assertEquals(0f, v);
        }
    }

    @Test
    void sameSeedSameMaskOtherSeedOtherMask() {
        float[] input = ones(4096);
        float[] first = dropout(input, 0.3f, 1234);
        float[] second = dropout(input, 0.3f, 1234);
        assertArrayEquals(first, second, "same seed, same mask");
        float[] other = dropout(input, 0.3f, 1235);
        int disagreements = 0;
        for (int i = 0; i < input.length; i++) {
            if ((first[i] == 0) != (other[i] == 0)) {
                disagreements++;
            }
        }
        // independent masks with keep rate 0.7 disagree on 2 * 0.7 * 0.3 = 42% of the elements
        assertTrue(disagreements > 0.38 * input.length && disagreements < 0.46 * input.length, disagreements + " of " + input.length + " differ");
    }

    @Test
    void keepRateIsOneMinusPOver100kElements() {
        int n = 100_000;
        float[] input = ones(n);
        for (float p : new float[] { 0.1f, 0.3f, 0.5f, 0.9f }) {
            for (int seed : new int[] { 0, 7, -123456789 }) {
                float[] out = dropout(input, p, seed);
                int kept = 0;
                double sum = 0;
                for (float v : out) {
                    if (v != 0) {
                        kept++;
                        assertEquals(1.0 / (1.0 - p), v, 1e-6 / (1 - p));
                    }
                    sum += v;
                }
                double rate = kept / (double) n;
                double sigma = Math.sqrt(p * (1 - p) / n);
                assertEquals(1 - p, rate, 5 * sigma, "keep rate, p = " + p + ", seed " + seed);
                assertEquals(1.0, sum / n, 5 * sigma / (1 - p), "dropout keeps the mean, p = " + p);
            }
        }
    }

    /** The uniforms fill [0, 1) evenly: a chi-square test over 16 bins (critical value 37.7 at 0.1% for 15 dof). */
    @Test
    void uniformsAreEvenlySpread() {
        int n = 160_000;
        int[] bins = new int[16];
        for (int i = 0; i < n; i++) {
            float u = Activations.dropoutUniform(99, i);
            assertTrue(u >= 0f && u < 1f);
            bins[(int) (u * 16)]++;
        }
        double expected = n / 16.0;
        double chiSquare = 0;
        for (int count : bins) {
            chiSquare += (count - expected) * (count - expected) / expected;
        }
        assertTrue(chiSquare < 37.7, "chi-square " + chiSquare);
    }

    @Test
    void inPlace() {
        float[] input = RandomArrays.gaussian(new SplittableRandom(4), 300, 1.0);
        FloatArray x = FloatArray.fromArray(input);
        Activations.dropout(x, x, 300, 0.25f, 5);
        assertArrayEquals(dropout(input, 0.25f, 5), x.toHeapArray());
    }
}
