package org.attentionlab.tornadoapi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoDeviceMap;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.WorkerGrid3D;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoRuntimeException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** Task order and the transfer semantics host code relies on. */
class TaskGraphSemanticsTest {

    static void addOne(FloatArray in, FloatArray out) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            out.set(i, in.get(i) + 1f);
        }
    }

    static void twice(FloatArray in, FloatArray out) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            out.set(i, in.get(i) * 2f);
        }
    }

    static void scaleBy(FloatArray in, FloatArray out, float factor) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            out.set(i, in.get(i) * factor);
        }
    }

    @Test
    void tasksRunInDeclarationOrder() {
        FloatArray x = FloatArray.fromElements(1, 2, 3);
        FloatArray tmp = new FloatArray(3);
        FloatArray y = new FloatArray(3);
        TaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task("first", TaskGraphSemanticsTest::addOne, x, tmp)
                .task("second", TaskGraphSemanticsTest::twice, tmp, y)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        new TornadoExecutionPlan(graph.snapshot()).execute();
        assertArrayEquals(new float[] { 4, 6, 8 }, y.toHeapArray());
    }

    @Test
    void scalarArgumentsArePassedThrough() {
        FloatArray x = FloatArray.fromElements(1, 2);
        FloatArray y = new FloatArray(2);
        TaskGraph graph = new TaskGraph("s")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task("scale", TaskGraphSemanticsTest::scaleBy, x, y, 2.5f)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        new TornadoExecutionPlan(graph.snapshot()).execute();
        assertArrayEquals(new float[] { 2.5f, 5f }, y.toHeapArray());
    }

    @Test
    void everyExecutionInputIsReadWhenTheGraphRuns() {
        FloatArray x = FloatArray.fromElements(1);
        FloatArray y = new FloatArray(1);
        TornadoExecutionPlan plan = new TornadoExecutionPlan(new TaskGraph("e")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task("t", TaskGraphSemanticsTest::addOne, x, y)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y).snapshot());
        plan.execute();
        assertEquals(2f, y.get(0));
        x.set(0, 10f);
        plan.execute();
        assertEquals(11f, y.get(0));
    }

    @Test
    void firstExecutionInputIsCopiedOnce() {
        FloatArray x = FloatArray.fromElements(1);
        FloatArray y = new FloatArray(1);
        TornadoExecutionPlan plan = new TornadoExecutionPlan(new TaskGraph("f")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, x)
                .task("t", TaskGraphSemanticsTest::addOne, x, y)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y).snapshot());
        plan.execute();
        x.set(0, 10f);
        plan.execute();
        assertEquals(2f, y.get(0), "the device keeps the first copy of a FIRST_EXECUTION input");
        plan.freeDeviceMemory();
        plan.execute();
        assertEquals(11f, y.get(0), "after freeing device memory the input is copied again");
    }

    @Test
    void resultsReachTheHostOnlyThroughTransferToHost() {
        FloatArray x = FloatArray.fromElements(1);
        FloatArray y = FloatArray.fromElements(-7);
        new TornadoExecutionPlan(new TaskGraph("n")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task("t", TaskGraphSemanticsTest::addOne, x, y).snapshot()).execute();
        assertEquals(-7f, y.get(0));
    }

    @Test
    void underDemandResultsArriveWhenAskedFor() {
        FloatArray x = FloatArray.fromElements(1);
        FloatArray y = new FloatArray(1);
        TornadoExecutionResult result = new TornadoExecutionPlan(new TaskGraph("u")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task("t", TaskGraphSemanticsTest::addOne, x, y)
                .transferToHost(DataTransferMode.UNDER_DEMAND, y).snapshot()).execute();
        assertEquals(0f, y.get(0));
        result.transferToHost(y);
        assertEquals(2f, y.get(0));
    }

    @Test
    @Tag(KernelGridTest.JVM_ONLY)
    void untransferredInputsAreGarbageOnTheDevice() {
        FloatArray x = FloatArray.fromElements(1);
        FloatArray y = new FloatArray(1);
        new TornadoExecutionPlan(new TaskGraph("m")
                .task("t", TaskGraphSemanticsTest::addOne, x, y)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y).snapshot()).execute();
        assertTrue(Float.isNaN(y.get(0)), "a kernel must not see host data that was never transferred");
    }

    @Test
    void graphsShareDeviceDataThroughPersistAndConsume() {
        FloatArray x = FloatArray.fromElements(1, 2);
        FloatArray mid = new FloatArray(2);
        FloatArray y = new FloatArray(2);
        TaskGraph producer = new TaskGraph("layer_0")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task("t", TaskGraphSemanticsTest::addOne, x, mid)
                .persistOnDevice(mid);
        TaskGraph consumer = new TaskGraph("layer_1")
                .consumeFromDevice("layer_0", mid)
                .task("t", TaskGraphSemanticsTest::twice, mid, y)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        TornadoExecutionPlan plan = new TornadoExecutionPlan(producer.snapshot(), consumer.snapshot());
        plan.withGraph(0).execute();
        plan.withGraph(1).execute();
        assertArrayEquals(new float[] { 4, 6 }, y.toHeapArray());
        assertEquals(0f, mid.get(0), "mid stays on the device");

        x.set(0, 5f);
        plan.withGraph(0).execute();
        plan.withGraph(1).execute();
        assertEquals(12f, y.get(0));
    }

    /**
     * TornadoVM 5.2 hands a consuming graph the buffers of the graph the plan executed just before, whatever name
     * {@code consumeFromDevice} was given: here "first" is named, "second" ran last, and "second"'s buffer is read.
     */
    @Test
    void consumedBuffersComeFromTheGraphExecutedJustBefore() {
        FloatArray x = FloatArray.fromElements(1, 2);
        FloatArray mid = new FloatArray(2);
        FloatArray y = new FloatArray(2);
        TaskGraph first = new TaskGraph("first")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task("t", TaskGraphSemanticsTest::addOne, x, mid)
                .persistOnDevice(mid);
        TaskGraph second = new TaskGraph("second")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task("t", TaskGraphSemanticsTest::twice, x, mid)
                .persistOnDevice(mid);
        TaskGraph consumer = new TaskGraph("consumer")
                .consumeFromDevice("first", mid)
                .task("t", TaskGraphSemanticsTest::addOne, mid, y)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        TornadoExecutionPlan plan = new TornadoExecutionPlan(first.snapshot(), second.snapshot(), consumer.snapshot());
        plan.withGraph(0).execute();
        plan.withGraph(1).execute();
        plan.withGraph(2).execute();
        assertArrayEquals(new float[] { 3, 5 }, y.toHeapArray(), "second's mid (2x), not first's (x + 1)");

        plan.withGraph(1).execute();
        plan.withGraph(0).execute();
        plan.withGraph(2).execute();
        assertArrayEquals(new float[] { 3, 4 }, y.toHeapArray(), "first's mid now");
    }

    @Test
    @Tag(KernelGridTest.JVM_ONLY)
    void consumingWhatNoGraphProducedIsAnError() {
        FloatArray mid = new FloatArray(1);
        FloatArray y = new FloatArray(1);
        TornadoExecutionPlan plan = new TornadoExecutionPlan(new TaskGraph("c")
                .consumeFromDevice("missing", mid)
                .task("t", TaskGraphSemanticsTest::twice, mid, y).snapshot());
        assertThrows(TornadoRuntimeException.class, plan::execute);
    }

    @Test
    void profilerCountsTransferredBytes() {
        FloatArray x = new FloatArray(100);
        FloatArray y = new FloatArray(100);
        TornadoExecutionResult result = new TornadoExecutionPlan(new TaskGraph("p")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task("t", TaskGraphSemanticsTest::addOne, x, y)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y).snapshot()).withProfiler(ProfilerMode.SILENT).execute();
        // At least the payload (TornadoVM also counts the arrays' headers).
        long bytes = result.getProfilerResult().getTotalBytesTransferred();
        assertTrue(bytes >= 800 && bytes < 1000, bytes + " bytes");
        assertTrue(result.getProfilerResult().getTotalTime() >= result.getProfilerResult().getDeviceKernelTime());
    }

    @Test
    void duplicateNamesAreRejected() {
        FloatArray x = new FloatArray(1);
        TaskGraph g = new TaskGraph("d").task("t", TaskGraphSemanticsTest::addOne, x, x);
        // TornadoVM throws its TornadoTaskRuntimeException, which is no TornadoRuntimeException.
        assertThrows(RuntimeException.class, () -> g.task("t", TaskGraphSemanticsTest::addOne, x, x));
    }

    @Test
    @Tag(KernelGridTest.JVM_ONLY)
    void aGraphWithoutTasksIsRejected() {
        FloatArray x = new FloatArray(1);
        TaskGraph empty = new TaskGraph("empty").transferToDevice(DataTransferMode.EVERY_EXECUTION, x).transferToHost(DataTransferMode.EVERY_EXECUTION, x);
        assertThrows(TornadoRuntimeException.class, () -> new TornadoExecutionPlan(empty.snapshot()));
    }

    @Test
    @Tag(KernelGridTest.JVM_ONLY)
    void theDeviceMapListsTheJvm() {
        TornadoDeviceMap map = TornadoExecutionPlan.getTornadoDeviceMap();
        assertEquals(1, map.getNumBackends());
        assertEquals("jvm", TornadoExecutionPlan.getDevice(0, 0).getDeviceName());
        assertThrows(TornadoRuntimeException.class, () -> TornadoExecutionPlan.getDevice(0, 1));
        assertThrows(TornadoRuntimeException.class, () -> TornadoExecutionPlan.getDevice(1, 0));
    }
}
