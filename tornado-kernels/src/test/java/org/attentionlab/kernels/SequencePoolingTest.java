package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

class SequencePoolingTest {

    private static FloatArray sequence(int batch, int seqLen, int width, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        FloatArray x = new FloatArray(batch * seqLen * width);
        for (int i = 0; i < x.getSize(); i++) {
            x.set(i, (float) (random.nextDouble() * 4 - 2));
        }
        return x;
    }

    @Property(tries = 200)
    void poolingMatchesItsDefinition(@ForAll @IntRange(min = 1, max = 4) int batch, @ForAll @IntRange(min = 1, max = 33) int seqLen,
            @ForAll @IntRange(min = 1, max = 17) int width, @ForAll long seed) {
        FloatArray x = sequence(batch, seqLen, width, seed);
        FloatArray last = new FloatArray(batch * width);
        FloatArray mean = new FloatArray(batch * width);
        SequencePooling.lastPosition(x, last, batch, seqLen, width);
        SequencePooling.meanOverPositions(x, mean, batch, seqLen, width);
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < width; j++) {
                assertEquals(x.get(((b * seqLen) + seqLen - 1) * width + j), last.get(b * width + j), 0.0);
                double sum = 0;
                for (int t = 0; t < seqLen; t++) {
                    sum += x.get((b * seqLen + t) * width + j);
                }
                assertEquals(sum / seqLen, mean.get(b * width + j), 1e-5 + 1e-5 * Math.abs(sum / seqLen));
            }
        }
    }

    @Test
    void oneStepSequenceIsItsOwnLastAndMean() {
        FloatArray x = FloatArray.fromElements(3f, -1f);
        FloatArray last = new FloatArray(2);
        FloatArray mean = new FloatArray(2);
        SequencePooling.lastPosition(x, last, 1, 1, 2);
        SequencePooling.meanOverPositions(x, mean, 1, 1, 2);
        assertEquals(3f, last.get(0));
        assertEquals(-1f, mean.get(1));
    }

    /**
     * The backward kernels are the transposes of the forward ones: {@code <dOut, pool(x)> = <poolBackward(dOut), x>}
     * (the finite-difference check of a linear map), and their values are the definition's: the last position gets
     * the gradient, the others 0; every position gets 1 / seqLen of it.
     */
    @Property(tries = 200)
    void backwardIsTheTransposeOfTheForward(@ForAll @IntRange(min = 1, max = 4) int batch, @ForAll @IntRange(min = 1, max = 33) int seqLen,
            @ForAll @IntRange(min = 1, max = 17) int width, @ForAll long seed) {
        FloatArray x = sequence(batch, seqLen, width, seed);
        FloatArray dOut = sequence(batch, 1, width, seed + 1);
        FloatArray pooled = new FloatArray(batch * width);
        FloatArray dx = new FloatArray(batch * seqLen * width);
        for (boolean last : new boolean[] { true, false }) {
            if (last) {
                SequencePooling.lastPosition(x, pooled, batch, seqLen, width);
                SequencePooling.lastPositionBackward(dOut, dx, batch, seqLen, width);
            } else {
                SequencePooling.meanOverPositions(x, pooled, batch, seqLen, width);
                SequencePooling.meanOverPositionsBackward(dOut, dx, batch, seqLen, width);
            }
            double forward = 0;
            double magnitude = 0;
            for (int i = 0; i < pooled.getSize(); i++) {
                forward += (double) dOut.get(i) * pooled.get(i);
                magnitude += Math.abs((double) dOut.get(i) * pooled.get(i));
            }
            double backward = 0;
            for (int i = 0; i < dx.getSize(); i++) {
                backward += (double) dx.get(i) * x.get(i);
            }
            assertEquals(forward, backward, 1e-6 * (1 + magnitude), last ? "last position" : "mean");
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < seqLen; t++) {
                    for (int j = 0; j < width; j++) {
                        float gradient = dOut.get(b * width + j);
                        float expected = last ? (t == seqLen - 1 ? gradient : 0f) : gradient / seqLen;
                        assertEquals(expected, dx.get((b * seqLen + t) * width + j), last ? 0.0 : Math.ulp(expected), "b " + b + " t " + t + " j " + j);
                    }
                }
            }
        }
    }
}
