package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.SinusoidalReference;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Sinusoidal encodings against the float64 formulas. Tolerance: {@code 1e-6 (1 + |x|) + 2e-7 * position}: the
 * fp32 angle {@code position * frequency} carries a rounding error proportional to the position.
 */
class SinusoidalEncodingTest {

    @Property(tries = 300)
    void matchesFloat64Formulas(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 20) int seq,
            @ForAll @IntRange(min = 1, max = 70) int dim, @ForAll @IntRange(min = 0, max = 1000) int offset, @ForAll boolean edifice, @ForAll long seed) {
        float[] input = RandomArrays.gaussian(new SplittableRandom(seed), batch * seq * dim, 1.0);
        FloatArray x = FloatArray.fromArray(input);
        SinusoidalEncoding.add(x, batch, seq, dim, offset, edifice ? SinusoidalEncoding.EDIFICE : SinusoidalEncoding.STANDARD);
        double[] expected = SinusoidalReference.add(input, batch, seq, dim, offset, edifice);
        double[] bound = new double[input.length];
        for (int i = 0; i < input.length; i++) {
            int position = (i / dim) % seq + offset;
            bound[i] = 1e-6 * (1 + Math.abs(input[i])) + 2e-7 * position;
        }
        assertWithin(edifice ? "edifice" : "standard", expected, x.toHeapArray(), bound);
    }

    /** At position 0 the standard encoding is sin 0 = 0 on even and cos 0 = 1 on odd dimensions; Edifice's is all zeros. */
    @Test
    void positionZero() {
        FloatArray standard = new FloatArray(7);
        SinusoidalEncoding.add(standard, 1, 1, 7, 0, SinusoidalEncoding.STANDARD);
        assertEquals("[0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]", java.util.Arrays.toString(standard.toHeapArray()));
        FloatArray edifice = new FloatArray(5);
        SinusoidalEncoding.add(edifice, 1, 1, 5, 0, SinusoidalEncoding.EDIFICE);
        assertEquals("[0.0, 0.0, 0.0, 0.0, 0.0]", java.util.Arrays.toString(edifice.toHeapArray()));
    }

    /** The Vaswani table for dim 4 at position 2: frequencies 1 and 1/100. */
    @Test
    void standardByHand() {
        FloatArray x = new FloatArray(3 * 4);
        SinusoidalEncoding.add(x, 1, 3, 4, 0, SinusoidalEncoding.STANDARD);
        assertEquals(Math.sin(2.0), x.get(8), 1e-7);
        assertEquals(Math.cos(2.0), x.get(9), 1e-7);
        assertEquals(Math.sin(0.02), x.get(10), 1e-7);
        assertEquals(Math.cos(0.02), x.get(11), 1e-7);
    }

    /** Edifice: dimension j at position p is sin(p / (1 + 0.01 j)). */
    @Test
    void edificeByHand() {
        FloatArray x = new FloatArray(2 * 101);
        SinusoidalEncoding.add(x, 1, 2, 101, 0, SinusoidalEncoding.EDIFICE);
        assertEquals(Math.sin(1.0), x.get(101), 1e-7);
        assertEquals(Math.sin(0.5), x.get(101 + 100), 1e-7);
    }

    /** The offset shifts positions: sequence index s with offset o equals index s + o without one. */
    @Test
    void offsetShiftsPositions() {
        FloatArray shifted = new FloatArray(2 * 9);
        SinusoidalEncoding.add(shifted, 1, 2, 9, 5, SinusoidalEncoding.STANDARD);
        FloatArray plain = new FloatArray(7 * 9);
        SinusoidalEncoding.add(plain, 1, 7, 9, 0, SinusoidalEncoding.STANDARD);
        for (int j = 0; j < 9; j++) {
            assertEquals(plain.get(5 * 9 + j), shifted.get(j));
            assertEquals(plain.get(6 * 9 + j), shifted.get(9 + j));
        }
    }
}
