package org.attentionlab.tornadoapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoRuntimeException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** KernelContext kernels over worker grids: coverage, barriers, local memory, threads, failures. */
class KernelGridTest {

    /** Behaviour of the JVM implementation that a device leaves undefined (or crashes on): not run on an SDK. */
    static final String JVM_ONLY = "jvm-only";

    private static TornadoExecutionResult run(TaskGraph graph, String task, WorkerGrid grid, Object... outputs) {
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, outputs);
        GridScheduler scheduler = new GridScheduler(graph.getTaskGraphName() + "." + task, grid);
        return new TornadoExecutionPlan(graph.snapshot()).withGridScheduler(scheduler).execute();
    }

    static void countVisits(KernelContext context, IntArray visits, int sizeX, int sizeY) {
        int x = context.globalIdx;
        int y = context.globalIdy;
        int z = context.globalIdz;
        context.atomicAdd(visits, (z * sizeY + y) * sizeX + x, 1);
    }

    @ParameterizedTest
    @CsvSource({ "1,1,1,1,1,1", "7,1,1,1,1,1", "64,1,1,16,1,1", "12,10,1,4,5,1", "6,4,3,3,2,3", "256,1,1,256,1,1" })
    void everyGlobalIndexRunsExactlyOnce(int gx, int gy, int gz, int lx, int ly, int lz) {
        IntArray visits = new IntArray(gx * gy * gz);
        visits.init(0);
        WorkerGrid grid = gz > 1 ? new WorkerGrid3D(gx, gy, gz) : gy > 1 ? new WorkerGrid2D(gx, gy) : new WorkerGrid1D(gx);
        grid.setLocalWork(lx, ly, lz);
        TaskGraph graph = new TaskGraph("cover").transferToDevice(DataTransferMode.EVERY_EXECUTION, visits)
                .task("count", KernelGridTest::countVisits, new KernelContext(), visits, gx, gy);
        run(graph, "count", grid, visits);
        for (int i = 0; i < visits.getSize(); i++) {
            assertEquals(1, visits.get(i), "global index " + i);
        }
    }

    static void writeIds(KernelContext context, IntArray out) {
        int g = context.globalIdx;
        out.set(g, context.groupIdx * 1000 + context.localIdx * 10 + (context.localGroupSizeX == 4 ? 1 : 0));
    }

    @Test
    void indicesAreConsistent() {
        IntArray out = new IntArray(12);
        WorkerGrid grid = new WorkerGrid1D(12);
        grid.setLocalWork(4, 1, 1);
        run(new TaskGraph("ids").task("w", KernelGridTest::writeIds, new KernelContext(), out), "w", grid, out);
        for (int g = 0; g < 12; g++) {
            assertEquals((g / 4) * 1000 + (g % 4) * 10 + 1, out.get(g));
        }
    }

    /** A work-group sum in local memory, tree-reduced with barriers (the idiom kernels use on PoCL). */
    static void groupSums(KernelContext context, FloatArray in, FloatArray sums) {
        int local = context.localIdx;
        int size = context.localGroupSizeX;
        float[] scratch = context.allocateFloatLocalArray(256);
        scratch[local] = in.get(context.globalIdx);
        for (int stride = size / 2; stride > 0; stride /= 2) {
            context.localBarrier();
            if (local < stride) {
                scratch[local] += scratch[local + stride];
            }
        }
        context.localBarrier();
        if (local == 0) {
            sums.set(context.groupIdx, scratch[0]);
        }
    }

    @ParameterizedTest
    @CsvSource({ "256,256", "1024,64", "4096,128", "64,2", "8,1" })
    void localMemoryReductionIsExact(int n, int groupSize) {
        FloatArray in = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            in.set(i, i % 7);
        }
        FloatArray sums = new FloatArray(n / groupSize);
        WorkerGrid grid = new WorkerGrid1D(n);
        grid.setLocalWork(groupSize, 1, 1);
        run(new TaskGraph("reduce").transferToDevice(DataTransferMode.EVERY_EXECUTION, in)
                .task("sum", KernelGridTest::groupSums, new KernelContext(), in, sums), "sum", grid, sums);
        for (int g = 0; g < n / groupSize; g++) {
            double expected = 0;
            for (int i = g * groupSize; i < (g + 1) * groupSize; i++) {
                expected += i % 7;
            }
            assertEquals(expected, sums.get(g), 0.0, "group " + g);
        }
    }

    private static final int TILE = 8;

    /** C = A·B with TILE×TILE tiles of A and B staged in local memory. */
    static void tiledMatMul(KernelContext context, FloatArray a, FloatArray b, FloatArray c, int n, int k, int m) {
        int row = context.globalIdy;
        int col = context.globalIdx;
        int ly = context.localIdy;
        int lx = context.localIdx;
        float[] tileA = context.allocateFloatLocalArray(TILE * TILE);
        float[] tileB = context.allocateFloatLocalArray(TILE * TILE);
        float sum = 0f;
        for (int t = 0; t < (k + TILE - 1) / TILE; t++) {
            int ak = t * TILE + lx;
            int bk = t * TILE + ly;
            tileA[ly * TILE + lx] = row < n && ak < k ? a.get(row * k + ak) : 0f;
            tileB[ly * TILE + lx] = bk < k && col < m ? b.get(bk * m + col) : 0f;
            context.localBarrier();
            for (int i = 0; i < TILE; i++) {
                sum += tileA[ly * TILE + i] * tileB[i * TILE + lx];
            }
            context.localBarrier();
        }
        if (row < n && col < m) {
            c.set(row * m + col, sum);
        }
    }

    @ParameterizedTest
    @CsvSource({ "8,8,8", "13,29,7", "1,1,1", "20,3,17" })
    void tiledMatrixMultiplyMatchesNaive(int n, int k, int m) {
        FloatArray a = new FloatArray(n * k);
        FloatArray b = new FloatArray(k * m);
        for (int i = 0; i < a.getSize(); i++) {
            a.set(i, (i * 37 % 11) - 5);
        }
        for (int i = 0; i < b.getSize(); i++) {
            b.set(i, (i * 13 % 7) - 3);
        }
        FloatArray c = new FloatArray(n * m);
        int gx = (m + TILE - 1) / TILE * TILE;
        int gy = (n + TILE - 1) / TILE * TILE;
        WorkerGrid grid = new WorkerGrid2D(gx, gy);
        grid.setLocalWork(TILE, TILE, 1);
        run(new TaskGraph("mm").transferToDevice(DataTransferMode.EVERY_EXECUTION, a, b)
                .task("mul", KernelGridTest::tiledMatMul, new KernelContext(), a, b, c, n, k, m), "mul", grid, c);
        for (int r = 0; r < n; r++) {
            for (int col = 0; col < m; col++) {
                double expected = 0;
                for (int i = 0; i < k; i++) {
                    expected += a.get(r * k + i) * b.get(i * m + col);
                }
                assertEquals(expected, c.get(r * m + col), 0.0, "c[" + r + "][" + col + "]");
            }
        }
    }

    static final Set<Thread> THREADS_SEEN = ConcurrentHashMap.newKeySet();

    static void recordThread(KernelContext context, FloatArray out) {
        float acc = 0;
        for (int i = 0; i < 20_000; i++) {
            acc += (float) Math.sqrt(i + context.globalIdx);
        }
        out.set(context.globalIdx, acc);
        THREADS_SEEN.add(Thread.currentThread());
    }

    @Test
    @Tag(JVM_ONLY)
    void barrierFreeKernelsUseSeveralThreads() {
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "needs more than one core");
        THREADS_SEEN.clear();
        FloatArray out = new FloatArray(4096);
        WorkerGrid grid = new WorkerGrid1D(4096);
        grid.setLocalWork(16, 1, 1);
        run(new TaskGraph("threads").task("t", KernelGridTest::recordThread, new KernelContext(), out), "t", grid, out);
        assertTrue(THREADS_SEEN.size() > 1, "work-groups ran on " + THREADS_SEEN.size() + " thread(s)");
    }

    static void divergentBarrier(KernelContext context, FloatArray out) {
        if (context.localIdx == 0) {
            context.localBarrier();
        }
        out.set(context.globalIdx, 1f);
    }

    @Test
    @Tag(JVM_ONLY)
    void divergentBarriersAreReported() {
        FloatArray out = new FloatArray(8);
        WorkerGrid grid = new WorkerGrid1D(8);
        grid.setLocalWork(4, 1, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> run(new TaskGraph("div").task("d", KernelGridTest::divergentBarrier, new KernelContext(), out), "d", grid, out));
        assertTrue(e.getMessage().contains("different numbers of barriers"), e.getMessage());
    }

    static void failsInOneItem(KernelContext context, FloatArray out) {
        float[] local = context.allocateFloatLocalArray(4);
        local[context.localIdx] = 1f;
        context.localBarrier();
        out.set(context.globalIdx * 100, local[0]);
    }

    @Test
    @Tag(JVM_ONLY)
    void aFailingWorkItemFailsTheLaunch() {
        FloatArray out = new FloatArray(8);
        WorkerGrid grid = new WorkerGrid1D(8);
        grid.setLocalWork(4, 1, 1);
        assertThrows(ArrayIndexOutOfBoundsException.class,
                () -> run(new TaskGraph("fail").task("f", KernelGridTest::failsInOneItem, new KernelContext(), out), "f", grid, out));
    }

    static void readsLocalBeforeWriting(KernelContext context, FloatArray out) {
        float[] local = context.allocateFloatLocalArray(4);
        out.set(context.globalIdx, local[context.localIdx]);
    }

    @Test
    @Tag(JVM_ONLY)
    void localMemoryStartsAsGarbage() {
        FloatArray out = new FloatArray(4);
        WorkerGrid grid = new WorkerGrid1D(4);
        grid.setLocalWork(4, 1, 1);
        run(new TaskGraph("garbage").task("g", KernelGridTest::readsLocalBeforeWriting, new KernelContext(), out), "g", grid, out);
        assertTrue(Float.isNaN(out.get(0)));
    }

    @Test
    @Tag(JVM_ONLY)
    void gridErrorsAreReported() {
        FloatArray out = new FloatArray(8);
        WorkerGrid uneven = new WorkerGrid1D(10);
        uneven.setLocalWork(4, 1, 1);
        assertThrows(IllegalArgumentException.class,
                () -> run(new TaskGraph("uneven").task("u", KernelGridTest::writeIds, new KernelContext(), new IntArray(10)), "u", uneven));
        TaskGraph noGrid = new TaskGraph("nogrid").task("n", KernelGridTest::recordThread, new KernelContext(), out);
        assertThrows(TornadoRuntimeException.class, () -> new TornadoExecutionPlan(noGrid.snapshot()).execute());
    }
}
