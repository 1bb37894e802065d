package uk.ac.manchester.tornado.api.types.arrays;

import java.util.Arrays;

/** An array of 32-bit ints that can be sent to a device (TornadoVM 5.2's {@code IntArray} API subset). */
public final class IntArray extends TornadoNativeArray {

    private static final int INT_BYTES = 4;
    /** What never-written simulated device memory holds: far out of range as an index, odd as a flag. */
    private static final int POISON = 0x7EADBEEF;

    private final int[] values;

    public IntArray(int numberOfElements) {
        if (numberOfElements < 0) {
            throw new IllegalArgumentException("negative IntArray size " + numberOfElements);
        }
        this.values = new int[numberOfElements];
    }

    private IntArray(int[] values) {
        this.values = values;
    }

    public static IntArray fromArray(int[] values) {
        return new IntArray(values.clone());
    }

    public static IntArray fromElements(int... values) {
        return fromArray(values);
    }

    public static void initialize(IntArray array, int value) {
        array.init(value);
    }

    public int[] toHeapArray() {
        return values.clone();
    }

    public void set(int index, int value) {
        values[index] = value;
    }

    public int get(int index) {
        return values[index];
    }

    @Override
    public void clear() {
        Arrays.fill(values, 0);
    }

    @Override
    public int getElementSize() {
        return INT_BYTES;
    }

    public void init(int value) {
        Arrays.fill(values, value);
    }

    @Override
    public int getSize() {
        return values.length;
    }

    @Override
    public long getNumBytesOfSegment() {
        return (long) values.length * INT_BYTES;
    }

    public IntArray slice(int offset, int length) {
        return new IntArray(Arrays.copyOfRange(values, offset, offset + length));
    }

    @Override
    TornadoNativeArray jvmNewOfSameSize() {
        return new IntArray(values.length);
    }

    @Override
    void jvmCopyFrom(TornadoNativeArray source) {
        int[] from = ((IntArray) source).values;
        System.arraycopy(from, 0, values, 0, from.length);
    }

    @Override
    void jvmPoison() {
        Arrays.fill(values, POISON);
    }
}
