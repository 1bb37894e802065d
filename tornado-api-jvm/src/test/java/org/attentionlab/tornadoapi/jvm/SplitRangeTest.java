package org.attentionlab.tornadoapi.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The blocks of a split loop cover the sequential loop's iterations exactly once, in order, and evenly. */
class SplitRangeTest {

    /** The values i takes in {@code for (i = first; i < bound (<= if inclusive); i += step)}, as Java runs it. */
    private static List<Integer> sequential(int first, int bound, boolean inclusive, int step) {
        List<Integer> values = new ArrayList<>();
        for (int i = first; inclusive ? i <= bound : i < bound; i += step) {
            values.add(i);
        }
        return values;
    }

    /** The same loop run as parts blocks, each as the variant runs its block: from start(part) while i < start(part + 1). */
    private static List<List<Integer>> blocks(int first, int bound, boolean inclusive, int step, int parts) {
        int flag = inclusive ? 1 : 0;
        List<List<Integer>> blocks = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            List<Integer> block = new ArrayList<>();
            int end = SplitRange.start(first, bound, flag, step, p + 1, parts);
            for (int i = SplitRange.start(first, bound, flag, step, p, parts); i < end; i += step) {
                block.add(i);
            }
            blocks.add(block);
        }
        return blocks;
    }

    @Test
    void blocksPartitionTheIterationsEvenly() {
        Random random = new Random(7);
        int[] parts = { 1, 2, 3, 7, 16 };
        for (int trial = 0; trial < 3000; trial++) {
            int first = random.nextInt(61) - 30;
            int bound = random.nextInt(121) - 40;
            boolean inclusive = random.nextBoolean();
            int step = 1 + random.nextInt(trial % 3 == 0 ? 5 : 1);
            int p = parts[trial % parts.length];
            List<Integer> expected = sequential(first, bound, inclusive, step);
            List<List<Integer>> blocks = blocks(first, bound, inclusive, step, p);
            List<Integer> joined = new ArrayList<>();
            int smallest = Integer.MAX_VALUE;
            int largest = 0;
            for (List<Integer> b : blocks) {
                joined.addAll(b);
                smallest = Math.min(smallest, b.size());
                largest = Math.max(largest, b.size());
            }
            String loop = "for (i = " + first + "; i " + (inclusive ? "<=" : "<") + " " + bound + "; i += " + step + ") in " + p + " parts";
            assertEquals(expected, joined, loop);
            assertEquals(expected.size(), SplitRange.iterations(first, bound, inclusive ? 1 : 0, step), loop);
            assertTrue(largest - smallest <= 1, loop + ": blocks of " + smallest + " to " + largest + " iterations");
        }
    }

    @Test
    void extremeBoundsStayExact() {
        assertEquals(List.of(Integer.MAX_VALUE - 2, Integer.MAX_VALUE - 1),
                blocks(Integer.MAX_VALUE - 2, Integer.MAX_VALUE, false, 1, 3).stream().flatMap(List::stream).toList());
        assertEquals(List.of(Integer.MIN_VALUE, Integer.MIN_VALUE + 1), blocks(Integer.MIN_VALUE, Integer.MIN_VALUE + 1, true, 1, 2).stream()
                .flatMap(List::stream).toList());
        assertEquals((long) Integer.MAX_VALUE - Integer.MIN_VALUE, SplitRange.iterations(Integer.MIN_VALUE, Integer.MAX_VALUE, 0, 1));
    }

    @Test
    void aLoopWhoseCounterWouldOverflowIsAnError() {
        // for (i = 0; i <= MAX_VALUE; i++) never ends in Java: its last block cannot end either
        assertThrows(ArithmeticException.class, () -> SplitRange.start(0, Integer.MAX_VALUE, 1, 1, 2, 2));
    }

    @Test
    void outerLoopIsSplitWhenItsIterationsShareEvenlyOrAreMany() {
        assertEquals(2, SplitRange.outerParts(0, 8, 0, 1, 2), "8 heads on 2 threads");
        assertEquals(1, SplitRange.outerParts(0, 8, 0, 1, 3), "8 heads on 3 threads: the inner loop instead");
        assertEquals(1, SplitRange.outerParts(0, 1, 0, 1, 2), "batch 1");
        assertEquals(3, SplitRange.outerParts(0, 13, 0, 1, 3), "13 >= 4 x 3 iterations");
        assertEquals(1, SplitRange.outerParts(0, 0, 0, 1, 2), "no iterations");
        assertEquals(1, SplitRange.outerParts(0, 5, 0, 1, 1), "one thread");
    }
}
