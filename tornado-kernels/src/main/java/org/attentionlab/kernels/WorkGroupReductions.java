package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.math.TornadoMath;

/**
 * Deterministic reductions inside one work-group, for the {@link KernelContext} kernels of {@link Losses} and
 * {@link AdamW}: every item contributes one value, a tree over local memory combines them in a fixed order
 * (item l with item l + stride, stride halving), so the result depends only on the inputs and the group size, never
 * on scheduling. TornadoVM's automatic {@code @Reduce} is not used: on PoCL it gives wrong sums beyond a few
 * work-groups. Every item of the group must call these (they contain barriers), with the same local array.
 *
 * <p>Each helper reads its result itself and returns it, and only float local arrays are used: on TornadoVM 5.2.1
 * with PoCL, a kernel that read a local array after an inlined helper had written it saw stale values (a row maximum
 * of 0), and an arg-max helper over a float and an int local array returned an index that made the kernel read out
 * of bounds. An arg-max is therefore a max, then a min over the indices holding it.
 */
public final class WorkGroupReductions {

    /**
     * The work-group size of every reduction kernel by default: a power of two (the tree halves it) that every device
     * accepts. Any power of two up to it works (the tree reads the group's size); the sums then group differently.
     */
    public static final int GROUP = 256;

    private WorkGroupReductions() {
    }

    private static final int SUM = 0;
    private static final int MAX = 1;
    private static final int MIN = 2;

    /** The sum of every item's {@code value}; all items get it. {@code local} has at least the group's size. */
    static float sum(KernelContext context, float[] local, float value) {
        return reduce(context, local, value, SUM);
    }

    /** The largest of every item's {@code value}; all items get it. */
    static float max(KernelContext context, float[] local, float value) {
        return reduce(context, local, value, MAX);
    }

    /** The smallest of every item's {@code value}; all items get it. */
    static float min(KernelContext context, float[] local, float value) {
        return reduce(context, local, value, MIN);
    }

    private static float reduce(KernelContext context, float[] local, float value, int operation) {
        int item = context.localIdx;
        local[item] = value;
        context.localBarrier();
        for (int stride = context.localGroupSizeX / 2; stride > 0; stride /= 2) {
            if (item < stride) {
                float a = local[item];
                float b = local[item + stride];
                local[item] = operation == SUM ? a + b : operation == MAX ? TornadoMath.max(a, b) : TornadoMath.min(a, b);
            }
            context.localBarrier();
        }
        float result = local[0];
        context.localBarrier();
        return result;
    }

    // ---- host-side grid helpers (not kernels) ----

    /** {@code groups} work-groups of {@link #GROUP} items. */
    static WorkerGrid groups(int groups) {
        return groups(groups, GROUP);
    }

    /** {@code groups} work-groups of {@code items} items, a power of two up to {@link #GROUP}. */
    static WorkerGrid groups(int groups, int items) {
        if (items < 1 || items > GROUP || Integer.bitCount(items) != 1) {
            throw new IllegalArgumentException("a reduction work-group has a power of two of items up to " + GROUP + ", got " + items);
        }
        WorkerGrid grid = new WorkerGrid1D(Math.max(groups, 1) * items);
        grid.setLocalWork(items, 1, 1);
        return grid;
    }

    /**
     * Items per reduction work-group for the runtime in this process: {@link #GROUP} on TornadoVM's devices, 1 on this
     * project's JVM implementation of the API, where a group of 256 items is 256 threads meeting at every barrier of
     * the tree and a group of one is a loop (about 40 times faster for a loss over 2048 rows; the same determinism,
     * other roundings).
     */
    public static int groupItemsForDefaultRuntime() {
        return DefaultRuntime.ITEMS;
    }

    /** Looked up once: whether every backend is the JVM implementation's. */
    private static final class DefaultRuntime {
        static final int ITEMS = lookUp();

        private static int lookUp() {
            try {
                for (uk.ac.manchester.tornado.api.TornadoBackend backend : uk.ac.manchester.tornado.api.TornadoExecutionPlan.getTornadoDeviceMap()
                        .getAllBackends()) {
                    if (backend.getBackendType() != uk.ac.manchester.tornado.api.enums.TornadoVMBackendType.JAVA) {
                        return GROUP;
                    }
                }
                return 1;
            } catch (RuntimeException | LinkageError e) {
                return GROUP;
            }
        }
    }
}
