package uk.ac.manchester.tornado.api.types.vectors;

import java.util.Arrays;

/**
 * Sixteen floats as one value (TornadoVM 5.2's {@code Float16} API subset): on an OpenCL device TornadoVM compiles a
 * Float16 to OpenCL's {@code float16}, which a CPU compiler keeps in one 512-bit register where the CPU has them (PoCL
 * uses AVX-512 registers for explicit 16-lane vectors although its own vectorizer prefers 256 bits). This subset holds
 * only what TornadoVM's OpenCL backend intrinsifies: the constructors, {@link #get}/{@link #set(int, float)} and the
 * lane-wise {@link #add}, {@link #sub}, {@link #mult} and {@link #div} of two vectors. Other TornadoVM overloads
 * (a vector and a scalar, min, max, dot) are left out: a kernel using them would not compile on a device.
 */
public final class Float16 {

    private static final int NUM_ELEMENTS = 16;

    private final float[] storage;

    private Float16(float[] storage) {
        this.storage = storage;
    }

    /** Sixteen zeros. */
    public Float16() {
        this(new float[NUM_ELEMENTS]);
    }

    public Float16(float s0, float s1, float s2, float s3, float s4, float s5, float s6, float s7, float s8, float s9, float s10, float s11, float s12,
            float s13, float s14, float s15) {
        this(new float[] {s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15});
    }

    public static Float16 add(Float16 a, Float16 b) {
        float[] out = new float[NUM_ELEMENTS];
        for (int i = 0; i < NUM_ELEMENTS; i++) {
            out[i] = a.storage[i] + b.storage[i];
        }
        return new Float16(out);
    }

    public static Float16 sub(Float16 a, Float16 b) {
        float[] out = new float[NUM_ELEMENTS];
        for (int i = 0; i < NUM_ELEMENTS; i++) {
            out[i] = a.storage[i] - b.storage[i];
        }
        return new Float16(out);
    }

    public static Float16 mult(Float16 a, Float16 b) {
        float[] out = new float[NUM_ELEMENTS];
        for (int i = 0; i < NUM_ELEMENTS; i++) {
            out[i] = a.storage[i] * b.storage[i];
        }
        return new Float16(out);
    }

    public static Float16 div(Float16 a, Float16 b) {
        float[] out = new float[NUM_ELEMENTS];
        for (int i = 0; i < NUM_ELEMENTS; i++) {
            out[i] = a.storage[i] / b.storage[i];
        }
        return new Float16(out);
    }

    public float get(int index) {
        return storage[index];
    }

    public void set(int index, float value) {
        storage[index] = value;
    }

    public int size() {
        return NUM_ELEMENTS;
    }

    public float[] toArray() {
        return storage.clone();
    }

    @Override
    public String toString() {
        return Arrays.toString(storage);
    }
}
