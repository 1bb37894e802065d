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
}
