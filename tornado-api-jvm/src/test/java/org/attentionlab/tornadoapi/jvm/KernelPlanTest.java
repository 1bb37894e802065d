package org.attentionlab.tornadoapi.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.common.TornadoFunctions.Task3;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** Which kernels the JVM splits, which it runs sequentially and why, and how a task's kernel method is found. */
class KernelPlanTest {

    private static Method kernel(String name) {
        for (Method m : LoopShapes.class.getDeclaredMethods()) {
            if (m.getName().equals(name)) {
                return m;
            }
        }
        throw new AssertionError("no kernel " + name);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "elementwise   | over i (line",
            "sizeBound     | over i (line",
            "rows          | over row (line",
            "heads         | over bh (line",
            "chunks        | over r (line",
            "pairs         | over pair (line",
            "inclusiveStep | over i (line",
            "reversed      | over i (line",
            "belowZero     | over i (line" })
    void kernelsInTheShapesOfTornadoKernelsAreSplit(String name, String mentions) {
        KernelPlan plan = ParallelLoops.plan(kernel(name));
        assertTrue(plan.isSplit(), plan.toString());
        assertTrue(plan.description().contains(mentions), plan.toString());
    }

    @Test
    void nestedParallelLoopsOfferTheInnerLoopForFewOuterIterations() {
        KernelPlan plan = ParallelLoops.plan(kernel("heads"));
        assertTrue(plan.description().startsWith("splits the @Parallel loop over bh"), plan.toString());
        assertTrue(plan.description().contains("or the @Parallel loop over i"), plan.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "reduction            | updates sum, declared outside it",
            "breaks               | can leave early",
            "twoLoops             | 2 @Parallel loops one after another",
            "insideSequentialLoop | inside another loop that is not @Parallel",
            "writesOutside        | every thread would repeat the code outside",
            "helperWritesOutside  | and it calls org.attentionlab.tornadoapi.jvm.LoopShapes.clearFirst",
            "countsDown           | its condition is not i < bound",
            "callBound            | bound that is not an expression of locals",
            "movingBound          | updates end, declared outside it" })
    void kernelsThatCannotBeSplitRunSequentiallyAndSayWhy(String name, String reason) {
        KernelPlan plan = ParallelLoops.plan(kernel(name));
        assertFalse(plan.isSplit(), plan.toString());
        assertTrue(plan.description().startsWith("runs sequentially: "), plan.toString());
        assertTrue(plan.description().contains(reason), plan.toString());
    }

    @Test
    void anInnerLoopThatCannotBeSplitLeavesTheOuterLoopSplit() {
        KernelPlan plan = ParallelLoops.plan(kernel("innerReduction"));
        assertTrue(plan.isSplit(), plan.toString());
        assertTrue(plan.description().startsWith("splits the @Parallel loop over row (line"), plan.toString());
        assertTrue(plan.description().contains("never the @Parallel loop inside it: the @Parallel loop over j (line"), plan.toString());
        assertTrue(plan.description().contains("updates sum, declared outside it"), plan.toString());
    }

    @Test
    void aMethodWithoutParallelLoopsRunsAsWritten() throws NoSuchMethodException {
        KernelPlan plan = ParallelLoops.plan(KernelPlanTest.class.getDeclaredMethod("kernel", String.class));
        assertFalse(plan.isSplit());
        assertEquals("runs as written: it has no @Parallel loop", plan.description());
    }

    @Test
    void plansAreMadeOnce() {
        assertTrue(ParallelLoops.plan(kernel("rows")) == ParallelLoops.plan(kernel("rows")));
    }

    // ---- finding a task's kernel method ----

    /** Stands in for TaskGraph: the kernel is found from the call of a method named task, as TaskGraph.task is. */
    static final class Graph {
        static <A, B, C> TaskKernel task(String id, Task3<A, B, C> code, A a, B b, C c) {
            return TaskKernel.calledThrough(Graph.class, code, 3);
        }
    }

    private static Optional<Method> kernelOf(TaskKernel task) {
        return task.plan().map(KernelPlan::kernel);
    }

    @Test
    void aMethodReferenceIsItsKernel() {
        FloatArray x = new FloatArray(4);
        TaskKernel task = Graph.task("t", LoopShapes::elementwise, x, x, 4);
        assertEquals(Optional.of(kernel("elementwise")), kernelOf(task));
        assertTrue(task.plan().orElseThrow().isSplit());
    }

    @Test
    void aLambdaHeldInALocalVariableIsFollowed() {
        FloatArray x = new FloatArray(4);
        Task3<FloatArray, FloatArray, Integer> code = LoopShapes::elementwise;
        Task3<FloatArray, FloatArray, Integer> same = code;
        assertEquals(Optional.of(kernel("elementwise")), kernelOf(Graph.task("t", same, x, x, 4)));
    }

    @Test
    void oneOfTwoLambdasIsNotGuessed() {
        FloatArray x = new FloatArray(4);
        Task3<FloatArray, FloatArray, Integer> code = x.getSize() > 2 ? LoopShapes::elementwise : LoopShapes::reduction;
        assertEquals(Optional.empty(), kernelOf(Graph.task("t", code, x, x, 4)));
    }

    @Test
    void aLambdaBodyIsItsKernelAsForTornadoVM() {
        FloatArray x = new FloatArray(4);
        TaskKernel task = Graph.task("t", (a, b, n) -> LoopShapes.elementwise(a, b, n), x, x, 4);
        Method body = kernelOf(task).orElseThrow();
        assertTrue(body.getName().startsWith("lambda$"), body.toString());
        assertEquals("runs as written: it has no @Parallel loop", task.plan().orElseThrow().description());
    }

    private static TaskKernel passOn(Task3<FloatArray, FloatArray, Integer> code, FloatArray x) {
        return Graph.task("t", code, x, x, 4);
    }

    @Test
    void codeFromAParameterIsNotFollowedAndRunsAsWritten() {
        TaskKernel task = passOn(LoopShapes::elementwise, new FloatArray(4));
        assertEquals(Optional.empty(), task.plan());
        assertFalse(ThreadCount.with(2, () -> task.runSplit(new Object[] { new FloatArray(4), new FloatArray(4), 4 })));
    }

    @Test
    void aCapturingLambdaIsNotFollowed() {
        FloatArray x = new FloatArray(4);
        int size = x.getSize();
        assertEquals(Optional.empty(), kernelOf(Graph.task("t", (a, b, n) -> LoopShapes.elementwise(a, b, size), x, x, 4)));
    }
}
