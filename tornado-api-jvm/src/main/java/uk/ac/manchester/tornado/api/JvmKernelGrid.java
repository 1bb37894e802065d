package uk.ac.manchester.tornado.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Runs a KernelContext kernel over a {@link WorkerGrid} on the JVM: every global index exactly once, work-groups
 * spread over all cores, barriers and local memory shared within a group.
 *
 * <p>Groups of one work-item (the matrix products' and flash attention's grids on a CPU) cannot wait for anyone, so
 * all of them run at once, spread over the calling thread and the pool. Otherwise the first work-group of each launch
 * runs threaded; if it used neither a barrier nor local memory, the other groups run their items sequentially
 * (cheap), else each group runs threaded.
 */
final class JvmKernelGrid {

    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private static final ExecutorService GROUP_WORKERS = Executors.newFixedThreadPool(CORES, runnable -> {
        Thread t = new Thread(runnable, "tornado-jvm-group-worker");
        t.setDaemon(true);
        return t;
    });

    private JvmKernelGrid() {
    }

    /** A launch: the grid's shape resolved into group counts and sizes. */
    private record Launch(String task, int[] global, int[] local, int[] offset, int[] groups) {
        int groupCount() {
            return groups[0] * groups[1] * groups[2];
        }

        int itemsPerGroup() {
            return local[0] * local[1] * local[2];
        }
    }

    static void run(String task, WorkerGrid grid, Consumer<KernelContext> kernel) {
        Launch launch = resolve(task, grid);
        if (launch.groupCount() == 0) {
            return;
        }
        if (launch.itemsPerGroup() == 1) {
            runGroups(launch, 0, false, kernel);
            return;
        }
        boolean cooperative = runGroup(launch, 0, true, kernel);
        if (launch.groupCount() > 1) {
            runGroups(launch, 1, cooperative, kernel);
        }
    }

    /**
     * Runs groups {@code first ...} of the launch on the calling thread and up to {@code CORES - 1} pool threads, each
     * taking the next group not yet taken (the caller works rather than waits: at a few groups per launch a thread
     * that only waits would leave a core idle).
     */
    private static void runGroups(Launch launch, int first, boolean threaded, Consumer<KernelContext> kernel) {
        AtomicInteger nextGroup = new AtomicInteger(first);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable worker = () -> {
            for (int g = nextGroup.getAndIncrement(); g < launch.groupCount() && failure.get() == null; g = nextGroup.getAndIncrement()) {
                try {
                    runGroup(launch, g, threaded, kernel);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }
        };
        int helpers = Math.min(CORES, launch.groupCount() - first) - 1;
        List<Future<?>> futures = new ArrayList<>(helpers);
        for (int w = 0; w < helpers; w++) {
            futures.add(GROUP_WORKERS.submit(worker));
        }
        worker.run();
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (Exception e) {
                failure.compareAndSet(null, e);
            }
        }
        rethrow(failure.get());
    }

    private static Launch resolve(String task, WorkerGrid grid) {
        long[] g = grid.getGlobalWork();
        long[] l = grid.getLocalWork();
        long[] o = grid.getGlobalOffset();
        int[] global = new int[3];
        int[] local = new int[3];
        int[] offset = new int[3];
        int[] groups = new int[3];
        for (int d = 0; d < 3; d++) {
            global[d] = d < g.length ? Math.toIntExact(g[d]) : 1;
            local[d] = l == null || d >= l.length ? 1 : Math.toIntExact(l[d]);
            offset[d] = o == null || d >= o.length ? 0 : Math.toIntExact(o[d]);
            if (global[d] < 0 || local[d] < 1) {
                throw new IllegalArgumentException(task + ": invalid worker grid, global " + java.util.Arrays.toString(g) + " local "
                        + java.util.Arrays.toString(l));
            }
            if (global[d] % local[d] != 0) {
                throw new IllegalArgumentException(task + ": global work " + global[d] + " is not a multiple of local work " + local[d]
                        + " in dimension " + d + " (OpenCL 1.2 devices reject such grids)");
            }
            groups[d] = global[d] / local[d];
        }
        return new Launch(task, global, local, offset, groups);
    }

    /** Runs one work-group; returns whether it used a barrier or local memory. */
    private static boolean runGroup(Launch launch, int groupIndex, boolean threaded, Consumer<KernelContext> kernel) {
        int[] groupId = { groupIndex % launch.groups[0], (groupIndex / launch.groups[0]) % launch.groups[1],
                groupIndex / (launch.groups[0] * launch.groups[1]) };
        String where = launch.task + " work-group (" + groupId[0] + "," + groupId[1] + "," + groupId[2] + ")";
        int items = launch.itemsPerGroup();
        if (!threaded || items == 1) {
            JvmWorkGroup group = JvmWorkGroup.sequential(where, items);
            for (int i = 0; i < items; i++) {
                kernel.accept(context(launch, group, groupId, i));
            }
            return group.usedBarrierOrLocalMemory();
        }
        JvmWorkGroup group = JvmWorkGroup.threaded(where, items);
        KernelContext[] contexts = new KernelContext[items];
        Thread[] threads = new Thread[items];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < items; i++) {
            KernelContext context = context(launch, group, groupId, i);
            contexts[i] = context;
            threads[i] = Thread.ofVirtual().name("tornado-jvm-item").start(() -> {
                try {
                    kernel.accept(context);
                } catch (JvmWorkGroup.Aborted aborted) {
                    // another item failed first; its failure is the one reported
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    group.abort();
                } finally {
                    group.leave();
                }
            });
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(where + ": interrupted", e);
            }
        }
        rethrow(failure.get());
        int barriers = contexts[0].barriersReached();
        for (KernelContext c : contexts) {
            if (c.barriersReached() != barriers) {
                throw new IllegalStateException(where + ": its work-items reached different numbers of barriers (" + barriers + " and "
                        + c.barriersReached() + "); on a device that deadlocks or is undefined");
            }
        }
        return group.usedBarrierOrLocalMemory();
    }

    private static KernelContext context(Launch launch, JvmWorkGroup group, int[] groupId, int itemInGroup) {
        int[] local = launch.local;
        int[] localId = { itemInGroup % local[0], (itemInGroup / local[0]) % local[1], itemInGroup / (local[0] * local[1]) };
        int[] globalId = new int[3];
        for (int d = 0; d < 3; d++) {
            globalId[d] = launch.offset[d] + groupId[d] * local[d] + localId[d];
        }
        return new KernelContext(group, globalId, groupId, localId, launch.global, local);
    }

    private static void rethrow(Throwable t) {
        if (t == null) {
            return;
        }
        if (t instanceof java.util.concurrent.ExecutionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        throw new IllegalStateException(t);
    }
}
