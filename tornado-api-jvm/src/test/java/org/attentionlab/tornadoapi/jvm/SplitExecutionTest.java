package org.attentionlab.tornadoapi.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * A kernel's result in a task graph does not depend on the number of threads its {@code @Parallel} loops are split
 * over: it equals the kernel called as plain Java, bit for bit, on 1, 2, 3 and 7 threads, for loop shapes of
 * tornado-kernels and for shapes that run sequentially, with bounds smaller than the thread count, zero and
 * negative. And the split is real: each thread runs one contiguous block.
 */
class SplitExecutionTest {

    private static final int[] THREAD_COUNTS = { 1, 2, 3, 7 };

    /** A kernel call on x (inputs) and out (the output, random values before the call): through a task graph, and directly. */
    record Case(String name, int inputs, int outputs, BiConsumer<TaskGraph, FloatArray[]> addTask, Consumer<FloatArray[]> callDirectly) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (int n : new int[] { 0, 1, 2, 5, 7, 64, 1000, -3 }) {
            cases.add(new Case("elementwise n=" + n, Math.max(n, 0), Math.max(n, 1), (g, a) -> g.task("t", LoopShapes::elementwise, a[0], a[1], n),
                    a -> LoopShapes.elementwise(a[0], a[1], n)));
            cases.add(new Case("accumulate n=" + n, Math.max(n, 0), Math.max(n, 1), (g, a) -> g.task("t", LoopShapes::accumulate, a[0], a[1], n),
                    a -> LoopShapes.accumulate(a[0], a[1], n)));
            cases.add(new Case("reduction n=" + n, Math.max(n, 0), Math.max(n, 1), (g, a) -> g.task("t", LoopShapes::reduction, a[0], a[1], n),
                    a -> LoopShapes.reduction(a[0], a[1], n)));
            cases.add(new Case("reversed end=" + n, Math.max(n, 0), Math.max(n, 1), (g, a) -> g.task("t", LoopShapes::reversed, a[0], a[1], n),
                    a -> LoopShapes.reversed(a[0], a[1], n)));
            cases.add(new Case("belowZero first=" + -n, 0, Math.max(n, 1), (g, a) -> g.task("t", LoopShapes::belowZero, a[1], -n),
                    a -> LoopShapes.belowZero(a[1], -n)));
        }
        for (int n : new int[] { 0, 1, 3, 100 }) {
            cases.add(new Case("sizeBound n=" + n, n, n, (g, a) -> g.task("t", LoopShapes::sizeBound, a[0], a[1]), a -> LoopShapes.sizeBound(a[0], a[1])));
            cases.add(new Case("breaks n=" + n, n, n, (g, a) -> g.task("t", LoopShapes::breaks, a[0], a[1], n), a -> LoopShapes.breaks(a[0], a[1], n)));
            cases.add(new Case("twoLoops n=" + n, n, n, (g, a) -> g.task("t", LoopShapes::twoLoops, a[0], a[1], n), a -> LoopShapes.twoLoops(a[0], a[1], n)));
        }
        for (int[] s : new int[][] { { 0, 4 }, { 1, 8 }, { 2, 3 }, { 5, 16 }, { 13, 7 }, { -2, 4 } }) {
            int rows = s[0];
            int cols = s[1];
            int size = Math.max(rows, 0) * cols;
            cases.add(new Case("rows " + rows + "x" + cols, size, Math.max(size, 1), (g, a) -> g.task("t", LoopShapes::rows, a[0], a[1], rows, cols),
                    a -> LoopShapes.rows(a[0], a[1], rows, cols)));
            cases.add(new Case("innerReduction " + rows + "x" + cols, size, Math.max(rows, 1),
                    (g, a) -> g.task("t", LoopShapes::innerReduction, a[0], a[1], rows, cols), a -> LoopShapes.innerReduction(a[0], a[1], rows, cols)));
        }
        for (int[] s : new int[][] { { 1, 1, 3, 4 }, { 1, 2, 5, 3 }, { 2, 4, 6, 2 }, { 1, 8, 9, 2 }, { 2, 3, 1, 5 }, { 0, 4, 3, 2 }, { 1, 7, 2, 3 } }) {
            int size = s[0] * s[1] * s[2] * s[3];
            cases.add(new Case("heads " + Arrays.toString(s), size, Math.max(size, 1), (g, a) -> g.task("t", LoopShapes::heads, a[0], a[1], s[0], s[1], s[2], s[3]),
                    a -> LoopShapes.heads(a[0], a[1], s[0], s[1], s[2], s[3])));
        }
        for (int[] s : new int[][] { { 1, 10, 3 }, { 3, 7, 2 }, { 8, 5, 4 }, { 2, 0, 3 }, { 5, 9, 9 } }) {
            int size = s[0] * s[1];
            cases.add(new Case("chunks " + Arrays.toString(s), size, Math.max(size, 1), (g, a) -> g.task("t", LoopShapes::chunks, a[0], a[1], s[0], s[1], s[2]),
                    a -> LoopShapes.chunks(a[0], a[1], s[0], s[1], s[2])));
        }
        for (int[] s : new int[][] { { 1, 8 }, { 3, 6 }, { 16, 4 }, { 0, 4 }, { 5, 2 } }) {
            int size = s[0] * s[1];
            cases.add(new Case("pairs " + Arrays.toString(s), size, Math.max(size, 1), (g, a) -> g.task("t", LoopShapes::pairs, a[0], a[1], s[0], s[1]),
                    a -> LoopShapes.pairs(a[0], a[1], s[0], s[1])));
        }
        for (int[] s : new int[][] { { 0, 10 }, { -7, 7 }, { 5, 4 }, { -20, -1 }, { 3, 3 }, { -2, 30 } }) {
            int size = Math.max(s[1] - s[0] + 1, 1);
            cases.add(new Case("inclusiveStep " + Arrays.toString(s), size, size, (g, a) -> g.task("t", LoopShapes::inclusiveStep, a[0], a[1], s[0], s[1]),
                    a -> LoopShapes.inclusiveStep(a[0], a[1], s[0], s[1])));
        }
        for (int[] s : new int[][] { { 6, 3 }, { 2, 4 }, { 20, 2 } }) {
            cases.add(new Case("insideSequentialLoop " + Arrays.toString(s), s[0], s[0],
                    (g, a) -> g.task("t", LoopShapes::insideSequentialLoop, a[0], a[1], s[0], s[1]), a -> LoopShapes.insideSequentialLoop(a[0], a[1], s[0], s[1])));
            cases.add(new Case("writesOutside " + Arrays.toString(s), s[0], s[0], (g, a) -> g.task("t", LoopShapes::writesOutside, a[0], a[1], s[0]),
                    a -> LoopShapes.writesOutside(a[0], a[1], s[0])));
            cases.add(new Case("helperWritesOutside " + Arrays.toString(s), s[0], s[0],
                    (g, a) -> g.task("t", LoopShapes::helperWritesOutside, a[0], a[1], s[0]), a -> LoopShapes.helperWritesOutside(a[0], a[1], s[0])));
        }
        return cases;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void theResultDoesNotDependOnTheThreadCount(Case c) {
        float[] expected = run(c, false);
        for (int threads : THREAD_COUNTS) {
            float[] actual = ThreadCount.with(threads, () -> run(c, true));
            assertArrayEquals(bits(expected), bits(actual), c + " on " + threads + " threads");
        }
    }

    private static float[] run(Case c, boolean throughTaskGraph) {
        Random random = new Random(c.name().hashCode());
        FloatArray x = randomArray(random, c.inputs());
        FloatArray out = randomArray(random, c.outputs());
        FloatArray[] arrays = { x, out };
        if (!throughTaskGraph) {
            c.callDirectly().accept(arrays);
            return out.toHeapArray();
        }
        TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.EVERY_EXECUTION, x, out);
        c.addTask().accept(graph, arrays);
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot());
        plan.execute();
        plan.freeDeviceMemory();
        return out.toHeapArray();
    }

    private static FloatArray randomArray(Random random, int size) {
        FloatArray array = new FloatArray(size);
        for (int i = 0; i < size; i++) {
            array.set(i, random.nextFloat() * 2.0f - 1.0f);
        }
        return array;
    }

    private static int[] bits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }

    // ---- the split is real ----

    /** Runs recordThreads on {@code threads} threads, which must run {@code concurrent} parts at the same time. */
    private static int[] threadOfEachIteration(int threads, int size, int concurrent) {
        IntArray out = new IntArray(Math.max(size, 1));
        TaskGraph graph = new TaskGraph("who").task("t", LoopShapes::recordThreads, out, size).transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        return ThreadCount.with(threads, () -> {
            LoopShapes.ThreadNumbers.expect(concurrent);
            new TornadoExecutionPlan(graph.snapshot()).execute();
            return out.toHeapArray();
        });
    }

    private static int[] threadOfEachIteration2D(int threads, int outer, int inner, int concurrent) {
        IntArray out = new IntArray(outer * inner);
        TaskGraph graph = new TaskGraph("who").task("t", LoopShapes::recordThreads2D, out, outer, inner)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        return ThreadCount.with(threads, () -> {
            LoopShapes.ThreadNumbers.expect(concurrent);
            new TornadoExecutionPlan(graph.snapshot()).execute();
            return out.toHeapArray();
        });
    }

    /** The lengths of the runs of equal values, checking that no value comes back after its run ended. */
    private static List<Integer> runs(int[] values) {
        List<Integer> lengths = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < values.length; i++) {
            if (i == 0 || values[i] != values[i - 1]) {
                assertTrue(seen.add(values[i]), "thread " + values[i] + " runs two separate blocks: " + Arrays.toString(values));
                lengths.add(1);
            } else {
                lengths.set(lengths.size() - 1, lengths.get(lengths.size() - 1) + 1);
            }
        }
        return lengths;
    }

    private static void assertEvenBlocks(List<Integer> blocks, int count, String what) {
        assertEquals(count, blocks.size(), what + ": blocks " + blocks);
        int smallest = blocks.stream().mapToInt(Integer::intValue).min().orElse(0);
        int largest = blocks.stream().mapToInt(Integer::intValue).max().orElse(0);
        assertTrue(largest - smallest <= 1, what + ": blocks " + blocks);
    }

    @Test
    void eachThreadRunsOneContiguousBlockOfIterations() {
        for (int threads : new int[] { 2, 3, 7 }) {
            for (int size : new int[] { 1, 2, 9, 100 }) {
                int[] who = threadOfEachIteration(threads, size, Math.min(threads, size));
                assertEvenBlocks(runs(Arrays.copyOf(who, size)), Math.min(threads, size), size + " iterations on " + threads + " threads");
            }
        }
    }

    @Test
    void oneThreadRunsTheKernelAsWrittenOnTheCallingThread() {
        int[] who = threadOfEachIteration(1, 50, 1);
        assertEquals(List.of(50), runs(who));
        assertEquals(who[0], LoopShapes.ThreadNumbers.current(), "the calling thread ran it");
    }

    @Test
    void anOuterLoopThatSharesEvenlyIsSplit() {
        int[] who = threadOfEachIteration2D(2, 8, 5, 2);
        int[] rowThreads = new int[8];
        for (int o = 0; o < 8; o++) {
            for (int i = 0; i < 5; i++) {
                assertEquals(who[o * 5], who[o * 5 + i], "row " + o + " runs on one thread: " + Arrays.toString(who));
            }
            rowThreads[o] = who[o * 5];
        }
        assertEquals(List.of(4, 4), runs(rowThreads));
    }

    @Test
    void anOuterLoopWithTooFewIterationsLeavesTheSplitToTheInnerLoop() {
        for (int[] s : new int[][] { { 3, 8, 5 }, { 2, 1, 6 }, { 7, 8, 7 } }) {
            int threads = s[0];
            int outer = s[1];
            int inner = s[2];
            int[] who = threadOfEachIteration2D(threads, outer, inner, Math.min(threads, inner));
            int[] firstRow = Arrays.copyOf(who, inner);
            assertEvenBlocks(runs(firstRow), Math.min(threads, inner), outer + "x" + inner + " on " + threads + " threads");
            for (int o = 1; o < outer; o++) {
                assertArrayEquals(firstRow, Arrays.copyOfRange(who, o * inner, (o + 1) * inner), "row " + o + " is split as row 0");
            }
        }
    }
}
