package org.attentionlab.kernels;

import org.attentionlab.kernels.testing.AttentionAlgorithm;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.AttentionRunner;
import org.attentionlab.kernels.testing.Close;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Named edge cases of the four attention algorithms; the float64 reference is the oracle unless said otherwise. */
class AttentionKernelsEdgeCaseTest {

    private static final double ABS = 1e-5;
    private static final double REL = 1e-4;

    private static AttentionCase withAlibi(AttentionCase c) {
        return c.withBias(PositionalBiases.ALIBI, PositionalBiases.alibiSlopes(c.numHeads()).toHeapArray(), 0f);
    }

    private static AttentionCase withApe(AttentionCase c, float scale) {
        return c.withBias(PositionalBiases.APE, new float[] { 0f }, scale);
    }

    /** The output a query gets when it sees only its own key: its kv head's value row. */
    private static float[] ownValueRows(AttentionCase c) {
        float[] expected = new float[c.q().length];
        int group = c.numHeads() / c.numKvHeads();
        for (int b = 0; b < c.batch(); b++) {
            for (int i = 0; i < c.seqLen(); i++) {
                for (int h = 0; h < c.numHeads(); h++) {
                    for (int d = 0; d < c.headDim(); d++) {
                        expected[c.queryIndex(b, i, h, d)] = c.v()[c.kvIndex(b, i, h / group, d)];
                    }
                }
            }
        }
        return expected;
    }

    @ParameterizedTest
    @EnumSource(AttentionAlgorithm.class)
    void seqLenOneOutputsTheValueRow(AttentionAlgorithm algorithm) {
        AttentionCase base = AttentionCase.random(1, 2, 1, 4, 2, 7, AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED);
        for (AttentionCase c : new AttentionCase[] { base, base.withWindow(0, 0), withAlibi(base), withApe(base, 0.3f),
                AttentionCase.random(2, 1, 1, 3, 3, 5, 0, 0, 0) }) {
            assertArrayEquals(ownValueRows(c), AttentionRunner.run(algorithm, c), 0f, algorithm + " " + c);
        }
    }

    @ParameterizedTest
    @EnumSource(AttentionAlgorithm.class)
    void windowOfOneKeyOutputsTheOwnValueRow(AttentionAlgorithm algorithm) {
        AttentionCase causalW1 = AttentionCase.random(3, 2, 37, 6, 3, 9, Window.causalSliding(1).left(), Window.causalSliding(1).right());
        AttentionCase localW1 = causalW1.withWindow(Window.bidirectionalLocal(1).left(), Window.bidirectionalLocal(1).right());
        for (AttentionCase c : new AttentionCase[] { causalW1, withAlibi(causalW1), withApe(causalW1, 1.5f), localW1, causalW1.withScale(1e4f) }) {
            assertArrayEquals(ownValueRows(c), AttentionRunner.run(algorithm, c), 0f, algorithm + " " + c);
        }
    }

    @ParameterizedTest
    @EnumSource(AttentionAlgorithm.class)
    void windowOfAtLeastSeqLenEqualsCausal(AttentionAlgorithm algorithm) {
        int seqLen = 45;
        AttentionCase causal = withAlibi(AttentionCase.random(4, 2, seqLen, 2, 1, 6, Window.causal().left(), 0));
        float[] expected = AttentionRunner.run(algorithm, causal);
        Close.assertClose(causal.reference(), expected, ABS, REL, algorithm + " causal");
        for (int w : new int[] { seqLen, seqLen + 1, seqLen + 7, AttentionMasks.UNBOUNDED }) {
            AttentionCase sliding = causal.withWindow(Window.causalSliding(w).left(), 0);
            assertArrayEquals(expected, AttentionRunner.run(algorithm, sliding), 0f, algorithm + " W=" + w);
        }
        assertArrayEquals(expected, AttentionRunner.run(algorithm, causal.withWindow(seqLen, 0)), 0f, algorithm + " (L, 0)");
    }

    @ParameterizedTest
    @EnumSource(AttentionAlgorithm.class)
    void oneHead(AttentionAlgorithm algorithm) {
        AttentionCase c = AttentionCase.random(5, 1, 23, 1, 1, 16, Window.causalSliding(5).left(), 0);
        Close.assertClose(c.reference(), AttentionRunner.run(algorithm, c), ABS, REL, algorithm.toString());
    }

    @ParameterizedTest
    @EnumSource(AttentionAlgorithm.class)
    void headDimsThatAreNotMultiplesOfTheTile(AttentionAlgorithm algorithm) {
        for (int headDim : new int[] { 1, 3, 31, 33, 65, 127, AttentionKernels.FLASH_MAX_HEAD_DIM }) {
            AttentionCase c = withAlibi(AttentionCase.random(6 + headDim, 1, 45, 2, 2, headDim, Window.causalSliding(7).left(), 0, 40));
            Close.assertClose(c.reference(), AttentionRunner.run(algorithm, c), ABS, REL, algorithm + " headDim " + headDim);
        }
    }

    @Test
    void flashRejectsHeadDimsAboveItsLimitLoudlyAndTheOthersHandleThem() {
        int tooWide = AttentionKernels.FLASH_MAX_HEAD_DIM + 1;
        assertFalse(AttentionKernels.flashSupportsHeadDim(tooWide));
        assertTrue(AttentionKernels.flashSupportsHeadDim(AttentionKernels.FLASH_MAX_HEAD_DIM));
        AttentionCase c = AttentionCase.random(7, 1, 5, 1, 1, tooWide, 2, 0);
        for (AttentionAlgorithm flash : new AttentionAlgorithm[] { AttentionAlgorithm.FLASH, AttentionAlgorithm.FLASH_TILED, AttentionAlgorithm.FLASH_TILED_8_LANES }) {
            for (float f : AttentionRunner.run(flash, c)) {
                assertTrue(Float.isNaN(f), flash + ": an unsupported head_dim is written as NaN, never as a plausible number");
            }
        }
        for (AttentionAlgorithm algorithm : new AttentionAlgorithm[] { AttentionAlgorithm.STANDARD, AttentionAlgorithm.CHUNKED,
                AttentionAlgorithm.MEMORY_EFFICIENT }) {
            Close.assertClose(c.reference(), AttentionRunner.run(algorithm, c), ABS, REL, algorithm.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(AttentionAlgorithm.class)
    void logitsScaledByTenThousandStayFiniteAndConvex(AttentionAlgorithm algorithm) {
        for (float scale : new float[] { 1e4f, -1e4f }) {
            AttentionCase c = withAlibi(AttentionCase.random(8, 2, 40, 4, 2, 12, Window.causalSliding(9).left(), 0, 3, 30)).withScale(scale);
            float[] got = AttentionRunner.run(algorithm, c);
            double[] want = c.reference();
            for (int i = 0; i < got.length; i++) {
                assertTrue(Float.isFinite(got[i]), algorithm + ": element " + i + " is " + got[i]);
                // Every output is a convex combination of value entries in [-1, 1).
                assertTrue(got[i] >= -1f && got[i] <= 1f, algorithm + ": element " + i + " is " + got[i]);
            }
            // Logits near 1e4 carry fp32 rounding of about 1e-3, which only matters between near-tied keys.
            Close.assertClose(want, got, 1e-2, 0, algorithm + " scale " + scale);
        }
    }

    @Test
    void allAlgorithmsAgreeAcrossSeveralBlocksAndTiles() {
        AttentionCase slidingAlibiGlobals = withAlibi(AttentionCase.random(9, 2, 100, 4, 2, 20, Window.causalSliding(17).left(), 0, 5, 60));
        AttentionCase localApe = withApe(AttentionCase.random(10, 1, 77, 3, 1, 13, 5, 5), 0.7f);
        AttentionCase fullGqa = AttentionCase.random(11, 1, 70, 6, 2, 8, AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED, 69);
        for (AttentionCase c : new AttentionCase[] { slidingAlibiGlobals, localApe, fullGqa }) {
            float[] standard = AttentionRunner.run(AttentionAlgorithm.STANDARD, c);
            Close.assertClose(c.reference(), standard, ABS, REL, "standard " + c);
            for (AttentionAlgorithm other : AttentionAlgorithm.values()) {
                Close.assertClose(standard, AttentionRunner.run(other, c), 2e-6, 2e-6, other + " vs standard on " + c);
            }
        }
    }

    @Test
    void chunkedIsBitwiseStandardForEveryChunkSize() {
        AttentionCase c = withAlibi(AttentionCase.random(12, 2, 31, 2, 1, 5, Window.causalSliding(6).left(), 0, 11));
        float[] standard = AttentionRunner.run(AttentionAlgorithm.STANDARD, c);
        for (int chunk : new int[] { 1, 2, 4, 30, 31, 32, 100 }) {
            assertArrayEquals(standard, AttentionRunner.run(AttentionAlgorithm.CHUNKED, c.withChunkSize(chunk)), 0f, "chunk " + chunk);
        }
        assertEquals(2 * 2 * 4 * 31, AttentionKernels.chunkedScratchSize(2, 2, 4, 31, sides(2, 5, 0), 1), "a global token widens rows to L");
        assertEquals(2 * 2 * 4 * 6, AttentionKernels.chunkedScratchSize(2, 2, 4, 31, sides(2, 5, 0), 0));
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.chunkedScratchSize(1, 1, 0, 5, sides(1, 1, 0), 0));
    }

    @Test
    void memoryEfficientChunkSizesIncludingAboveTheCap() {
        AttentionCase c = withApe(AttentionCase.random(13, 1, 300, 2, 2, 4, Window.causalSliding(200).left(), 0, 7), 0.2f);
        double[] want = c.reference();
        for (int chunk : new int[] { 0, 1, 3, 32, AttentionKernels.MEMORY_EFFICIENT_MAX_CHUNK, AttentionKernels.MEMORY_EFFICIENT_MAX_CHUNK + 1, 1000 }) {
            Close.assertClose(want, AttentionRunner.run(AttentionAlgorithm.MEMORY_EFFICIENT, c.withChunkSize(chunk)), ABS, REL, "chunk " + chunk);
        }
    }

    @Test
    void memoryEfficientHonoursTheWindowUnlikeEdifice() {
        AttentionCase sliding = AttentionCase.random(14, 1, 20, 2, 2, 4, Window.causalSliding(3).left(), 0).withChunkSize(2);
        float[] got = AttentionRunner.run(AttentionAlgorithm.MEMORY_EFFICIENT, sliding);
        Close.assertClose(sliding.reference(), got, ABS, REL, "sliding window W=3");
        double[] causalOnly = sliding.withWindow(AttentionMasks.UNBOUNDED, 0).reference();
        assertTrue(Close.maxAbsError(causalOnly, got) > 1e-2, "a causal-only result (Edifice's memory_efficient_attention) would differ");
    }

    @ParameterizedTest
    @EnumSource(AttentionAlgorithm.class)
    void alibiWithSixAndTwelveHeadsBothSlopeRules(AttentionAlgorithm algorithm) {
        for (int heads : new int[] { 6, 12 }) {
            for (FloatArray slopes : new FloatArray[] { PositionalBiases.alibiSlopes(heads), PositionalBiases.alibiSlopesEdifice(heads) }) {
                AttentionCase c = AttentionCase.random(15 + heads, 1, 19, heads, heads / 3, 6, Window.causalSliding(8).left(), 0)
                        .withBias(PositionalBiases.ALIBI, slopes.toHeapArray(), 0f);
                Close.assertClose(c.reference(), AttentionRunner.run(algorithm, c), ABS, REL, algorithm + " " + heads + " heads");
            }
        }
    }

    /**
     * Sliding-window work is O(L W): keys 8..59 are NaN, so any query that reads one of them (even multiplied by a
     * zero weight) turns NaN. With a causal window of 5 the row kernels must keep rows 0..7 and 64..95 finite and
     * correct; flash reads its block's band (block 64..95: keys 60..95), so its rows 64..95 must be. A kernel that
     * walked keys from 0 (or tiles of them) with a mask would mix keys 32..59 into the tile of keys 60..63. The
     * global token 4 is read by every query and, being a global query, reads everything itself (exempt).
     */
    @ParameterizedTest
    @EnumSource(AttentionAlgorithm.class)
    void slidingWindowKernelsNeverReadKeysOutsideTheBand(AttentionAlgorithm algorithm) {
        int seqLen = 96;
        int w = 5;
        int firstPoisoned = 8;
        int endPoisoned = 60;
        for (int[] globals : new int[][] { {}, { 4 } }) {
            AttentionCase clean = withAlibi(AttentionCase.random(16, 1, seqLen, 2, 1, 3, Window.causalSliding(w).left(), 0, globals));
            float[] k = clean.k().clone();
            float[] v = clean.v().clone();
            for (int position = firstPoisoned; position < endPoisoned; position++) {
                for (int d = 0; d < clean.headDim(); d++) {
                    k[clean.kvIndex(0, position, 0, d)] = Float.NaN;
                    v[clean.kvIndex(0, position, 0, d)] = Float.NaN;
                }
            }
            float[] got = AttentionRunner.run(algorithm, clean.withInputs(clean.q(), k, v));
            double[] want = clean.reference();
            int checkedRows = 0;
            for (int i = 0; i < seqLen; i++) {
                boolean bandIsClean = i < firstPoisoned || i - (w - 1) >= endPoisoned;
                boolean blockIsClean = i >= 2 * AttentionKernels.FLASH_BLOCK_Q;
                boolean isGlobal = globals.length > 0 && i == globals[0];
                if (isGlobal || !bandIsClean || (algorithm.isFlash() && !blockIsClean)) {
                    continue;
                }
                checkedRows++;
                for (int h = 0; h < clean.numHeads(); h++) {
                    for (int d = 0; d < clean.headDim(); d++) {
                        int at = clean.queryIndex(0, i, h, d);
                        assertTrue(Math.abs(got[at] - want[at]) <= ABS + REL * Math.abs(want[at]), algorithm + " row " + i + ": " + got[at] + " vs " + want[at]);
                    }
                }
            }
            assertTrue(checkedRows >= 32, "checked " + checkedRows + " rows");
        }
    }

    @Test
    void standardScratchIsProportionalToTheWindow() {
        assertEquals(8 * 4096 * 256, AttentionKernels.standardScratchSize(1, 8, 4096, AttentionMasks.windows(8, Window.causalSliding(256)), 0));
        assertEquals(8 * 4096 * 4096, AttentionKernels.standardScratchSize(1, 8, 4096, AttentionMasks.windows(8, Window.causal()), 0));
        assertThrows(ArithmeticException.class, () -> AttentionKernels.standardScratchSize(64, 64, 4096, sides(64, AttentionMasks.UNBOUNDED, 0), 0));
    }

    @Test
    void scratchSizesBeyondAnIntAreExactIn64Bits() {
        assertEquals(64L * 64 * 4096 * 4096, AttentionKernels.standardScratchElements(64, 64, 4096, sides(64, AttentionMasks.UNBOUNDED, 0), 0));
        assertEquals(4L * 200_000 * 20_000, AttentionKernels.standardScratchElements(1, 4, 200_000, AttentionMasks.windows(4, Window.causalSliding(20_000)), 0));
        assertEquals(2L * 1024 * 65_536 * 1_000_000, AttentionKernels.chunkedScratchElements(2, 1024, 65_536, 1_000_000, sides(1024, AttentionMasks.UNBOUNDED, 0), 0));
        assertThrows(ArithmeticException.class, () -> AttentionKernels.standardScratchElements(Integer.MAX_VALUE, 1024, Integer.MAX_VALUE,
                sides(1024, AttentionMasks.UNBOUNDED, 0), 0), "beyond a long: an exception, never a wrapped size");
    }

    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "STANDARD", "CHUNKED", "MEMORY_EFFICIENT" })
    void plainJavaCallEqualsTheTaskGraphRun(AttentionAlgorithm algorithm) {
        AttentionCase c = withApe(AttentionCase.random(17, 3, 13, 4, 4, 5, 2, 3, 6), 0.5f).withChunkSize(5);
        assertArrayEquals(AttentionRunner.run(algorithm, c), AttentionRunner.runPlain(algorithm, c), 0f);
    }

    @Test
    void flashGridCoversRowsInBlocksAndBatchTimesHeads() {
        // 33 rows are 3 blocks of 16; the JVM implementation's device is a CPU: one block per work-group.
        WorkerGrid grid = AttentionKernels.flashGrid(2, 3, 33);
        assertArrayEquals(new long[] { 3, 6, 1 }, grid.getGlobalWork());
        assertArrayEquals(new long[] { 1, 1, 1 }, grid.getLocalWork());
        WorkerGrid grouped = AttentionKernels.flashGrid(2, 3, 33, 4);
        assertArrayEquals(new long[] { 4, 6, 1 }, grouped.getGlobalWork());
        assertArrayEquals(new long[] { 4, 1, 1 }, grouped.getLocalWork());
        assertArrayEquals(new long[] { 1, 1, 1 }, AttentionKernels.flashGrid(1, 1, 1).getGlobalWork());
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.flashGrid(1, 0, 5));
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.flashGrid(1, 1, 5, 0));
    }

    /**
     * More visible keys than one flash key tile ({@link AttentionKernels#FLASH_TILE_K}): the online softmax carries
     * its maximum and sum across tiles, a tile may hold no key some row sees (the causal rows of the first block see
     * nothing of the second tile), and a global token seen by all sits in another tile than most of a row's band.
     */
    @ParameterizedTest
    @EnumSource(AttentionAlgorithm.class)
    void severalFlashKeyTiles(AttentionAlgorithm algorithm) {
        int tile = AttentionKernels.FLASH_TILE_K;
        AttentionCase causal = withAlibi(AttentionCase.random(19, 1, 2 * tile + 37, 2, 1, 4, Window.causal().left(), 0));
        Close.assertClose(causal.reference(), AttentionRunner.run(algorithm, causal), ABS, REL, algorithm + " causal over " + causal.seqLen() + " keys");
        AttentionCase window = withApe(AttentionCase.random(20, 1, 2 * tile + 5, 2, 2, 3, tile + 20, 3, tile + 60), 0.2f);
        Close.assertClose(window.reference(), AttentionRunner.run(algorithm, window), ABS, REL, algorithm + " window wider than a tile, a global token");
    }

    @Test
    void flashGivesTheSameResultForOtherLocalSizes() {
        AttentionCase c = withAlibi(AttentionCase.random(18, 2, 41, 2, 1, 7, Window.causalSliding(6).left(), 0, 20));
        double[] want = c.reference();
        float[] one = AttentionRunner.runFlash(c, AttentionKernels.flashGrid(c.batch(), c.numHeads(), c.seqLen(), 1));
        Close.assertClose(want, one, ABS, REL, "one block per group");
        for (int items : new int[] { 2, 3, 8 }) {
            assertArrayEquals(one, AttentionRunner.runFlash(c, AttentionKernels.flashGrid(c.batch(), c.numHeads(), c.seqLen(), items)), items + " blocks per group");
        }
        // A grid wider than the blocks (one item per row, as the previous kernel had): the spare items do nothing.
        WorkerGrid wide = new WorkerGrid2D(c.seqLen(), c.batch() * c.numHeads());
        wide.setLocalWork(c.seqLen(), 1, 1);
        assertArrayEquals(one, AttentionRunner.runFlash(c, wide));
    }

    /** The kernels' window argument: (left, right) repeated for {@code heads} heads. */
    private static IntArray sides(int heads, int left, int right) {
        return AttentionMasks.windowsOfSides(AttentionCase.uniformWindows(heads, left, right));
    }

    @Test
    void argumentChecksRejectInconsistentCalls() {
        FloatArray q = new FloatArray(2 * 5 * 4 * 3);
        FloatArray kv = new FloatArray(2 * 5 * 2 * 3);
        FloatArray slopes = PositionalBiases.alibiSlopes(4);
        IntArray none = AttentionMasks.globalTokens();
        AttentionKernels.checkArguments(q, kv, kv, q, none, 0, slopes, 2, 5, 4, 2, 3, sides(4, 1, 0), 0, PositionalBiases.ALIBI);
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.checkArguments(q, kv, kv, q, none, 0, slopes, 2, 5, 4, 3, 3, sides(4, 1, 0), 0, 0));
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.checkArguments(q, kv, kv, q, none, 0, slopes, 2, 6, 4, 2, 3, sides(4, 1, 0), 0, 0));
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.checkArguments(q, kv, kv, q, none, 0, slopes, 2, 5, 4, 2, 3, sides(4, -1, 0), 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> AttentionKernels.checkArguments(q, kv, kv, q, none, 0, PositionalBiases.noSlopes(), 2, 5, 4, 2, 3, sides(4, 1, 0), 0, PositionalBiases.ALIBI));
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.checkArguments(q, kv, kv, q, none, 0, slopes, 2, 5, 4, 2, 3, sides(4, 1, 0), 0, 3));
        assertThrows(IllegalArgumentException.class,
                () -> AttentionKernels.checkArguments(q, kv, kv, q, IntArray.fromElements(3, 1), 2, slopes, 2, 5, 4, 2, 3, sides(4, 1, 0), 0, 0));
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.checkArguments(q, kv, kv, q, none, 0, slopes, 2, 5, 4, 2, 3, sides(3, 1, 0), 0, 0),
                "a window per head");
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.checkArguments(q, kv, kv, q, none, 0, slopes, 2, 5, 4, 2, 3, sides(4, 1, 0), 2, 0),
                "causal is 0 or 1");
    }

    @Test
    void algorithmNamesMatchTheConfigurationVocabulary() {
        assertEquals(AttentionAlgorithm.STANDARD, AttentionAlgorithm.fromConfigName("standard"));
        assertEquals(AttentionAlgorithm.CHUNKED, AttentionAlgorithm.fromConfigName("chunked"));
        assertEquals(AttentionAlgorithm.MEMORY_EFFICIENT, AttentionAlgorithm.fromConfigName("memory_efficient"));
        assertEquals(AttentionAlgorithm.FLASH, AttentionAlgorithm.fromConfigName("FLASH"));
        assertEquals("memory_efficient", AttentionAlgorithm.MEMORY_EFFICIENT.configName());
        assertThrows(IllegalArgumentException.class, () -> AttentionAlgorithm.fromConfigName("sparse"));
    }
}
