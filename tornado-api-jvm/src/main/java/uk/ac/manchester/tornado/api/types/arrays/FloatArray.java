package uk.ac.manchester.tornado.api.types.arrays;

import java.util.Arrays;

/** An array of 32-bit floats that can be sent to a device (TornadoVM 5.2's {@code FloatArray} API subset). */
public final class FloatArray extends TornadoNativeArray {

    private static final int FLOAT_BYTES = 4;

    private final float[] values;

    public FloatArray(int numberOfElements) {
        if (numberOfElements < 0) {
            throw new IllegalArgumentException("negative FloatArray size " + numberOfElements);
        }
        this.values = new float[numberOfElements];
    }

    private FloatArray(float[] values) {
        this.values = values;
    }

    public static FloatArray fromArray(float[] values) {
        return new FloatArray(values.clone());
    }

    public static FloatArray fromElements(float... values) {
        return fromArray(values);
    }

    public static void initialize(FloatArray array, float value) {
        array.init(value);
    }

    public static FloatArray concat(FloatArray... arrays) {
        int total = 0;
        for (FloatArray a : arrays) {
            total += a.getSize();
        }
        float[] joined = new float[total];
        int at = 0;
        for (FloatArray a : arrays) {
            System.arraycopy(a.values, 0, joined, at, a.values.length);
            at += a.values.length;
        }
        return new FloatArray(joined);
    }

    public float[] toHeapArray() {
        return values.clone();
    }

    public void set(int index, float value) {
        values[index] = value;
    }

    public float get(int index) {
        return values[index];
    }

    @Override
    public void clear() {
        Arrays.fill(values, 0f);
    }

    @Override
    public int getElementSize() {
        return FLOAT_BYTES;
    }

    public void init(float value) {
        Arrays.fill(values, value);
    }

    @Override
    public int getSize() {
        return values.length;
    }

    @Override
    public long getNumBytesOfSegment() {
        return (long) values.length * FLOAT_BYTES;
    }

    public FloatArray slice(int offset, int length) {
        return new FloatArray(Arrays.copyOfRange(values, offset, offset + length));
    }

    @Override
    TornadoNativeArray jvmNewOfSameSize() {
        return new FloatArray(values.length);
    }

    @Override
    void jvmCopyFrom(TornadoNativeArray source) {
        float[] from = ((FloatArray) source).values;
        System.arraycopy(from, 0, values, 0, from.length);
    }

    @Override
    void jvmPoison() {
        Arrays.fill(values, Float.NaN);
    }
}
