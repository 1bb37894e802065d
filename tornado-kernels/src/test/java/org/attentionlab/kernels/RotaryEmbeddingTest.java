package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.attentionlab.kernels.testing.Closeness.toDoubles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.FiniteDifferences;
import org.attentionlab.kernels.reference.RotaryReference;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * RoPE against a float64 complex-multiplication reference. Tolerance per element: {@code |pair| * (1e-6 +
 * 2.5e-7 * position)}; the fp32 angle {@code position * inv_freq} (as in PyTorch) carries a rounding error that
 * grows with the position, about {@code position * 2e-7} radians at worst.
 */
class RotaryEmbeddingTest {

    static double[] bound(float[] x, int batch, int seq, int heads, int headDim, int offset, boolean interleaved, double perPosition) {
        double[] bound = new double[x.length];
        for (int v = 0; v < batch * seq * heads; v++) {
            int position = (v / heads) % seq + offset;
            int base = v * headDim;
            for (int p = 0; p < headDim / 2; p++) {
                int[] idx = RotaryReference.pairIndices(p, headDim, interleaved);
                double norm = Math.hypot(x[base + idx[0]], x[base + idx[1]]);
                bound[base + idx[0]] = bound[base + idx[1]] = 1e-7 + norm * (1e-6 + perPosition * position);
            }
        }
        return bound;
    }

    @Provide
    Arbitrary<Integer> evenHeadDims() {
        return Arbitraries.integers().between(1, 16).map(half -> 2 * half);
    }

    @Provide
    Arbitrary<Float> thetas() {
        return Arbitraries.of(10000.0f, 500000.0f, 1000000.0f, 100.0f, 2.5f);
    }

    @Property(tries = 300)
    void matchesFloat64Reference(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 12) int seq,
            @ForAll @IntRange(min = 1, max = 4) int heads, @ForAll("evenHeadDims") int headDim, @ForAll @IntRange(min = 0, max = 150) int offset,
            @ForAll("thetas") float theta, @ForAll boolean interleaved, @ForAll long seed) {
        float[] input = RandomArrays.gaussian(new SplittableRandom(seed), batch * seq * heads * headDim, 1.5);
        FloatArray x = FloatArray.fromArray(input);
        RotaryEmbedding.apply(x, batch, seq, heads, headDim, offset, theta, interleaved ? RotaryEmbedding.GPTJ : RotaryEmbedding.NEOX);
        double[] expected = RotaryReference.rotate(input, batch, seq, heads, headDim, offset, theta, interleaved);
        assertWithin("rope", expected, x.toHeapArray(), bound(input, batch, seq, heads, headDim, offset, interleaved, 2.5e-7));
    }

    @Property(tries = 60)
    void referenceBackwardMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 3) int seq, @ForAll @IntRange(min = 1, max = 2) int heads,
            @ForAll("evenHeadDims") int headDim, @ForAll @IntRange(min = 0, max = 50) int offset, @ForAll boolean interleaved, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] x = toDoubles(RandomArrays.gaussian(random, seq * heads * headDim, 1.5));
        double[] dOut = toDoubles(RandomArrays.gaussian(random, x.length, 1.0));
        double[] numeric = FiniteDifferences.gradient(v -> RotaryReference.rotate(v, 1, seq, heads, headDim, offset, 10000.0, interleaved), x, dOut);
        double[] analytic = RotaryReference.rotateBackward(dOut, 1, seq, heads, headDim, offset, 10000.0, interleaved);
        for (int i = 0; i < x.length; i++) {
            assertEquals(numeric[i], analytic[i], 1e-8, "element " + i);
        }
    }

    /** The backward (rotation by minus the angle, in place) against the float64 transposed Jacobian; same bound as the forward. */
    @Property(tries = 300)
    void backwardMatchesFloat64Reference(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 12) int seq,
            @ForAll @IntRange(min = 1, max = 4) int heads, @ForAll("evenHeadDims") int headDim, @ForAll @IntRange(min = 0, max = 150) int offset,
            @ForAll("thetas") float theta, @ForAll boolean interleaved, @ForAll long seed) {
        float[] gradient = RandomArrays.gaussian(new SplittableRandom(seed), batch * seq * heads * headDim, 1.5);
        FloatArray dx = FloatArray.fromArray(gradient);
        RotaryEmbedding.applyBackward(dx, batch, seq, heads, headDim, offset, theta, interleaved ? RotaryEmbedding.GPTJ : RotaryEmbedding.NEOX);
        double[] expected = RotaryReference.rotateBackward(toDoubles(gradient), batch, seq, heads, headDim, offset, theta, interleaved);
        assertWithin("rope backward", expected, dx.toHeapArray(), bound(gradient, batch, seq, heads, headDim, offset, interleaved, 2.5e-7));
    }

    /** The backward undoes the forward (rotations are orthogonal), at large positions too. */
    @Property(tries = 100)
    void backwardUndoesTheForward(@ForAll("evenHeadDims") int headDim, @ForAll @IntRange(min = 1, max = 9) int seq,
            @ForAll @IntRange(min = 0, max = 100000) int offset, @ForAll boolean interleaved, @ForAll long seed) {
        float[] input = RandomArrays.gaussian(new SplittableRandom(seed), seq * headDim, 3.0);
        FloatArray x = FloatArray.fromArray(input);
        int pairing = interleaved ? RotaryEmbedding.GPTJ : RotaryEmbedding.NEOX;
        RotaryEmbedding.apply(x, 1, seq, 1, headDim, offset, RotaryEmbedding.DEFAULT_THETA, pairing);
        RotaryEmbedding.applyBackward(x, 1, seq, 1, headDim, offset, RotaryEmbedding.DEFAULT_THETA, pairing);
        double[] bound = bound(input, 1, seq, 1, headDim, 0, interleaved, 0);
        assertWithin("backward of forward", toDoubles(input), x.toHeapArray(), bound);
    }

    /** Rotations preserve the length of every pair, whatever the position. */
    @Property(tries = 200)
    void preservesTheNormOfEveryPair(@ForAll("evenHeadDims") int headDim, @ForAll @IntRange(min = 1, max = 9) int seq,
            @ForAll @IntRange(min = 0, max = 100000) int offset, @ForAll boolean interleaved, @ForAll long seed) {
        float[] input = RandomArrays.gaussian(new SplittableRandom(seed), seq * headDim, 3.0);
        FloatArray x = FloatArray.fromArray(input);
        RotaryEmbedding.apply(x, 1, seq, 1, headDim, offset, RotaryEmbedding.DEFAULT_THETA, interleaved ? RotaryEmbedding.GPTJ : RotaryEmbedding.NEOX);
        float[] out = x.toHeapArray();
        for (int s = 0; s < seq; s++) {
            for (int p = 0; p < headDim / 2; p++) {
                int[] idx = RotaryReference.pairIndices(p, headDim, interleaved);
                double before = Math.hypot(input[s * headDim + idx[0]], input[s * headDim + idx[1]]);
                double after = Math.hypot(out[s * headDim + idx[0]], out[s * headDim + idx[1]]);
                assertEquals(before, after, 1e-7 + 5e-7 * before, "pair " + p + " at sequence index " + s);
            }
        }
    }

    /** q.k after RoPE depends only on the distance between the positions: shifting both leaves it unchanged. */
    @Property(tries = 200)
    void dotProductsDependOnlyOnRelativePosition(@ForAll("evenHeadDims") int headDim, @ForAll @IntRange(min = 0, max = 40) int queryPosition,
            @ForAll @IntRange(min = 0, max = 40) int keyPosition, @ForAll @IntRange(min = 1, max = 60) int shift, @ForAll boolean interleaved, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] q = RandomArrays.gaussian(random, headDim, 1.0);
        float[] k = RandomArrays.gaussian(random, headDim, 1.0);
        int pairing = interleaved ? RotaryEmbedding.GPTJ : RotaryEmbedding.NEOX;
        double near = rotatedDot(q, queryPosition, k, keyPosition, headDim, pairing);
        double far = rotatedDot(q, queryPosition + shift, k, keyPosition + shift, headDim, pairing);
        double scale = 0;
        for (int j = 0; j < headDim; j++) {
            scale += Math.abs(q[j]) * Math.abs(k[j]);
        }
        assertEquals(near, far, 1e-5 * (1 + scale));
    }

    private static double rotatedDot(float[] q, int queryPosition, float[] k, int keyPosition, int headDim, int pairing) {
        FloatArray rq = FloatArray.fromArray(q);
        FloatArray rk = FloatArray.fromArray(k);
        RotaryEmbedding.apply(rq, 1, 1, 1, headDim, queryPosition, RotaryEmbedding.DEFAULT_THETA, pairing);
        RotaryEmbedding.apply(rk, 1, 1, 1, headDim, keyPosition, RotaryEmbedding.DEFAULT_THETA, pairing);
        double dot = 0;
        for (int j = 0; j < headDim; j++) {
            dot += (double) rq.get(j) * rk.get(j);
        }
        return dot;
    }

    @Test
    void positionZeroIsTheIdentity() {
        float[] input = RandomArrays.gaussian(new SplittableRandom(7), 2 * 1 * 3 * 10, 2.0);
        for (int pairing : new int[] { RotaryEmbedding.NEOX, RotaryEmbedding.GPTJ }) {
            FloatArray x = FloatArray.fromArray(input);
            RotaryEmbedding.apply(x, 2, 1, 3, 10, 0, RotaryEmbedding.DEFAULT_THETA, pairing);
            assertArrayEquals(input, x.toHeapArray(), "pairing " + pairing);
        }
    }

    @Test
    void headDimTwoHasOnePairSoBothPairingsAgree() {
        float[] input = RandomArrays.gaussian(new SplittableRandom(11), 3 * 5 * 2 * 2, 1.0);
        FloatArray neox = FloatArray.fromArray(input);
        FloatArray gptj = FloatArray.fromArray(input);
        RotaryEmbedding.apply(neox, 3, 5, 2, 2, 4, 10000f, RotaryEmbedding.NEOX);
        RotaryEmbedding.apply(gptj, 3, 5, 2, 2, 4, 10000f, RotaryEmbedding.GPTJ);
        assertArrayEquals(neox.toHeapArray(), gptj.toHeapArray());
    }

    /** The two pairings rotate different elements together: on the same input they must disagree. */
    @Test
    void pairingsDifferForLargerHeads() {
        float[] input = RandomArrays.gaussian(new SplittableRandom(12), 4 * 8, 1.0);
        FloatArray neox = FloatArray.fromArray(input);
        FloatArray gptj = FloatArray.fromArray(input);
        RotaryEmbedding.apply(neox, 1, 4, 1, 8, 1, 10000f, RotaryEmbedding.NEOX);
        RotaryEmbedding.apply(gptj, 1, 4, 1, 8, 1, 10000f, RotaryEmbedding.GPTJ);
        double difference = 0;
        for (int i = 0; i < input.length; i++) {
            difference = Math.max(difference, Math.abs(neox.get(i) - gptj.get(i)));
        }
        org.junit.jupiter.api.Assertions.assertTrue(difference > 0.1, "max difference " + difference);
    }

    /** Pair p of NEOX at position 1 rotates by theta^(-2p/D): check one hand-computed element. */
    @Test
    void singleVectorByHand() {
        FloatArray x = FloatArray.fromElements(1f, 0f, 0f, 0f);
        RotaryEmbedding.apply(x, 1, 1, 1, 4, 1, 100f, RotaryEmbedding.NEOX);
        // pair 0 = (x0, x2) angle 1; pair 1 = (x1, x3) angle 1/10
        assertEquals(Math.cos(1.0), x.get(0), 1e-7);
        assertEquals(Math.sin(1.0), x.get(2), 1e-7);
        assertEquals(0f, x.get(1));
        assertEquals(0f, x.get(3));
    }
}
