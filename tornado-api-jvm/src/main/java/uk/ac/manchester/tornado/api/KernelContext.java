package uk.ac.manchester.tornado.api;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The thread's view of a KernelContext kernel: its global, group and local indices, the grid sizes, work-group
 * barriers and local memory. The index fields are boxed {@code Integer}s because TornadoVM 5.2 declares them so;
 * bytecode compiled against this class links against TornadoVM's.
 *
 * <p>The context a user creates with {@code new KernelContext()} is only a placeholder passed to
 * {@code TaskGraph.task}: when the task runs, every work-item of the grid gets its own context.
 */
public class KernelContext implements ExecutionContext {

    private static final Integer ZERO = 0;

    public final Integer globalIdx;
    public final Integer globalIdy;
    public final Integer globalIdz;
    public final Integer groupIdx;
    public final Integer groupIdy;
    public final Integer groupIdz;
    public final Integer localIdx;
    public final Integer localIdy;
    public final Integer localIdz;
    public final Integer globalGroupSizeX;
    public final Integer globalGroupSizeY;
    public final Integer globalGroupSizeZ;
    public final Integer localGroupSizeX;
    public final Integer localGroupSizeY;
    public final Integer localGroupSizeZ;

    /** The work-group this work-item belongs to; null for the placeholder and for plain Java calls. */
    private final JvmWorkGroup workGroup;
    private int localArraysAllocated;
    private int barriersReached;

    public KernelContext() {
        globalIdx = globalIdy = globalIdz = ZERO;
        groupIdx = groupIdy = groupIdz = ZERO;
        localIdx = localIdy = localIdz = ZERO;
        globalGroupSizeX = globalGroupSizeY = globalGroupSizeZ = 1;
        localGroupSizeX = localGroupSizeY = localGroupSizeZ = 1;
        workGroup = null;
    }

    KernelContext(JvmWorkGroup workGroup, int[] globalId, int[] groupId, int[] localId, int[] globalSize, int[] localSize) {
        this.workGroup = workGroup;
        globalIdx = globalId[0];
        globalIdy = globalId[1];
        globalIdz = globalId[2];
        groupIdx = groupId[0];
        groupIdy = groupId[1];
        groupIdz = groupId[2];
        localIdx = localId[0];
        localIdy = localId[1];
        localIdz = localId[2];
        globalGroupSizeX = globalSize[0];
        globalGroupSizeY = globalSize[1];
        globalGroupSizeZ = globalSize[2];
        localGroupSizeX = localSize[0];
        localGroupSizeY = localSize[1];
        localGroupSizeZ = localSize[2];
    }

    int barriersReached() {
        return barriersReached;
    }

    @Override
    public void localBarrier() {
        barriersReached++;
        if (workGroup != null) {
            workGroup.barrier();
        }
    }

    /** Like OpenCL's {@code barrier(CLK_GLOBAL_MEM_FENCE)}: it synchronises the work-group, not the whole grid. */
    @Override
    public void globalBarrier() {
        localBarrier();
    }

    @Override
    public int[] allocateIntLocalArray(int size) {
        return (int[]) localArray(int[].class, size);
    }

    @Override
    public float[] allocateFloatLocalArray(int size) {
        return (float[]) localArray(float[].class, size);
    }

    @Override
    public double[] allocateDoubleLocalArray(int size) {
        return (double[]) localArray(double[].class, size);
    }

    private Object localArray(Class<?> type, int size) {
        int ordinal = localArraysAllocated++;
        return workGroup == null ? JvmWorkGroup.newPoisonedArray(type, size) : workGroup.localArray(ordinal, type, size);
    }

    @Override
    public void atomicAdd(IntArray array, int index, int val) {
        synchronized (array) {
            array.set(index, array.get(index) + val);
        }
    }

    @Override
    public void atomicAdd(int[] array, int index, int val) {
        synchronized (array) {
            array[index] += val;
        }
    }

    @Override
    public void atomicAdd(FloatArray array, int index, float val) {
        synchronized (array) {
            array.set(index, array.get(index) + val);
        }
    }
}
