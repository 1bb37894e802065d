package uk.ac.manchester.tornado.api;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** What a kernel can ask of the thread that runs it (the subset of TornadoVM's interface used here). */
public interface ExecutionContext {

    void localBarrier();

    void globalBarrier();

    int[] allocateIntLocalArray(int size);

    float[] allocateFloatLocalArray(int size);

    double[] allocateDoubleLocalArray(int size);

    void atomicAdd(IntArray array, int index, int val);

    void atomicAdd(int[] array, int index, int val);

    void atomicAdd(FloatArray array, int index, float val);
}
