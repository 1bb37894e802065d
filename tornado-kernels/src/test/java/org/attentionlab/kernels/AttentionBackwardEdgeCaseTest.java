package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.testing.AttentionBackwardRunner;
import org.attentionlab.kernels.testing.AttentionBackwardRunner.Result;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.Closeness;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Named edge cases of the attention backward kernels; the float64 reference is the oracle unless said otherwise. */
class AttentionBackwardEdgeCaseTest {

    private static AttentionCase withAlibi(AttentionCase c) {
        return c.withBias(PositionalBiases.ALIBI, PositionalBiases.alibiSlopes(c.numHeads()).toHeapArray(), 0f);
    }

    private static float[] outputGradient(AttentionCase c, long seed) {
        return AttentionCase.uniform(new Random(seed), c.q().length);
    }

    /**
     * A query that sees only its own key has P = 1 exactly (L is its one logit), its output is its value row, and
     * D = dOut . v: so dS = 0 and dq = dk = 0 exactly, and dv of key j is the sum of dOut over the query heads of
     * its group at position j, in the kernel's order.
     */
    @Test
    void aWindowOfOneKeyPassesTheGradientStraightToV() {
        Window causalW1 = Window.causalSliding(1);
        AttentionCase base = AttentionCase.random(21, 2, 19, 6, 2, 5, causalW1.left(), causalW1.right());
        AttentionCase localW1 = base.withWindow(Window.bidirectionalLocal(1).left(), Window.bidirectionalLocal(1).right());
        AttentionCase lengthOne = AttentionCase.random(22, 3, 1, 4, 4, 3, AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED);
        for (AttentionCase c : new AttentionCase[] { base, withAlibi(base), base.withBias(PositionalBiases.APE, new float[] { 0f }, 0.7f), localW1,
                lengthOne }) {
            float[] dOut = outputGradient(c, 23);
            Result result = AttentionBackwardRunner.runPlain(c, dOut);
            assertArrayEquals(new float[c.q().length], result.dq(), 0f, "dq " + c);
            assertArrayEquals(new float[c.k().length], result.dk(), 0f, "dk " + c);
            int group = c.numHeads() / c.numKvHeads();
            float[] expected = new float[c.v().length];
            for (int b = 0; b < c.batch(); b++) {
                for (int j = 0; j < c.seqLen(); j++) {
                    for (int h = 0; h < c.numHeads(); h++) {
                        for (int d = 0; d < c.headDim(); d++) {
                            expected[c.kvIndex(b, j, h / group, d)] += dOut[c.queryIndex(b, j, h, d)];
                        }
                    }
                }
            }
            assertArrayEquals(expected, result.dv(), 0f, "dv " + c);
        }
    }

    /** Every token global is full attention: the same keys and queries in the same order, so the same bits. */
    @Test
    void allTokensGlobalIsFullAttention() {
        int seqLen = 11;
        int[] all = new int[seqLen];
        for (int i = 0; i < seqLen; i++) {
            all[i] = i;
        }
        Window causal = Window.causal();
        AttentionCase allGlobal = withAlibi(AttentionCase.random(24, 2, seqLen, 3, 1, 6, causal.left(), causal.right(), all));
        float[] dOut = outputGradient(allGlobal, 25);
        Result global = AttentionBackwardRunner.runPlain(allGlobal, dOut);
        AttentionBackwardPropertyTest.assertMatchesReference(allGlobal, dOut, global, "all global");
        Result full = AttentionBackwardRunner.runPlain(
                new AttentionCase(allGlobal.batch(), seqLen, 3, 1, 6, AttentionCase.uniformWindows(3, AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED), false,
                        new int[0], allGlobal.biasKind(),
                        allGlobal.slopes(), 0f, allGlobal.scale(), 8, allGlobal.q(), allGlobal.k(), allGlobal.v()),
                dOut);
        assertArrayEquals(full.dq(), global.dq(), 0f);
        assertArrayEquals(full.dk(), global.dk(), 0f);
        assertArrayEquals(full.dv(), global.dv(), 0f);
    }

    /**
     * Without causality (the flag off, a one-sided band), a global token at the last position is a key every earlier
     * query sees: its dk and dv collect every query's share, which the reference confirms. With the flag on, see
     * {@link GlobalTokensCausalTest}: no earlier query sees it.
     */
    @Test
    void aGlobalTokenAtTheLastPositionReceivesGradientFromEveryQuery() {
        int seqLen = 17;
        Window causalW3 = Window.causalSliding(3);
        for (AttentionCase c : new AttentionCase[] { AttentionCase.random(26, 1, seqLen, 2, 2, 4, causalW3.left(), causalW3.right(), seqLen - 1),
                withAlibi(AttentionCase.random(27, 2, seqLen, 4, 2, 3, Window.causal().left(), 0, 0, seqLen - 1)) }) {
            float[] dOut = outputGradient(c, 28);
            Result result = AttentionBackwardRunner.runPlain(c, dOut);
            AttentionBackwardPropertyTest.assertMatchesReference(c, dOut, result, c.toString());
            // Query 0 sees the last key only because it is global: its share moves the last key's dv away from zero.
            for (int d = 0; d < c.headDim(); d++) {
                assertTrue(result.dv()[c.kvIndex(0, seqLen - 1, 0, d)] != 0f);
            }
        }
    }

    /**
     * Logits of about 1e4 (scale +-1e4): L, dq, dk, dv finite. The logits carry fp32 rounding of about 1e-3 (a dot
     * product's error times 1e4), so L is checked to 1e-2. The softmax is all but one-hot, so dS is 0 but for
     * near-tied keys, where that rounding changes P by about 1e-3 relative: the gradients' tolerance is 1e-2 of
     * their magnitude (which holds the factor scale; the worst error seen is 1.2e-4 of it, dv at a near tie).
     */
    @Test
    void logitsOfTenThousandGiveFiniteGradients() {
        for (float scale : new float[] { 1e4f, -1e4f }) {
            AttentionCase c = withAlibi(AttentionCase.random(29, 2, 40, 4, 2, 12, Window.causalSliding(9).left(), 0, 3, 30)).withScale(scale);
            float[] dOut = outputGradient(c, 30);
            Result result = AttentionBackwardRunner.runPlain(c, dOut);
            for (float[] values : new float[][] { result.logSumExp(), result.dq(), result.dk(), result.dv() }) {
                Closeness.assertFinite("scale " + scale, values);
            }
            Closeness.assertClose("L at scale " + scale, c.referenceLogSumExp(), result.logSumExp(), 1e-2, 0);
            var want = c.referenceGradients(dOut);
            Closeness.assertWithin("dq at scale " + scale, want.dq(), result.dq(), bound(want.dqMagnitude(), 1e-2));
            Closeness.assertWithin("dk at scale " + scale, want.dk(), result.dk(), bound(want.dkMagnitude(), 1e-2));
            Closeness.assertWithin("dv at scale " + scale, want.dv(), result.dv(), bound(want.dvMagnitude(), 1e-2));
        }
    }

    private static double[] bound(double[] magnitude, double rel) {
        double[] bound = new double[magnitude.length];
        for (int e = 0; e < magnitude.length; e++) {
            bound[e] = 1e-6 + rel * magnitude[e];
        }
        return bound;
    }

    /**
     * GQA is MHA with each kv head repeated for its group: dq equals bit for bit, and dk, dv of a shared kv head are
     * the sums of the repeated heads' (to fp32 rounding: the kernel sums heads and queries in one accumulator).
     */
    @Test
    void groupedQueryGradientsAreSumsOverTheGroup() {
        int heads = 6;
        int kvHeads = 2;
        int group = heads / kvHeads;
        AttentionCase gqa = withAlibi(AttentionCase.random(31, 2, 23, heads, kvHeads, 5, 4, 2, 7));
        float[] repeatedK = new float[gqa.q().length];
        float[] repeatedV = new float[gqa.q().length];
        for (int b = 0; b < gqa.batch(); b++) {
            for (int j = 0; j < gqa.seqLen(); j++) {
                for (int h = 0; h < heads; h++) {
                    for (int d = 0; d < gqa.headDim(); d++) {
                        repeatedK[gqa.queryIndex(b, j, h, d)] = gqa.k()[gqa.kvIndex(b, j, h / group, d)];
                        repeatedV[gqa.queryIndex(b, j, h, d)] = gqa.v()[gqa.kvIndex(b, j, h / group, d)];
                    }
                }
            }
        }
        AttentionCase mha = new AttentionCase(gqa.batch(), gqa.seqLen(), heads, heads, gqa.headDim(), gqa.windows(), gqa.causal(),
                gqa.globalTokens(), gqa.biasKind(), gqa.slopes(), gqa.apeScale(), gqa.scale(), 8, gqa.q(), repeatedK, repeatedV);
        float[] dOut = outputGradient(gqa, 32);
        Result grouped = AttentionBackwardRunner.runPlain(gqa, dOut);
        Result repeated = AttentionBackwardRunner.runPlain(mha, dOut);
        assertArrayEquals(repeated.dq(), grouped.dq(), 0f);
        double[] dkSum = new double[gqa.k().length];
        double[] dvSum = new double[gqa.v().length];
        for (int b = 0; b < gqa.batch(); b++) {
            for (int j = 0; j < gqa.seqLen(); j++) {
                for (int h = 0; h < heads; h++) {
                    for (int d = 0; d < gqa.headDim(); d++) {
                        dkSum[gqa.kvIndex(b, j, h / group, d)] += repeated.dk()[mha.kvIndex(b, j, h, d)];
                        dvSum[gqa.kvIndex(b, j, h / group, d)] += repeated.dv()[mha.kvIndex(b, j, h, d)];
                    }
                }
            }
        }
        Closeness.assertClose("dk", dkSum, grouped.dk(), 1e-6, 1e-5);
        Closeness.assertClose("dv", dvSum, grouped.dv(), 1e-6, 1e-5);
    }

    /** A causal window of W >= L keys is causal attention: the same keys in the same order, so the same bits. */
    @Test
    void windowsOfAtLeastSeqLenEqualCausal() {
        int seqLen = 21;
        AttentionCase causal = withAlibi(AttentionCase.random(33, 1, seqLen, 2, 1, 4, Window.causal().left(), 0));
        float[] dOut = outputGradient(causal, 34);
        Result expected = AttentionBackwardRunner.runPlain(causal, dOut);
        for (int w : new int[] { seqLen, seqLen + 5 }) {
            Result sliding = AttentionBackwardRunner.runPlain(causal.withWindow(Window.causalSliding(w).left(), 0), dOut);
            assertArrayEquals(expected.dq(), sliding.dq(), 0f);
            assertArrayEquals(expected.dk(), sliding.dk(), 0f);
            assertArrayEquals(expected.dv(), sliding.dv(), 0f);
        }
    }

    /**
     * The kernels read only what a query or key can see (O(L W), not a masked O(L^2) loop): with keys 8..59
     * poisoned with NaN, dq of every non-global query whose band avoids them is right; with queries and dOut
     * 8..59 poisoned, dk and dv of every non-global key whose queries avoid them are right. A read of a poisoned
     * row would make the result NaN (a masked term is still NaN times 0). Global token 4 is exempt on both sides.
     */
    @Test
    void slidingWindowGradientsNeverReadOutsideTheBand() {
        int seqLen = 80;
        int w = 5;
        int firstPoisoned = 8;
        int endPoisoned = 60;
        AttentionCase clean = withAlibi(AttentionCase.random(35, 1, seqLen, 2, 1, 3, Window.causalSliding(w).left(), 0, 4));
        float[] dOut = outputGradient(clean, 36);
        var want = clean.referenceGradients(dOut);
        float[] k = clean.k().clone();
        float[] v = clean.v().clone();
        float[] q = clean.q().clone();
        float[] poisonedDOut = dOut.clone();
        for (int position = firstPoisoned; position < endPoisoned; position++) {
            for (int d = 0; d < clean.headDim(); d++) {
                k[clean.kvIndex(0, position, 0, d)] = Float.NaN;
                v[clean.kvIndex(0, position, 0, d)] = Float.NaN;
                for (int h = 0; h < clean.numHeads(); h++) {
                    q[clean.queryIndex(0, position, h, d)] = Float.NaN;
                    poisonedDOut[clean.queryIndex(0, position, h, d)] = Float.NaN;
                }
            }
        }
        Result keysPoisoned = AttentionBackwardRunner.runPlain(clean.withInputs(clean.q(), k, v), dOut);
        Result queriesPoisoned = AttentionBackwardRunner.runPlain(clean.withInputs(q, clean.k(), clean.v()), poisonedDOut);
        int checkedQueries = 0;
        int checkedKeys = 0;
        for (int position = 0; position < seqLen; position++) {
            if (position == 4) {
                continue;
            }
            if (position < firstPoisoned || position - (w - 1) >= endPoisoned) {
                checkedQueries++;
                for (int h = 0; h < clean.numHeads(); h++) {
                    for (int d = 0; d < clean.headDim(); d++) {
                        int at = clean.queryIndex(0, position, h, d);
                        assertEquals(want.dq()[at], keysPoisoned.dq()[at], 1e-6 + 1e-5 * want.dqMagnitude()[at], "dq of query " + position);
                    }
                }
            }
            if (position + (w - 1) < firstPoisoned || position >= endPoisoned) {
                checkedKeys++;
                for (int d = 0; d < clean.headDim(); d++) {
                    int at = clean.kvIndex(0, position, 0, d);
                    assertEquals(want.dk()[at], queriesPoisoned.dk()[at], 1e-6 + 1e-5 * want.dkMagnitude()[at], "dk of key " + position);
                    assertEquals(want.dv()[at], queriesPoisoned.dv()[at], 1e-6 + 1e-5 * want.dvMagnitude()[at], "dv of key " + position);
                }
            }
        }
        assertTrue(checkedQueries >= 20 && checkedKeys >= 20, checkedQueries + " queries, " + checkedKeys + " keys checked");
    }

    @Test
    void rowStatisticsHoldLThenD() {
        assertEquals(2 * 3 * 5 * 7, AttentionKernels.backwardRowStatisticsSize(3, 5, 7));
        AttentionCase c = AttentionCase.random(37, 2, 9, 4, 2, 6, 3, 1, 5);
        float[] dOut = outputGradient(c, 38);
        Result result = AttentionBackwardRunner.runPlain(c, dOut);
        double[] out = c.reference();
        double[] expectedD = new double[c.batch() * c.numHeads() * c.seqLen()];
        for (int b = 0; b < c.batch(); b++) {
            for (int h = 0; h < c.numHeads(); h++) {
                for (int i = 0; i < c.seqLen(); i++) {
                    for (int d = 0; d < c.headDim(); d++) {
                        expectedD[(b * c.numHeads() + h) * c.seqLen() + i] += dOut[c.queryIndex(b, i, h, d)] * out[c.queryIndex(b, i, h, d)];
                    }
                }
            }
        }
        Closeness.assertClose("D", expectedD, result.rowDot(), 1e-6, 1e-5);
        Closeness.assertClose("L", c.referenceLogSumExp(), result.logSumExp(), 1e-6, 1e-6);
    }

    /**
     * The queries keyValueGradient walks for key j (its query band plus the global queries outside it, all queries
     * if j is global, by visibleKeyCount/visibleKey) are exactly, in ascending order, the queries i with
     * isVisible(i, j): every L up to 12, every pair of window sides up to L + 1 and unbounded, five sets of globals,
     * causal and not.
     */
    @Test
    void theQueriesEnumeratedForAKeyAreExactlyThoseThatSeeIt() {
        int checked = 0;
        for (int seqLen = 1; seqLen <= 12; seqLen++) {
            for (int[] globalPositions : new int[][] { {}, { 0 }, { seqLen - 1 }, { 0, seqLen / 2, seqLen - 1 }, { seqLen / 3 } }) {
                IntArray globals = AttentionMasks.globalTokens(globalPositions);
                int numGlobal = (int) java.util.Arrays.stream(globalPositions).distinct().count();
                for (int left = 0; left <= seqLen + 2; left++) {
                    for (int right = 0; right <= seqLen + 2; right++) {
                        int windowLeft = left == seqLen + 2 ? AttentionMasks.UNBOUNDED : left;
                        int windowRight = right == seqLen + 2 ? AttentionMasks.UNBOUNDED : right;
                        for (int causal = 0; causal <= 1; causal++) {
                            for (int key = 0; key < seqLen; key++) {
                                boolean keyIsGlobal = AttentionMasks.isGlobal(globals, numGlobal, key);
                                int from = AttentionMasks.globalsBelow(globals, numGlobal, AttentionMasks.queryFloor(key, causal));
                                int start = AttentionMasks.queriesStart(key, keyIsGlobal, windowRight, causal);
                                int end = AttentionMasks.queriesEnd(key, keyIsGlobal, windowLeft, seqLen);
                                int before = AttentionMasks.globalsBelow(globals, numGlobal, start);
                                int through = AttentionMasks.globalsBelow(globals, numGlobal, end);
                                int count = AttentionMasks.visibleKeyCount(start, end, from, before, through, numGlobal);
                                int t = 0;
                                for (int query = 0; query < seqLen; query++) {
                                    if (AttentionMasks.isVisible(query, key, windowLeft, windowRight, causal, globals, numGlobal)) {
                                        assertTrue(t < count, "too few queries for key " + key);
                                        assertEquals(query, AttentionMasks.visibleKey(t, start, end, globals, from, before, through));
                                        t++;
                                    }
                                }
                                assertEquals(t, count, "queries of key " + key + ", L " + seqLen + ", window (" + windowLeft + ", " + windowRight + ")"
                                        + ", causal " + causal);
                                checked++;
                            }
                        }
                    }
                }
            }
        }
        assertTrue(checked > 10_000);
    }

    /**
     * The register-tiled backward (blocks of 16 queries and of 16 keys, query and key tiles of 16) on named shapes
     * that exercise its padding and key/query enumeration: L below a block, L not a multiple of 16, windows that are
     * not a tile multiple, asymmetric per-head bands, global tokens inside and outside the bands (causal and not),
     * GQA, ALiBi and APE, head_dim 45 (not a multiple of the 8-dimension register tile) and 64: against the float64
     * reference, and against the per-row kernels within float rounding.
     */
    @Test
    void registerTilesMatchTheReferenceOnNamedShapes() {
        Window causalW13 = Window.causalSliding(13);
        Window local6 = Window.bidirectionalLocal(6);
        AttentionCase[] cases = {
                AttentionCase.random(40, 2, 5, 2, 1, 8, causalW13.left(), causalW13.right()).withCausal(true),
                AttentionCase.random(41, 1, 37, 4, 2, 45, causalW13.left(), causalW13.right()).withCausal(true),
                withAlibi(AttentionCase.random(42, 2, 33, 8, 2, 16, local6.left(), local6.right(), 0, 17, 32)),
                AttentionCase.random(43, 1, 50, 4, 4, 64, 21, 0, 3, 40).withCausal(true).withBias(PositionalBiases.APE, new float[] { 0f }, 0.7f),
                AttentionCase.random(44, 1, 29, 3, 1, 7, AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED, 28),
                AttentionCase.random(45, 2, 31, 4, 2, 12, 0, 0).withWindows(new int[] { 3, 19, 17, 0, 0, 5, 40, 40 }).withGlobalTokens(15, 16),
                AttentionCase.random(46, 1, 16, 2, 2, 9, causalW13.left(), causalW13.right(), 15).withCausal(true) };
        for (AttentionCase c : cases) {
            float[] dOut = outputGradient(c, 47);
            Result tiled = AttentionBackwardRunner.runTiled(c, dOut, "tiledEdgeCases");
            AttentionBackwardPropertyTest.assertMatchesReference(c, dOut, tiled, "register tiles, " + c);
            Result rows = AttentionBackwardRunner.runPlain(c, dOut);
            Closeness.assertClose("L, tiles against rows, " + c, Closeness.toDoubles(rows.logSumExp()), tiled.logSumExp(), 1e-5, 1e-5);
            Closeness.assertClose("dq, tiles against rows, " + c, Closeness.toDoubles(rows.dq()), tiled.dq(), 1e-5, 1e-4);
            Closeness.assertClose("dk, tiles against rows, " + c, Closeness.toDoubles(rows.dk()), tiled.dk(), 1e-5, 1e-4);
            Closeness.assertClose("dv, tiles against rows, " + c, Closeness.toDoubles(rows.dv()), tiled.dv(), 1e-5, 1e-4);
        }
    }

    /** A head dimension above the tiles' {@link AttentionKernels#FLASH_MAX_HEAD_DIM} takes the rows, and asking for tiles anyway is refused. */
    @Test
    void headDimensionsAboveTheTilesTakeTheRows() {
        AttentionCase c = AttentionCase.random(48, 1, 3, 1, 1, AttentionKernels.FLASH_MAX_HEAD_DIM + 1, 1, 0);
        AttentionLaunch launch = new AttentionLaunch(AttentionLaunch.Algorithm.STANDARD, 1, 3, 1, 1, c.headDim(), c.kernelWindows(), false,
                IntArray.fromArray(new int[] { 0 }), 0, PositionalBiases.NONE, FloatArray.fromArray(new float[] { 0f }), 0f, c.scale(), 8);
        assertEquals(AttentionLaunch.Backward.ROWS, launch.backwardKernels(true));
        assertEquals(AttentionLaunch.Backward.ROWS, launch.backwardKernels(false));
        assertThrows(IllegalArgumentException.class, () -> AttentionBackwardRunner.runTiled(c, outputGradient(c, 49), "tooWide"));
        AttentionCase fits = AttentionCase.random(48, 1, 3, 1, 1, AttentionKernels.FLASH_MAX_HEAD_DIM, 1, 0);
        assertEquals(AttentionLaunch.Backward.REGISTER_TILES, new AttentionLaunch(AttentionLaunch.Algorithm.STANDARD, 1, 3, 1, 1, fits.headDim(),
                fits.kernelWindows(), false, IntArray.fromArray(new int[] { 0 }), 0, PositionalBiases.NONE, FloatArray.fromArray(new float[] { 0f }), 0f,
                fits.scale(), 8).backwardKernels(true));
    }
}
