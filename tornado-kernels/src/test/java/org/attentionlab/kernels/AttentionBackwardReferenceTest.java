package org.attentionlab.kernels;

import java.util.Random;

import org.attentionlab.kernels.AttentionKernelsPropertyTest.HeadLayout;
import org.attentionlab.kernels.AttentionKernelsPropertyTest.MaskKind;
import org.attentionlab.kernels.AttentionKernelsPropertyTest.Recipe;
import org.attentionlab.kernels.AttentionKernelsPropertyTest.Shape;
import org.attentionlab.kernels.reference.AttentionBackwardReference;
import org.attentionlab.kernels.reference.AttentionBackwardReference.Gradients;
import org.attentionlab.kernels.reference.AttentionReference;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.Closeness;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The float64 attention backward reference against float64 central finite differences of the float64 forward
 * reference, {@code (f(x + h) - f(x - h)) / 2h} of {@code f = sum(dOut * attention)} for every element of q, k and
 * v, on small random cases with every mask kind, global tokens, GQA, ALiBi (3 and 6 heads: not powers of two) and
 * APE. With h = 1e-5 the truncation error is about h^2 |f'''| / 6 and the rounding error about 1e-16 |f| / h,
 * both below 1e-9 here, so the tolerance 1e-7 (+ 1e-7 of the gradient's magnitude) tests the chain rule, not luck.
 */
class AttentionBackwardReferenceTest {

    private static final double STEP = 1e-5;
    private static final double ABS = 1e-7;
    private static final double REL = 1e-7;

    @Property(tries = 60)
    void gradientsMatchFiniteDifferences(@ForAll("smallCases") AttentionCase c, @ForAll long gradientSeed) {
        float[] dOut = AttentionCase.uniform(new Random(gradientSeed), c.q().length);
        Gradients gradients = c.referenceGradients(dOut);
        double[] q = Closeness.toDoubles(c.q());
        double[] k = Closeness.toDoubles(c.k());
        double[] v = Closeness.toDoubles(c.v());
        double[] weights = Closeness.toDoubles(dOut);
        check("dq", gradients.dq(), gradients.dqMagnitude(), finiteDifferences(c, q, q, k, v, weights));
        check("dk", gradients.dk(), gradients.dkMagnitude(), finiteDifferences(c, k, q, k, v, weights));
        check("dv", gradients.dv(), gradients.dvMagnitude(), finiteDifferences(c, v, q, k, v, weights));
    }

    /** The central difference of the loss for every element of {@code perturbed} (one of q, k, v, changed in place and restored). */
    private static double[] finiteDifferences(AttentionCase c, double[] perturbed, double[] q, double[] k, double[] v, double[] dOut) {
        double[] result = new double[perturbed.length];
        for (int e = 0; e < perturbed.length; e++) {
            double original = perturbed[e];
            perturbed[e] = original + STEP;
            double plus = loss(c, q, k, v, dOut);
            perturbed[e] = original - STEP;
            double minus = loss(c, q, k, v, dOut);
            perturbed[e] = original;
            result[e] = (plus - minus) / (2 * STEP);
        }
        return result;
    }

    private static double loss(AttentionCase c, double[] q, double[] k, double[] v, double[] dOut) {
        double[] out = AttentionReference.attention(c.referenceShape(), q, k, v, c.referenceMask(), c.referenceBias(), c.scale());
        double sum = 0;
        for (int e = 0; e < out.length; e++) {
            sum += dOut[e] * out[e];
        }
        return sum;
    }

    private static void check(String what, double[] analytic, double[] magnitude, double[] numeric) {
        for (int e = 0; e < analytic.length; e++) {
            double error = Math.abs(analytic[e] - numeric[e]);
            if (!(error <= ABS + REL * magnitude[e])) {
                fail(what + "[" + e + "] = " + analytic[e] + ", finite differences give " + numeric[e] + " (error " + error + ")");
            }
        }
    }

    @Provide
    Arbitrary<AttentionCase> smallCases() {
        Arbitrary<HeadLayout> layouts = Arbitraries.of(new HeadLayout(1, 1), new HeadLayout(2, 1), new HeadLayout(3, 3), new HeadLayout(4, 2),
                new HeadLayout(6, 3));
        Arbitrary<Shape> shapes = Combinators.combine(Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 9), layouts,
                Arbitraries.integers().between(1, 5)).as(Shape::new);
        Arbitrary<Recipe> recipes = Combinators.combine(Arbitraries.of(MaskKind.class), Arbitraries.integers().between(0, 10_000),
                Arbitraries.integers().between(0, 3), Arbitraries.of(PositionalBiases.NONE, PositionalBiases.ALIBI, PositionalBiases.APE),
                Arbitraries.just(0), Arbitraries.longs()).as(Recipe::new);
        return Combinators.combine(shapes, recipes).as(AttentionKernelsPropertyTest::build);
    }
}
