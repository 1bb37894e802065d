package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

class PositionalBiasesTest {

    private static float pow2(double exponent) {
        return (float) Math.pow(2.0, exponent);
    }

    @Test
    void alibiSlopesForEightHeadsAreTwoToTheMinusOneThroughEight() {
        float[] expected = { 0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f, 0.015625f, 0.0078125f, 0.00390625f };
        assertArrayEquals(expected, PositionalBiases.alibiSlopes(8).toHeapArray());
        assertArrayEquals(expected, PositionalBiases.alibiSlopesEdifice(8).toHeapArray());
    }

    @Test
    void alibiSlopesForSixHeadsFollowTheReferenceRule() {
        // c = 4: 2^-2, 2^-4, 2^-6, 2^-8; then the slopes of 8 heads at even positions (2^-1, 2^-3, ...), first 2.
        float[] reference = { 0.25f, 0.0625f, 0.015625f, 0.00390625f, 0.5f, 0.125f };
        assertArrayEquals(reference, PositionalBiases.alibiSlopes(6).toHeapArray());
        float[] edifice = new float[6];
        for (int h = 1; h <= 6; h++) {
            edifice[h - 1] = pow2(-8.0 * h / 6);
        }
        assertArrayEquals(edifice, PositionalBiases.alibiSlopesEdifice(6).toHeapArray());
        assertFalse(Arrays.equals(reference, edifice), "the two rules differ for 6 heads");
    }

    @Test
    void alibiSlopesForTwelveHeadsFollowTheReferenceRule() {
        // c = 8: 2^-1 .. 2^-8; then the slopes of 16 heads (2^(-h/2)) at h = 1, 3, 5, 7.
        float[] reference = { pow2(-1), pow2(-2), pow2(-3), pow2(-4), pow2(-5), pow2(-6), pow2(-7), pow2(-8), pow2(-0.5), pow2(-1.5), pow2(-2.5),
                pow2(-3.5) };
        assertArrayEquals(reference, PositionalBiases.alibiSlopes(12).toHeapArray());
        float[] edifice = PositionalBiases.alibiSlopesEdifice(12).toHeapArray();
        assertEquals(pow2(-8.0 / 12), edifice[0]);
        assertEquals(pow2(-8.0), edifice[11]);
        assertFalse(Arrays.equals(reference, edifice), "the two rules differ for 12 heads");
    }

    @Test
    void bothRulesAgreeForPowersOfTwoAndDifferOtherwise() {
        for (int n = 1; n <= 32; n++) {
            boolean powerOfTwo = Integer.bitCount(n) == 1;
            boolean same = Arrays.equals(PositionalBiases.alibiSlopes(n).toHeapArray(), PositionalBiases.alibiSlopesEdifice(n).toHeapArray());
            assertEquals(powerOfTwo, same, "n = " + n);
        }
        assertThrows(IllegalArgumentException.class, () -> PositionalBiases.alibiSlopes(0));
        assertThrows(IllegalArgumentException.class, () -> PositionalBiases.alibiSlopesEdifice(0));
    }

    @Test
    void apeMatchesTheNotebookExample() {
        float[][] notebook = { { 0.10f, 0.08f, 0.06f, 0.04f, 0.02f }, { 0.08f, 0.10f, 0.08f, 0.06f, 0.04f }, { 0.06f, 0.08f, 0.10f, 0.08f, 0.06f },
                { 0.04f, 0.06f, 0.08f, 0.10f, 0.08f }, { 0.02f, 0.04f, 0.06f, 0.08f, 0.10f } };
        FloatArray dense = PositionalBiases.denseBias(PositionalBiases.APE, PositionalBiases.noSlopes(), 0, 5, 0.1f);
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 5; j++) {
                assertEquals(notebook[i][j], dense.get(i * 5 + j), 1e-7, "(" + i + "," + j + ")");
            }
        }
    }

    @Test
    void alibiIsMinusSlopeTimesDistance() {
        FloatArray slopes = PositionalBiases.alibiSlopes(4);
        assertEquals(-0.25f * 3, PositionalBiases.logitBias(PositionalBiases.ALIBI, slopes, 0, 5, 2, 9, 0f));
        assertEquals(-0.25f * 3, PositionalBiases.logitBias(PositionalBiases.ALIBI, slopes, 0, 2, 5, 9, 0f), "symmetric for bidirectional masks");
        assertEquals(0f, PositionalBiases.logitBias(PositionalBiases.ALIBI, slopes, 3, 4, 4, 9, 0f), 0f);
        assertEquals(0f, PositionalBiases.logitBias(PositionalBiases.NONE, slopes, 3, 0, 8, 9, 0.5f));
        assertEquals((1f - 8f / 9f) * 0.5f, PositionalBiases.logitBias(PositionalBiases.APE, slopes, 3, 0, 8, 9, 0.5f), 1e-7);
    }

    @Test
    void denseBiasRejectsUnknownKinds() {
        assertThrows(IllegalArgumentException.class, () -> PositionalBiases.denseBias(7, PositionalBiases.noSlopes(), 0, 3, 0f));
    }
}
