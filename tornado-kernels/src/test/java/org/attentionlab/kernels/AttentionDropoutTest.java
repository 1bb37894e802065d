package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Random;

import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.reference.AttentionBackwardReference.Gradients;
import org.attentionlab.kernels.reference.DroppedAttentionReference;
import org.attentionlab.kernels.reference.FiniteDifferences;
import org.attentionlab.kernels.testing.AttentionAlgorithm;
import org.attentionlab.kernels.testing.AttentionBackwardRunner;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.AttentionRunner;
import org.attentionlab.kernels.testing.Closeness;
import org.attentionlab.kernels.testing.DroppedProbabilities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Attention dropout ({@link AttentionMasks}, "Attention dropout"): every algorithm's forward and the backward against
 * the float64 reference with the mask drawn from its specification ({@link DroppedAttentionReference}), the mask the
 * backward regenerates equal to the forward's (both read back from the kernels' outputs), the kept fraction, p = 0
 * leaving the kernels exactly as without dropout, and the reference's gradients against finite differences.
 */
class AttentionDropoutTest {

    private static final double FORWARD_ABS = 2e-5;
    private static final double GRADIENT_ABS = 1e-7;
    private static final double GRADIENT_REL = 1e-5;

    static List<Arguments> cases() {
        Window causalW5 = Window.causalSliding(5);
        Window local6 = Window.bidirectionalLocal(6);
        return List.of(Arguments.of("causal sliding window W=5, GQA 4/2, ALiBi, p=0.1",
                AttentionCase.random(301, 2, 23, 4, 2, 7, causalW5.left(), causalW5.right()).withCausal(true)
                        .withBias(PositionalBiases.ALIBI, PositionalBiases.alibiSlopes(4).toHeapArray(), 0f), 0.1, 17),
                Arguments.of("local window w=6 with global tokens 0 and 11, APE, p=0.5", AttentionCase.random(302, 1, 19, 3, 3, 16, local6.left(),
                        local6.right(), 0, 11).withBias(PositionalBiases.APE, new float[] { 0f }, 0.3f), 0.5, -123456789),
                Arguments.of("full causal, chunk 5, p=0.3", AttentionCase.random(303, 2, 21, 2, 1, 8, AttentionMasks.UNBOUNDED, 0).withCausal(true)
                        .withChunkSize(5), 0.3, 0x7FFFFFFF));
    }

    private static double[] factors(AttentionCase c, double p, int seed) {
        return DroppedAttentionReference.mask(c.referenceShape(), AttentionMasks.keepThreshold(p), seed);
    }

    private static float[] forward(AttentionAlgorithm algorithm, AttentionCase c, IntArray windows) {
        return algorithm.isFlash() ? AttentionRunner.run(algorithm, c, windows) : AttentionRunner.runPlain(algorithm, c, windows);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyAlgorithmsForwardMatchesTheReferenceAndTheOthers(String name, AttentionCase c, double p, int seed) {
        double[] want = DroppedAttentionReference.attention(c.referenceShape(), Closeness.toDoubles(c.q()), Closeness.toDoubles(c.k()),
                Closeness.toDoubles(c.v()), c.referenceMask(), c.referenceBias(), c.scale(), factors(c, p, seed));
        float[] standard = forward(AttentionAlgorithm.STANDARD, c, c.kernelWindows(p, seed));
        for (AttentionAlgorithm algorithm : AttentionAlgorithm.values()) {
            float[] out = forward(algorithm, c, c.kernelWindows(p, seed));
            Closeness.assertClose(algorithm + ", " + name, want, out, FORWARD_ABS, FORWARD_ABS);
            Closeness.assertClose(algorithm + " against standard, " + name, Closeness.toDoubles(standard), out, 1e-5, 1e-5);
        }
        float[] undropped = forward(AttentionAlgorithm.STANDARD, c, c.kernelWindows());
        assertTrue(maxDifference(standard, undropped) > 1e-3, "dropout changes the output");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesTheReferenceWithTheSameMask(String name, AttentionCase c, double p, int seed) {
        float[] dOut = AttentionCase.uniform(new Random(seed), c.q().length);
        double[] factors = factors(c, p, seed);
        Gradients want = DroppedAttentionReference.gradients(c.referenceShape(), Closeness.toDoubles(c.q()), Closeness.toDoubles(c.k()),
                Closeness.toDoubles(c.v()), Closeness.toDoubles(dOut), c.referenceMask(), c.referenceBias(), c.scale(), factors);
        for (AttentionBackwardRunner.Result result : List.of(AttentionBackwardRunner.runPlain(c, dOut, c.kernelWindows(p, seed)),
                AttentionBackwardRunner.run(c, dOut, "droppedBackward", c.kernelWindows(p, seed)),
                AttentionBackwardRunner.run(c, dOut, "droppedTiledBackward", c.kernelWindows(p, seed), AttentionLaunch.Backward.REGISTER_TILES))) {
            Closeness.assertWithin("dq, " + name, want.dq(), result.dq(), bound(want.dqMagnitude()));
            Closeness.assertWithin("dk, " + name, want.dk(), result.dk(), bound(want.dkMagnitude()));
            Closeness.assertWithin("dv, " + name, want.dv(), result.dv(), bound(want.dvMagnitude()));
        }
    }

    private static double[] bound(double[] magnitude) {
        double[] bound = new double[magnitude.length];
        for (int e = 0; e < magnitude.length; e++) {
            bound[e] = GRADIENT_ABS + GRADIENT_REL * magnitude[e];
        }
        return bound;
    }

    /** The masks read back from every algorithm's forward and from the backward ({@link DroppedProbabilities}) are the specification's. */
    @Test
    void theBackwardRegeneratesTheForwardsMask() {
        double p = 0.3;
        int seed = 99;
        Window causalW7 = Window.causalSliding(7);
        AttentionCase c = DroppedProbabilities.withOneHotValues(
                AttentionCase.random(304, 2, 12, 2, 2, 12, causalW7.left(), causalW7.right(), 4).withCausal(true));
        AttentionBackwardRunner.Result backward = AttentionBackwardRunner.runPlain(c, DroppedProbabilities.oneHotGradients(c), c.kernelWindows(p, seed));
        for (AttentionAlgorithm algorithm : AttentionAlgorithm.values()) {
            DroppedProbabilities.assertSameMask(algorithm.toString(), c, factors(c, p, seed), forward(algorithm, c, c.kernelWindows(p, seed)), backward.dv(),
                    1e-6);
        }
    }

    @Test
    void theKeptFractionIsOneMinusPWithinBinomialBounds() {
        int rows = 256;
        int keys = 256;
        for (double p : new double[] { 0.1, 0.5, 0.9 }) {
            int threshold = AttentionMasks.keepThreshold(p);
            float keptScale = AttentionMasks.dropoutKeptScale(threshold);
            assertEquals(1.0 / (1.0 - p), keptScale, 1e-6 / (1.0 - p), "the kept scale");
            long kept = 0;
            for (int row = 0; row < rows; row++) {
                int rowKey = AttentionMasks.dropoutRowKey(2024, row);
                for (int key = 0; key < keys; key++) {
                    float factor = AttentionMasks.dropoutFactor(rowKey, key, threshold, keptScale);
                    if (factor != 0f) {
                        assertEquals(keptScale, factor);
                        kept++;
                    }
                }
            }
            double n = (double) rows * keys;
            double sigma = Math.sqrt(n * p * (1 - p));
            assertEquals(n * (1 - p), kept, 5 * sigma, "kept of " + n + " with p = " + p);
        }
        assertEquals(1.0f, AttentionMasks.dropoutFactor(AttentionMasks.dropoutRowKey(5, 5), 5, AttentionMasks.DROPOUT_OFF, 1.0f), "off keeps all");
        assertEquals(AttentionMasks.DROPOUT_OFF, AttentionMasks.keepThreshold(0.0));
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.withDropout(AttentionMasks.windows(1, Window.full()), 1, 1.0, 0));
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.withDropout(AttentionMasks.windows(1, Window.full()), 1, -0.1, 0));
    }

    @Test
    void masksDependOnSeedRowAndKey() {
        AttentionCase c = AttentionCase.random(305, 1, 16, 2, 2, 4, AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED);
        double[] one = factors(c, 0.5, 1);
        double[] other = factors(c, 0.5, 2);
        assertNotEquals(java.util.Arrays.toString(one), java.util.Arrays.toString(other), "another seed, another mask");
        int rowsAlike = 0;
        for (int row = 1; row < 2 * 16; row++) {
            boolean same = true;
            for (int j = 0; j < 16; j++) {
                same &= (one[row * 16 + j] != 0) == (one[j] != 0);
            }
            rowsAlike += same ? 1 : 0;
        }
        assertTrue(rowsAlike <= 1, "rows draw their own masks: " + rowsAlike + " rows equal row 0");
    }

    /** p = 0 (whatever the seed) gives exactly the kernels' results without dropout: nothing is multiplied. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void zeroDropoutChangesNoBit(String name, AttentionCase c, double p, int seed) {
        for (AttentionAlgorithm algorithm : AttentionAlgorithm.values()) {
            assertArrayEquals(forward(algorithm, c, c.kernelWindows()), forward(algorithm, c, c.kernelWindows(0.0, seed)), algorithm + ", " + name);
        }
        float[] dOut = AttentionCase.uniform(new Random(seed), c.q().length);
        AttentionBackwardRunner.Result off = AttentionBackwardRunner.runPlain(c, dOut, c.kernelWindows());
        AttentionBackwardRunner.Result zero = AttentionBackwardRunner.runPlain(c, dOut, c.kernelWindows(0.0, seed));
        assertArrayEquals(off.dq(), zero.dq(), "dq, " + name);
        assertArrayEquals(off.dk(), zero.dk(), "dk, " + name);
        assertArrayEquals(off.dv(), zero.dv(), "dv, " + name);
    }

    /** The reference's gradients against float64 finite differences of its forward, the mask held fixed. */
    @Test
    void referenceGradientsMatchFiniteDifferencesWithTheMaskFixed() {
        AttentionCase c = AttentionCase.random(306, 2, 7, 2, 1, 3, 2, 1, 5).withCausal(true)
                .withBias(PositionalBiases.ALIBI, PositionalBiases.alibiSlopes(2).toHeapArray(), 0f);
        double[] factors = factors(c, 0.4, 31);
        double[] q = Closeness.toDoubles(c.q());
        double[] k = Closeness.toDoubles(c.k());
        double[] v = Closeness.toDoubles(c.v());
        double[] dOut = Closeness.toDoubles(AttentionCase.uniform(new Random(7), c.q().length));
        Gradients analytic = DroppedAttentionReference.gradients(c.referenceShape(), q, k, v, dOut, c.referenceMask(), c.referenceBias(), c.scale(), factors);
        check("dq", analytic.dq(), analytic.dqMagnitude(), FiniteDifferences.gradient(x -> DroppedAttentionReference.attention(c.referenceShape(), x, k, v,
                c.referenceMask(), c.referenceBias(), c.scale(), factors), q, dOut));
        check("dk", analytic.dk(), analytic.dkMagnitude(), FiniteDifferences.gradient(x -> DroppedAttentionReference.attention(c.referenceShape(), q, x, v,
                c.referenceMask(), c.referenceBias(), c.scale(), factors), k, dOut));
        check("dv", analytic.dv(), analytic.dvMagnitude(), FiniteDifferences.gradient(x -> DroppedAttentionReference.attention(c.referenceShape(), q, k, x,
                c.referenceMask(), c.referenceBias(), c.scale(), factors), v, dOut));
    }

    private static void check(String what, double[] analytic, double[] magnitude, double[] numeric) {
        for (int e = 0; e < analytic.length; e++) {
            double error = Math.abs(analytic[e] - numeric[e]);
            if (!(error <= 1e-8 + 1e-7 * magnitude[e])) {
                fail(what + "[" + e + "] = " + analytic[e] + ", finite differences give " + numeric[e] + " (error " + error + ")");
            }
        }
    }

    /** The per-step mask seed: the array's seed plus {@code seed + counter * DROPOUT_STEP_STRIDE}, nothing else touched. */
    @Test
    void seedDropoutAtStepWritesTheStepsSeed() {
        IntArray windows = AttentionMasks.withDropout(AttentionMasks.windows(3, Window.causalSliding(4)), 3, 0.25, 1000);
        int[] before = windows.toHeapArray();
        assertEquals(1000, AttentionMasks.dropoutMaskSeed(windows, 3), "withDropout's mask seed is its seed");
        IntArray counter = IntArray.fromArray(new int[] { 41 });
        AttentionKernels.seedDropoutAtStep(windows, 3, 1234, counter);
        int[] after = windows.toHeapArray();
        assertEquals(1000 + 1234 + 41 * Activations.DROPOUT_STEP_STRIDE, after[8]);
        after[8] = before[8];
        assertArrayEquals(before, after);
    }

    private static double maxDifference(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
