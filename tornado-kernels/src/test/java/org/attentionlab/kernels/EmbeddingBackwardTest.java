package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.attentionlab.kernels.testing.Closeness.toDoubles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.EmbeddingReference;
import org.attentionlab.kernels.reference.FiniteDifferences;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The embeddings' backward (scatter-add into the table's gradient) against a float64 reference checked by finite
 * differences. Ids are drawn from {@code [-2, vocab + 2)}, so some are out of range, and from a small vocabulary, so
 * many tokens share a row. Tolerance: a sum of at most {@code tokens} terms in fp32,
 * {@code tokens * 2^-24 * sum |terms|}.
 */
class EmbeddingBackwardTest {

    private static int[] ids(SplittableRandom random, int tokens, int vocab) {
        int[] ids = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            ids[t] = random.nextInt(-2, vocab + 2);
        }
        return ids;
    }

    /** The fp32 summation bound for the table gradient. */
    private static double[] bound(int[] ids, float[] dOut, float[] initial, int dim, int vocab) {
        double[] absoluteSums = EmbeddingReference.lookupBackward(ids, absolute(dOut), dim, vocab);
        double[] bound = new double[vocab * dim];
        for (int i = 0; i < bound.length; i++) {
            bound[i] = (ids.length + 1) * Math.pow(2, -24) * (absoluteSums[i] + Math.abs(initial[i])) + 1e-30;
        }
        return bound;
    }

    private static double[] absolute(float[] values) {
        double[] magnitudes = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            magnitudes[i] = Math.abs(values[i]);
        }
        return magnitudes;
    }

    @Property(tries = 50)
    void referenceMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 12) int tokens, @ForAll @IntRange(min = 1, max = 5) int dim,
            @ForAll @IntRange(min = 1, max = 6) int vocab, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] ids = ids(random, tokens, vocab);
        double[] table = toDoubles(RandomArrays.gaussian(random, vocab * dim, 1.0));
        double[] dOut = toDoubles(RandomArrays.gaussian(random, tokens * dim, 1.0));
        double[] numeric = FiniteDifferences.gradient(t -> EmbeddingReference.lookup(ids, t, dim, vocab), table, dOut);
        double[] analytic = EmbeddingReference.lookupBackward(ids, dOut, dim, vocab);
        for (int i = 0; i < numeric.length; i++) {
            assertEquals(numeric[i], analytic[i], 1e-8, "element " + i);
        }
    }

    @Property(tries = 200)
    void embeddingBackwardMatchesReference(@ForAll @IntRange(min = 1, max = 200) int tokens, @ForAll @IntRange(min = 1, max = 40) int dim,
            @ForAll @IntRange(min = 1, max = 30) int vocab, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] ids = ids(random, tokens, vocab);
        float[] dOut = RandomArrays.gaussian(random, tokens * dim, 1.0);
        float[] initial = RandomArrays.gaussian(random, vocab * dim, 1.0);
        FloatArray dTable = FloatArray.fromArray(initial);
        LinearKernels.embeddingBackward(IntArray.fromArray(ids), FloatArray.fromArray(dOut), dTable, tokens, dim, vocab);
        double[] expected = EmbeddingReference.lookupBackward(ids, toDoubles(dOut), dim, vocab);
        for (int i = 0; i < expected.length; i++) {
            expected[i] += initial[i];
        }
        assertWithin("embeddingBackward (accumulated)", expected, dTable.toHeapArray(), bound(ids, dOut, initial, dim, vocab));
    }

    /** The q, k and v chunks of a row of width 3w get the gradients of q, k and v: the lookup backward of [dq | dk | dv]. */
    @Property(tries = 200)
    void embeddedQkvBackwardMatchesReference(@ForAll @IntRange(min = 1, max = 100) int tokens, @ForAll @IntRange(min = 1, max = 16) int width,
            @ForAll @IntRange(min = 1, max = 20) int vocab, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] ids = ids(random, tokens, vocab);
        float[] dq = RandomArrays.gaussian(random, tokens * width, 1.0);
        float[] dk = RandomArrays.gaussian(random, tokens * width, 1.0);
        float[] dv = RandomArrays.gaussian(random, tokens * width, 1.0);
        float[] concatenated = new float[tokens * 3 * width];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(dq, t * width, concatenated, t * 3 * width, width);
            System.arraycopy(dk, t * width, concatenated, t * 3 * width + width, width);
            System.arraycopy(dv, t * width, concatenated, t * 3 * width + 2 * width, width);
        }
        FloatArray dTable = new FloatArray(vocab * 3 * width);
        LinearKernels.embeddedQkvBackward(IntArray.fromArray(ids), FloatArray.fromArray(dq), FloatArray.fromArray(dk), FloatArray.fromArray(dv), dTable, tokens, width,
                vocab);
        double[] expected = EmbeddingReference.lookupBackward(ids, toDoubles(concatenated), 3 * width, vocab);
        assertWithin("embeddedQkvBackward", expected, dTable.toHeapArray(), bound(ids, concatenated, new float[expected.length], 3 * width, vocab));
    }

    /** Repeated ids add up in token order; ids -1, vocab and huge ones leave the table's gradient alone. */
    @Test
    void repeatedAndOutOfRangeIds() {
        int[] ids = { 1, -1, 1, 3, Integer.MAX_VALUE, 1, Integer.MIN_VALUE };
        float[] dOut = { 1f, 10f, 2f, 20f, 100f, 4f, 1000f };
        FloatArray dTable = new FloatArray(3);
        dTable.set(2, 0.5f);
        LinearKernels.embeddingBackward(IntArray.fromArray(ids), FloatArray.fromArray(dOut), dTable, ids.length, 1, 3);
        assertArrayEquals(new float[] { 0f, 7f, 0.5f }, dTable.toHeapArray());
    }
}
