package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.attentionlab.kernels.testing.AttentionAlgorithm;
import org.attentionlab.kernels.testing.AttentionBackwardRunner;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.AttentionRunner;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Multi-scale local attention (a window per attention head) decomposes into heads: head h of a call whose heads have
 * windows W_0..W_{H-1} is, bit for bit, head h of the same call with W_h for every head, for every algorithm, the
 * forward and the backward (each head's rows, and with one kv head per query head each kv head's dk and dv, are
 * computed from that head's band alone). The float64 comparison of per-head cases is in the property tests
 * (AttentionKernelsPropertyTest, AttentionBackwardPropertyTest: a third of their cases).
 */
class PerHeadWindowsTest {

    @Property(tries = 40)
    void eachHeadIsTheCallWithItsOwnWindowForAllHeads(@ForAll @IntRange(min = 1, max = 40) int seqLen, @ForAll @IntRange(min = 1, max = 5) int heads,
            @ForAll boolean causal, @ForAll long seed) {
        Random random = new Random(seed);
        int[] windows = new int[2 * heads];
        for (int h = 0; h < heads; h++) {
            windows[2 * h] = random.nextInt(seqLen + 2);
            windows[2 * h + 1] = causal ? 0 : random.nextInt(seqLen + 2);
        }
        int[] globals = random.nextBoolean() ? new int[] { random.nextInt(seqLen) } : new int[0];
        AttentionCase c = AttentionCase.random(seed, 2, seqLen, heads, heads, 7, 0, 0, globals).withWindows(windows).withCausal(causal)
                .withBias(PositionalBiases.ALIBI, PositionalBiases.alibiSlopes(heads).toHeapArray(), 0f).withChunkSize(1 + random.nextInt(seqLen));
        float[] dOut = AttentionCase.uniform(random, c.q().length);
        AttentionBackwardRunner.Result perHead = AttentionBackwardRunner.runPlain(c, dOut);
        for (AttentionAlgorithm algorithm : AttentionAlgorithm.values()) {
            float[] out = AttentionRunner.run(algorithm, c);
            for (int h = 0; h < heads; h++) {
                AttentionCase uniform = c.withWindow(windows[2 * h], windows[2 * h + 1]);
                float[] alone = AttentionRunner.run(algorithm, uniform);
                assertHeadEqual(c, h, alone, out, algorithm + " head " + h);
            }
        }
        for (int h = 0; h < heads; h++) {
            AttentionBackwardRunner.Result alone = AttentionBackwardRunner.runPlain(c.withWindow(windows[2 * h], windows[2 * h + 1]), dOut);
            assertHeadEqual(c, h, alone.dq(), perHead.dq(), "dq head " + h);
            assertHeadEqual(c, h, alone.dk(), perHead.dk(), "dk head " + h);
            assertHeadEqual(c, h, alone.dv(), perHead.dv(), "dv head " + h);
        }
    }

    /** Head h's elements of two [batch, seq, heads, headDim] arrays (kv arrays have the same layout here: kvHeads = heads). */
    private static void assertHeadEqual(AttentionCase c, int head, float[] want, float[] got, String what) {
        for (int b = 0; b < c.batch(); b++) {
            for (int i = 0; i < c.seqLen(); i++) {
                for (int d = 0; d < c.headDim(); d++) {
                    int at = c.queryIndex(b, i, head, d);
                    assertEquals(want[at], got[at], what + " at batch " + b + ", position " + i + ", d " + d);
                }
            }
        }
    }
}
