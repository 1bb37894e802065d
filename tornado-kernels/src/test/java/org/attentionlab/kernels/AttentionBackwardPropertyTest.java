package org.attentionlab.kernels;

import java.util.Random;

import org.attentionlab.kernels.reference.AttentionBackwardReference.Gradients;
import org.attentionlab.kernels.testing.AttentionBackwardRunner;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.Closeness;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The attention backward kernels (run through one TaskGraph after the forward; by rows and by register tiles) against the float64 references on
 * the forward property test's random cases: batch 1-3, seq 1-40, heads 1-12 with kv heads dividing them, head_dim
 * 1-24, every mask kind (windows 1..L+3, bidirectional local windows, arbitrary bands) with 0-3 global tokens,
 * ALiBi (both slope rules, non-power-of-two head counts) and APE, random scales; dOut uniform in [-1, 1).
 *
 * <p>Tolerances. L: {@code 1e-5 (1 + |L|)} (the logits are fp32 dot products). dq, dk, dv:
 * {@code ABS + REL * magnitude}, where the magnitude is the sum of the absolute values of the terms that make up the
 * element ({@link Gradients}): a gradient can be far smaller than its terms (dS = P (dP - D) cancels), and fp32
 * rounding errors scale with the terms, not with the result.
 */
class AttentionBackwardPropertyTest {

    static final double ABS = 1e-7;
    static final double REL = 1e-5;

    @Property(tries = 200)
    void gradientsMatchTheReference(@ForAll("cases") AttentionCase c, @ForAll long gradientSeed) {
        float[] dOut = AttentionCase.uniform(new Random(gradientSeed), c.q().length);
        AttentionBackwardRunner.Result result = AttentionBackwardRunner.run(c, dOut, "attentionBackward");
        assertMatchesReference(c, dOut, result, c.toString());
    }

    /** The register-tiled backward ({@code AttentionLaunch.Backward.REGISTER_TILES}) on the same cases: blocks of 16 over L = 1-40. */
    @Property(tries = 100)
    void tiledGradientsMatchTheReference(@ForAll("cases") AttentionCase c, @ForAll long gradientSeed) {
        float[] dOut = AttentionCase.uniform(new Random(gradientSeed), c.q().length);
        AttentionBackwardRunner.Result result = AttentionBackwardRunner.runTiled(c, dOut, "tiledAttentionBackward");
        assertMatchesReference(c, dOut, result, "register tiles, " + c);
    }

    static void assertMatchesReference(AttentionCase c, float[] dOut, AttentionBackwardRunner.Result result, String what) {
        double[] logSumExp = c.referenceLogSumExp();
        Closeness.assertClose("L of " + what, logSumExp, result.logSumExp(), 1e-5, 1e-5);
        Gradients want = c.referenceGradients(dOut);
        Closeness.assertWithin("dq of " + what, want.dq(), result.dq(), bound(want.dqMagnitude()));
        Closeness.assertWithin("dk of " + what, want.dk(), result.dk(), bound(want.dkMagnitude()));
        Closeness.assertWithin("dv of " + what, want.dv(), result.dv(), bound(want.dvMagnitude()));
    }

    private static double[] bound(double[] magnitude) {
        double[] bound = new double[magnitude.length];
        for (int e = 0; e < magnitude.length; e++) {
            bound[e] = ABS + REL * magnitude[e];
        }
        return bound;
    }

    @Provide
    Arbitrary<AttentionCase> cases() {
        return new AttentionKernelsPropertyTest().cases();
    }
}
