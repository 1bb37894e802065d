package uk.ac.manchester.tornado.api.types.vectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** Float16's lane-wise operations against a plain loop over float arrays, with values that make each lane distinct. */
class Float16Test {

    private static float[] randomLanes(Random random) {
        float[] lanes = new float[16];
        for (int i = 0; i < 16; i++) {
            lanes[i] = random.nextFloat() * 4.0f - 2.0f + (i == 3 ? 0.0f : 0.25f);
        }
        return lanes;
    }

    private static Float16 of(float[] v) {
        return new Float16(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]);
    }

    @Test
    void constructorPutsEachArgumentInItsLane() {
        Float16 v = new Float16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        for (int i = 0; i < 16; i++) {
            assertEquals(i, v.get(i));
        }
        assertEquals(16, v.size());
        assertArrayEquals(new float[16], new Float16().toArray());
    }

    @Test
    void laneWiseArithmeticMatchesScalarLoops() {
        Random random = new Random(16);
        for (int trial = 0; trial < 20; trial++) {
            float[] a = randomLanes(random);
            float[] b = randomLanes(random);
            float[] sum = new float[16];
            float[] difference = new float[16];
            float[] product = new float[16];
            float[] quotient = new float[16];
            for (int i = 0; i < 16; i++) {
                sum[i] = a[i] + b[i];
                difference[i] = a[i] - b[i];
                product[i] = a[i] * b[i];
                quotient[i] = a[i] / b[i];
            }
            assertArrayEquals(sum, Float16.add(of(a), of(b)).toArray());
            assertArrayEquals(difference, Float16.sub(of(a), of(b)).toArray());
            assertArrayEquals(product, Float16.mult(of(a), of(b)).toArray());
            assertArrayEquals(quotient, Float16.div(of(a), of(b)).toArray());
        }
    }

    @Test
    void operationsLeaveTheirInputsAndSetChangesOneLane() {
        Float16 a = new Float16(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        Float16 b = new Float16(2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2);
        Float16.add(a, b);
        assertEquals(1.0f, a.get(5));
        a.set(5, 7.0f);
        assertEquals(7.0f, a.get(5));
        assertEquals(1.0f, a.get(4));
        assertEquals(1.0f, a.get(6));
    }
}
