package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.testing.AttentionAlgorithm;
import org.attentionlab.kernels.testing.AttentionBackwardRunner;
import org.attentionlab.kernels.testing.AttentionBackwardRunner.Result;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.AttentionRunner;
import org.attentionlab.kernels.testing.Close;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Global tokens in a causal model (configs/README.md, "Sliding-window convention"; Longformer/BigBird global attention
 * under a causal mask): a global token at g attends to every key up to g, past its window, and every query from g on
 * attends to it; no query sees a later key. Named cases for every algorithm, forward and backward, against the float64
 * reference, and the property that defines causality without any reference: changing the keys and values after
 * position i never changes row i's output, nor the gradients that reach them from rows up to i.
 */
class GlobalTokensCausalTest {

    static final double ABS = 1e-5;
    static final double REL = 1e-4;

    static Stream<Arguments> namedCases() {
        int seqLen = 21;
        Window sliding = Window.causalSliding(3);
        return Stream.of(Arguments.of("global at 0", globalCase(31, seqLen, sliding, 0)),
                Arguments.of("global at L - 1", globalCase(32, seqLen, sliding, seqLen - 1)),
                Arguments.of("several globals", globalCase(33, seqLen, sliding, 0, 7, 8, 15)),
                Arguments.of("globals with full causal attention", globalCase(34, seqLen, Window.causal(), 4, 11)),
                Arguments.of("globals with a window per head", globalCase(35, seqLen, sliding, 2, 13)
                        .withWindows(new int[] { 0, 0, 4, 0, 1, 0, AttentionMasks.UNBOUNDED, 0 })),
                Arguments.of("global at L - 1 past a flash tile", globalCase(36, 300, Window.causalSliding(5), 40, 299)));
    }

    /** Four heads over two kv heads, ALiBi, causal. */
    private static AttentionCase globalCase(long seed, int seqLen, Window window, int... globals) {
        AttentionCase c = AttentionCase.random(seed, 2, seqLen, 4, 2, 6, window.left(), window.right(), globals).withCausal(true);
        return c.withBias(PositionalBiases.ALIBI, PositionalBiases.alibiSlopes(4).toHeapArray(), 0f);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("namedCases")
    void everyAlgorithmMatchesTheReference(String name, AttentionCase c) {
        double[] want = c.reference();
        for (AttentionAlgorithm algorithm : AttentionAlgorithm.values()) {
            Close.assertClose(want, AttentionRunner.run(algorithm, c), ABS, REL, algorithm + ", " + name);
        }
        float[] dOut = AttentionCase.uniform(new Random(c.seqLen()), c.q().length);
        AttentionBackwardPropertyTest.assertMatchesReference(c, dOut, AttentionBackwardRunner.runPlain(c, dOut), name);
    }

    /**
     * A global token at the last position is seen by no earlier query, so under the causal flag its key and value get
     * gradient from its own row only; the same mask with the flag off (the kernels' rule before causality bound global
     * tokens) gives every row a share, so the two differ.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("namedCases")
    void causalityChangesWhatGlobalTokensSee(String name, AttentionCase c) {
        double[] causal = c.reference();
        double[] unbound = c.withCausal(false).reference();
        assertFalse(Arrays.equals(causal, unbound), "the causal flag must matter for " + name);
    }

    /** Without the causal flag (a bidirectional local window), global tokens still see and are seen by everything. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("namedCases")
    void bidirectionalGlobalTokensAreUnchanged(String name, AttentionCase c) {
        Window local = Window.bidirectionalLocal(4);
        AttentionCase bidirectional = c.withCausal(false).withWindow(local.left(), local.right());
        boolean[][] visible = org.attentionlab.kernels.reference.AttentionReference.visibility(c.seqLen(), bidirectional.referenceMask());
        for (int g : c.globalTokens()) {
            for (int j = 0; j < c.seqLen(); j++) {
                assertEquals(true, visible[g][j], name + ": global " + g + " sees " + j);
                assertEquals(true, visible[j][g], name + ": " + j + " sees global " + g);
            }
        }
        for (AttentionAlgorithm algorithm : AttentionAlgorithm.values()) {
            Close.assertClose(bidirectional.reference(), AttentionRunner.run(algorithm, bidirectional), ABS, REL, algorithm + ", " + name);
        }
    }

    /**
     * Causality itself: replacing the keys and values of positions after {@code cut} by other numbers leaves every row
     * up to {@code cut} bit for bit the same, for every algorithm, with global tokens anywhere and a window per head;
     * and dq of those rows too (their gradient paths never touch a later key).
     */
    @Property(tries = 60)
    void laterKeysNeverChangeEarlierRows(@ForAll @IntRange(min = 2, max = 40) int seqLen, @ForAll @IntRange(min = 0, max = 39) int cutDraw,
            @ForAll @IntRange(min = 1, max = 8) int window, @ForAll long seed) {
        int cut = cutDraw % (seqLen - 1);
        Random random = new Random(seed);
        int[] globals = random.ints(1 + random.nextInt(3), 0, seqLen).sorted().distinct().toArray();
        int[] perHead = new int[] { window - 1, 0, random.nextInt(seqLen), 0, AttentionMasks.UNBOUNDED, 0 };
        AttentionCase c = AttentionCase.random(seed, 1, seqLen, 3, 1, 5, 0, 0, globals).withWindows(perHead).withCausal(true);
        float[] otherK = c.k().clone();
        float[] otherV = c.v().clone();
        for (int position = cut + 1; position < seqLen; position++) {
            for (int d = 0; d < c.headDim(); d++) {
                otherK[c.kvIndex(0, position, 0, d)] = random.nextFloat() * 4 - 2;
                otherV[c.kvIndex(0, position, 0, d)] = random.nextFloat() * 4 - 2;
            }
        }
        AttentionCase changed = c.withInputs(c.q(), otherK, otherV);
        int prefix = (cut + 1) * c.numHeads() * c.headDim();
        for (AttentionAlgorithm algorithm : AttentionAlgorithm.values()) {
            float[] before = AttentionRunner.run(algorithm, c);
            float[] after = AttentionRunner.run(algorithm, changed);
            assertArrayEquals(Arrays.copyOf(before, prefix), Arrays.copyOf(after, prefix), algorithm + " rows up to " + cut);
        }
        float[] dOut = AttentionCase.uniform(random, c.q().length);
        Result before = AttentionBackwardRunner.runPlain(c, dOut);
        Result after = AttentionBackwardRunner.runPlain(changed, dOut);
        for (int h = 0; h < c.numHeads(); h++) {
            for (int i = 0; i <= cut; i++) {
                for (int d = 0; d < c.headDim(); d++) {
                    int at = c.queryIndex(0, i, h, d);
                    assertEquals(before.dq()[at], after.dq()[at], "dq of row " + i + " head " + h);
                }
            }
        }
    }
}
