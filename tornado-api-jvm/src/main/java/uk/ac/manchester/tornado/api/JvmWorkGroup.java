package uk.ac.manchester.tornado.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One work-group of a KernelContext grid on the JVM: its local memory and its barrier.
 *
 * <p>A group runs either threaded (one virtual thread per work-item, a {@link JvmGroupBarrier}, so items
 * cooperate exactly as on a device) or sequentially (items one after another on one thread, for kernels that
 * were seen to use no barrier and no local memory, where the order of items cannot matter).
 */
final class JvmWorkGroup {

    /** Thrown in the work-items of a group that another work-item of it has already failed. */
    static final class Aborted extends RuntimeException {
        Aborted() {
            super("work-group aborted", null, false, false);
        }
    }

    private final String where;
    private final JvmGroupBarrier barrier;
    /** A group of one work-item: its barriers have nobody to wait for. */
    private final boolean alone;
    private final List<Object> localArrays = new ArrayList<>();
    private volatile boolean usedBarrierOrLocalMemory;

    private JvmWorkGroup(String where, JvmGroupBarrier barrier, boolean alone) {
        this.where = where;
        this.barrier = barrier;
        this.alone = alone;
    }

    static JvmWorkGroup threaded(String where, int items) {
        return new JvmWorkGroup(where, new JvmGroupBarrier(items), false);
    }

    static JvmWorkGroup sequential(String where, int items) {
        return new JvmWorkGroup(where, null, items == 1);
    }

    boolean usedBarrierOrLocalMemory() {
        return usedBarrierOrLocalMemory;
    }

    void barrier() {
        usedBarrierOrLocalMemory = true;
        if (alone) {
            return;
        }
        if (barrier == null) {
            throw new IllegalStateException(where + ": the kernel reached a barrier in a work-group run sequentially, because "
                    + "the first work-group of this launch reached none; barriers that depend on the group are not supported");
        }
        if (!barrier.await()) {
            throw new Aborted();
        }
    }

    /** A work-item finished: it no longer takes part in barriers. */
    void leave() {
        if (barrier != null) {
            barrier.leave();
        }
    }

    /** Another work-item failed: release everyone waiting at the barrier so the launch can report the failure. */
    void abort() {
        if (barrier != null) {
            barrier.abort();
        }
    }

    synchronized Object localArray(int ordinal, Class<?> type, int size) {
        usedBarrierOrLocalMemory = true;
        if (ordinal < localArrays.size()) {
            Object existing = localArrays.get(ordinal);
            int existingSize = java.lang.reflect.Array.getLength(existing);
            if (existing.getClass() != type || existingSize != size) {
                throw new IllegalStateException(where + ": work-items of one group allocated local array #" + ordinal + " with different types or sizes ("
                        + existing.getClass().getSimpleName() + "[" + existingSize + "] vs " + type.getSimpleName() + "[" + size + "])");
            }
            return existing;
        }
        Object created = newPoisonedArray(type, size);
        localArrays.add(created);
        return created;
    }

    /** Local memory on a device is not initialised: fill with values that make reliance on zeros visible. */
    static Object newPoisonedArray(Class<?> type, int size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative local array size " + size);
        }
        if (type == float[].class) {
            float[] a = new float[size];
            Arrays.fill(a, Float.NaN);
            return a;
        }
        if (type == double[].class) {
            double[] a = new double[size];
            Arrays.fill(a, Double.NaN);
            return a;
        }
        if (type == int[].class) {
            int[] a = new int[size];
            Arrays.fill(a, 0x7EADBEEF);
            return a;
        }
        throw new IllegalArgumentException("unsupported local array type " + type);
    }
}
