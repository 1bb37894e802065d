package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.reference.AttentionReference;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

class AttentionMasksTest {

    private static List<Integer> visibleKeysOfRow(FloatArray mask, int seqLen, int row) {
        List<Integer> keys = new ArrayList<>();
        for (int j = 0; j < seqLen; j++) {
            float m = mask.get(row * seqLen + j);
            assertTrue(m == 0f || m == 1f, "mask entries are 0 or 1");
            if (m == 1f) {
                keys.add(j);
            }
        }
        return keys;
    }

    @Test
    void edificeWindowMaskSixThreeRowFourSeesTwoThreeFour() {
        FloatArray mask = AttentionMasks.windowMask(6, 3);
        assertEquals(36, mask.getSize());
        assertEquals(List.of(2, 3, 4), visibleKeysOfRow(mask, 6, 4));
        assertEquals(List.of(0), visibleKeysOfRow(mask, 6, 0));
        assertEquals(List.of(0, 1, 2), visibleKeysOfRow(mask, 6, 2));
        assertEquals(List.of(3, 4, 5), visibleKeysOfRow(mask, 6, 5));
    }

    @Test
    void windowMaskIsTheCausalBandOfWKeysIncludingTheQuery() {
        for (int seqLen = 1; seqLen <= 9; seqLen++) {
            for (int w = 0; w <= seqLen + 2; w++) {
                FloatArray mask = AttentionMasks.windowMask(seqLen, w);
                for (int i = 0; i < seqLen; i++) {
                    for (int j = 0; j < seqLen; j++) {
                        boolean hfSlidingWindow = j <= i && j > i - w;
                        assertEquals(hfSlidingWindow ? 1f : 0f, mask.get(i * seqLen + j), "L=" + seqLen + " W=" + w + " (" + i + "," + j + ")");
                    }
                    assertEquals(Math.min(w, i + 1), visibleKeysOfRow(mask, seqLen, i).size());
                }
            }
        }
    }

    @Test
    void causalMaskIsLowerTriangularWithDiagonal() {
        FloatArray mask = AttentionMasks.causalMask(4);
        float[] expected = { 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1 };
        assertArrayEquals(expected, mask.toHeapArray());
        assertArrayEquals(AttentionMasks.causalMask(7).toHeapArray(), AttentionMasks.windowMask(7, 7).toHeapArray());
        assertArrayEquals(AttentionMasks.causalMask(7).toHeapArray(), AttentionMasks.windowMask(7, 100).toHeapArray());
    }

    @Test
    void causalSlidingWindowMatchesEdificeHuggingFaceFlashAttentionAndStrictFlexAttention() {
        int seqLen = 11;
        IntArray none = AttentionMasks.globalTokens();
        for (int w = 1; w <= seqLen + 1; w++) {
            Window ours = Window.causalSliding(w);
            assertEquals(new Window(w - 1, 0), ours);
            assertEquals(ours, Window.flashAttention(w - 1, 0), "FlashAttention window_size=(W-1, 0)");
            float[] dense = AttentionMasks.denseMask(seqLen, ours.left(), ours.right(), 1, none, 0).toHeapArray();
            assertArrayEquals(AttentionMasks.windowMask(seqLen, w).toHeapArray(), dense, "Edifice window_mask(L, W)");
            for (int q = 0; q < seqLen; q++) {
                int flexStrictKeys = 0;
                int flexLooseKeys = 0;
                for (int kv = 0; kv < seqLen; kv++) {
                    boolean flexStrict = kv <= q && q - kv < w;
                    assertEquals(flexStrict ? 1f : 0f, dense[q * seqLen + kv], "FlexAttention q - kv < W");
                    flexStrictKeys += flexStrict ? 1 : 0;
                    flexLooseKeys += kv <= q && q - kv <= w ? 1 : 0;
                }
                if (q >= w) {
                    // The common "<= W" mask_mod admits one key more than the window: the off-by-one the docs warn about.
                    assertEquals(w, flexStrictKeys);
                    assertEquals(w + 1, flexLooseKeys);
                }
            }
        }
    }

    @Test
    void windowFactoriesGiveTheDocumentedSides() {
        assertEquals(new Window(AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED), Window.full());
        assertEquals(new Window(AttentionMasks.UNBOUNDED, 0), Window.causal());
        assertEquals(Window.full(), Window.flashAttention(-1, -1));
        assertEquals(Window.causal(), Window.flashAttention(-1, 0));
        assertEquals(new Window(2, 2), Window.bidirectionalLocal(4));
        assertEquals(new Window(2, 2), Window.bidirectionalLocal(5));
        assertEquals(new Window(0, 0), Window.bidirectionalLocal(1));
        assertEquals(2, AttentionMasks.causalWindowLeft(3));
        assertTrue(Window.full().coversAll(10));
        assertTrue(new Window(9, 9).coversAll(10));
        assertFalse(new Window(8, 9).coversAll(10));
        assertThrows(IllegalArgumentException.class, () -> Window.causalSliding(0));
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.causalWindowLeft(0));
        assertThrows(IllegalArgumentException.class, () -> new Window(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> Window.bidirectionalLocal(-2));
    }

    @Test
    void fullAndCausalWithSeqLenSidesEqualUnbounded() {
        int seqLen = 9;
        IntArray none = AttentionMasks.globalTokens();
        assertArrayEquals(AttentionMasks.denseMask(seqLen, seqLen, seqLen, 0, none, 0).toHeapArray(),
                AttentionMasks.denseMask(seqLen, Window.full().left(), Window.full().right(), 0, none, 0).toHeapArray());
        assertArrayEquals(AttentionMasks.causalMask(seqLen).toHeapArray(), AttentionMasks.denseMask(seqLen, seqLen, 0, 0, none, 0).toHeapArray());
        assertArrayEquals(AttentionMasks.causalMask(seqLen).toHeapArray(), AttentionMasks.denseMask(seqLen, seqLen, seqLen, 1, none, 0).toHeapArray(),
                "the causal flag cuts a two-sided band to the causal mask");
        float[] full = AttentionMasks.denseMask(seqLen, AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED, 0, none, 0).toHeapArray();
        for (float f : full) {
            assertEquals(1f, f);
        }
    }

    @Test
    void longformerLocalWindowWithGlobalTokens() {
        int seqLen = 10;
        Window local = Window.bidirectionalLocal(2);
        IntArray globals = AttentionMasks.globalTokens(7, 0);
        FloatArray mask = AttentionMasks.denseMask(seqLen, local.left(), local.right(), 0, globals, 2);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), visibleKeysOfRow(mask, seqLen, 0), "a global query sees every key");
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), visibleKeysOfRow(mask, seqLen, 7));
        assertEquals(List.of(0, 2, 3, 4, 7), visibleKeysOfRow(mask, seqLen, 3), "band {2,3,4} plus the global keys 0 and 7");
        assertEquals(List.of(0, 7, 8, 9), visibleKeysOfRow(mask, seqLen, 9));
        for (int i = 0; i < seqLen; i++) {
            assertEquals(1f, mask.get(i * seqLen + 7), "every query sees a global key");
        }
    }

    /**
     * configs/README.md: in a causal model a global token at g attends to every key up to g (past its window) and every
     * query from g on attends to it; nothing sees a later key. Causal window of 2 keys, globals 0 and 6, L = 10.
     */
    @Test
    void causalGlobalTokensSeeThePastAndAreSeenByTheFuture() {
        int seqLen = 10;
        Window sliding = Window.causalSliding(2);
        FloatArray mask = AttentionMasks.denseMask(seqLen, sliding.left(), sliding.right(), 1, AttentionMasks.globalTokens(0, 6), 2);
        assertEquals(List.of(0), visibleKeysOfRow(mask, seqLen, 0), "a global token at 0 sees itself only");
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), visibleKeysOfRow(mask, seqLen, 6), "a global token at 6 sees every key up to 6");
        assertEquals(List.of(0, 3, 4), visibleKeysOfRow(mask, seqLen, 4), "window {3, 4} plus global 0, not the later global 6");
        assertEquals(List.of(0, 6, 8, 9), visibleKeysOfRow(mask, seqLen, 9), "window {8, 9} plus both globals");
        assertEquals(List.of(0, 6, 7), visibleKeysOfRow(mask, seqLen, 7), "window {6, 7} already holds global 6");
        for (int j = 1; j < seqLen; j++) {
            assertEquals(0f, mask.get(j), "query 0 sees no later key, global or not");
        }
    }

    @Test
    void globalTokenArraysAreSortedDistinctAndNeverEmpty() {
        assertArrayEquals(new int[] { 2, 5, 9 }, AttentionMasks.globalTokens(9, 2, 5, 2).toHeapArray());
        assertEquals(1, AttentionMasks.globalTokens().getSize());
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.globalTokens(-1, 3));
        AttentionMasks.checkGlobalTokens(IntArray.fromElements(1, 4), 2, 5);
        AttentionMasks.checkGlobalTokens(new IntArray(1), 0, 5);
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.checkGlobalTokens(IntArray.fromElements(4, 1), 2, 5));
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.checkGlobalTokens(IntArray.fromElements(1, 1), 2, 5));
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.checkGlobalTokens(IntArray.fromElements(1, 5), 2, 5));
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.checkGlobalTokens(IntArray.fromElements(1), 2, 5));
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.checkGlobalTokens(new IntArray(0), 0, 5));
    }

    @Test
    void bandEdgesClampWithoutOverflow() {
        assertEquals(0, AttentionMasks.bandStart(5, AttentionMasks.UNBOUNDED));
        assertEquals(10, AttentionMasks.bandEnd(5, AttentionMasks.UNBOUNDED, 10));
        assertEquals(3, AttentionMasks.bandStart(5, 2));
        assertEquals(8, AttentionMasks.bandEnd(5, 2, 10));
        assertEquals(6, AttentionMasks.bandEnd(5, 0, 10));
        assertEquals(10, AttentionMasks.bandEnd(9, 0, 10));
        assertTrue(AttentionMasks.isVisible(0, 9, 0, AttentionMasks.UNBOUNDED, 0, new IntArray(1), 0));
        assertFalse(AttentionMasks.isVisible(0, 9, 0, AttentionMasks.UNBOUNDED, 1, new IntArray(1), 0));
        assertTrue(AttentionMasks.isVisible(9, 0, AttentionMasks.UNBOUNDED, 0, 1, new IntArray(1), 0));
    }

    @Test
    void maxVisibleKeysIsTheWidestRow() {
        assertEquals(256, AttentionMasks.maxVisibleKeys(4096, windows(255, 0), 1, 0));
        assertEquals(4096, AttentionMasks.maxVisibleKeys(4096, windows(255, 0), 1, 1), "a global query sees every key");
        assertEquals(4096, AttentionMasks.maxVisibleKeys(4096, windows(AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED), 1, 0));
        assertEquals(9, AttentionMasks.maxVisibleKeys(20, windows(4, 4), 1, 0));
        assertEquals(3, AttentionMasks.maxVisibleKeys(3, windows(4, 4), 1, 0));
        assertEquals(64, AttentionMasks.maxVisibleKeys(4096, windows(7, 0, 15, 0, 31, 0, 63, 0), 4, 0), "the widest head's band");
        assertEquals(16, AttentionMasks.maxVisibleKeys(4096, windows(7, 0, 15, 0, 31, 0, 63, 0), 2, 0), "only the first numHeads heads count");
    }

    private static IntArray windows(int... sides) {
        return AttentionMasks.windowsOfSides(sides);
    }

    @Test
    void windowArraysHoldLeftAndRightPerHead() {
        IntArray windows = AttentionMasks.windows(Window.causalSliding(8), Window.causalSliding(16), Window.bidirectionalLocal(4));
        int off = AttentionMasks.DROPOUT_OFF;
        assertArrayEquals(new int[] { 7, 0, 15, 0, 2, 2, off, 0, 0 }, windows.toHeapArray(), "the bands, then no dropout");
        assertEquals(Window.causalSliding(16), AttentionMasks.window(windows, 1));
        assertArrayEquals(new int[] { 3, 0, 3, 0, off, 0, 0 }, AttentionMasks.windows(2, Window.causalSliding(4)).toHeapArray());
        assertArrayEquals(new int[] { 3, 0, 3, 0, AttentionMasks.keepThreshold(0.25), -9, -9 },
                AttentionMasks.withDropout(AttentionMasks.windows(2, Window.causalSliding(4)), 2, 0.25, -9).toHeapArray());
        assertEquals(12582912, AttentionMasks.keepThreshold(0.25), "round(0.75 * 2^24)");
        AttentionMasks.checkWindows(windows, 3);
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.checkWindows(windows, 4), "too few elements");
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.checkWindows(IntArray.fromElements(1, -1, off, 0, 0), 1), "negative side");
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.checkWindows(IntArray.fromElements(1, 1, 0, 0, 0), 1), "threshold 0");
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.checkWindows(IntArray.fromElements(1, 1, off + 1, 0, 0), 1), "threshold > 2^24");
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.checkWindows(IntArray.fromElements(1, 1), 1), "no dropout ints");
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.windows(0, Window.full()));
    }

    /**
     * The key sequence the kernels iterate (band plus outside globals, or all keys up to the causal limit for a global
     * query) is exactly the set of visible keys of the float64 reference's mask, in ascending order, causal or not.
     */
    @Property(tries = 300)
    void kernelKeySequenceIsExactlyTheVisibleKeys(@ForAll @IntRange(min = 1, max = 50) int seqLen, @ForAll @IntRange(min = 0, max = 60) int left,
            @ForAll @IntRange(min = 0, max = 60) int right, @ForAll boolean unboundedLeft, @ForAll @IntRange(min = 0, max = 4) int globalCount,
            @ForAll boolean causalMask, @ForAll long seed) {
        int causal = causalMask ? 1 : 0;
        int windowLeft = unboundedLeft ? AttentionMasks.UNBOUNDED : left;
        java.util.Random random = new java.util.Random(seed);
        TreeSet<Integer> chosen = new TreeSet<>();
        while (chosen.size() < Math.min(globalCount, seqLen)) {
            chosen.add(random.nextInt(seqLen));
        }
        int[] globalPositions = chosen.stream().mapToInt(Integer::intValue).toArray();
        IntArray globals = AttentionMasks.globalTokens(globalPositions);
        int numGlobal = globalPositions.length;
        boolean[][] visible = AttentionReference.visibility(seqLen, new AttentionReference.Mask(windowLeft, right, globalPositions, causalMask));
        int widest = 0;
        for (int i = 0; i < seqLen; i++) {
            boolean queryIsGlobal = AttentionMasks.isGlobal(globals, numGlobal, i);
            assertEquals(chosen.contains(i), queryIsGlobal);
            int start = AttentionMasks.keysStart(i, queryIsGlobal, windowLeft);
            int end = AttentionMasks.keysEnd(i, queryIsGlobal, right, causal, seqLen);
            int before = AttentionMasks.globalsBelow(globals, numGlobal, start);
            int through = AttentionMasks.globalsBelow(globals, numGlobal, end);
            int count = AttentionMasks.visibleKeyCount(start, end, 0, before, through,
                    AttentionMasks.globalsBelow(globals, numGlobal, AttentionMasks.keyLimit(i, causal, seqLen)));
            List<Integer> sequence = new ArrayList<>();
            for (int t = 0; t < count; t++) {
                sequence.add(AttentionMasks.visibleKey(t, start, end, globals, 0, before, through));
            }
            List<Integer> expected = new ArrayList<>();
            for (int j = 0; j < seqLen; j++) {
                if (visible[i][j]) {
                    expected.add(j);
                }
                assertEquals(visible[i][j], AttentionMasks.isVisible(i, j, windowLeft, right, causal, globals, numGlobal));
            }
            assertEquals(expected, sequence, "row " + i);
            assertTrue(sequence.contains(i), "a query always sees itself");
            widest = Math.max(widest, count);
        }
        int bound = AttentionMasks.maxVisibleKeys(seqLen, windows(windowLeft, right), 1, numGlobal);
        assertTrue(widest <= bound);
        if (numGlobal == 0 && !causalMask) {
            assertEquals(widest, bound);
        }
    }
}
