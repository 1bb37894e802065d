package org.attentionlab.model.weights;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor's contents: an element type, a shape (row-major, as safetensors and PyTorch store it) and the
 * elements, as float[] for floating-point types and int[] for integer types. Immutable: accessors return copies.
 */
public final class Tensor {

    private final DType dtype;
    private final int[] shape;
    private final float[] floats;
    private final int[] ints;

    private Tensor(DType dtype, int[] shape, float[] floats, int[] ints) {
        this.dtype = dtype;
        this.shape = shape;
        this.floats = floats;
        this.ints = ints;
    }

    /** An F32 tensor; {@code data.length} must equal the product of {@code shape} (1 for a scalar, shape []). */
    public static Tensor ofFloats(int[] shape, float[] data) {
        return floats(DType.F32, shape, data.clone());
    }

    /**
     * An F32 tensor that takes {@code data} as it is, without a copy: for large tensors built to be written once.
     * The caller must not change {@code data} afterwards.
     */
    public static Tensor wrapping(int[] shape, float[] data) {
        return floats(DType.F32, shape, data);
    }

    /** An I32 tensor (token ids); {@code data.length} must equal the product of {@code shape}. */
    public static Tensor ofInts(int[] shape, int[] data) {
        return ints(DType.I32, shape, data.clone());
    }

    /** A float tensor read from a file of dtype {@code stored}; takes ownership of {@code data}. */
    static Tensor floats(DType stored, int[] shape, float[] data) {
        if (!stored.isFloatingPoint()) {
            throw new IllegalArgumentException(stored + " is not a floating-point dtype");
        }
        int[] checked = checkedShape(shape, data.length);
        return new Tensor(stored, checked, data, null);
    }

    /** An int tensor read from a file of dtype {@code stored}; takes ownership of {@code data}. */
    static Tensor ints(DType stored, int[] shape, int[] data) {
        if (stored.isFloatingPoint()) {
            throw new IllegalArgumentException(stored + " is not an integer dtype");
        }
        int[] checked = checkedShape(shape, data.length);
        return new Tensor(stored, checked, null, data);
    }

    private static int[] checkedShape(int[] shape, int length) {
        Objects.requireNonNull(shape, "shape");
        long count = 1;
        for (int dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            count *= dim;
            if (count > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is too large");
            }
        }
        if (count != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + count
                    + " elements, but the data has " + length);
        }
        return shape.clone();
    }

    /** The element type as stored in the file this came from (F32 or I32 for tensors built in memory). */
    public DType dtype() {
        return dtype;
    }

    /** True when the elements are floats (read with {@link #floats()}); false for ints ({@link #ints()}). */
    public boolean isFloatingPoint() {
        return floats != null;
    }

    /** A copy of the shape; empty for a scalar. */
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    /** Number of elements: the product of the shape. */
    public int size() {
        return floats != null ? floats.length : ints.length;
    }

    /** A copy of the elements of a floating-point tensor, row-major. */
    public float[] floats() {
        if (floats == null) {
            throw new IllegalStateException("a " + dtype + " tensor holds ints; use ints()");
        }
        return floats.clone();
    }

    /** A copy of the elements of an integer tensor, row-major. */
    public int[] ints() {
        if (ints == null) {
            throw new IllegalStateException("a " + dtype + " tensor holds floats; use floats()");
        }
        return ints.clone();
    }

    /** The elements of a float tensor without a copy, for writers in this package; never modified. */
    float[] floatsView() {
        return floats;
    }

    /** The elements of an int tensor without a copy, for writers in this package; never modified. */
    int[] intsView() {
        return ints;
    }

    /**
     * The index of the first element that is NaN or infinite, or -1 when all are finite (always -1 for ints).
     */
    public int firstNonFinite() {
        if (floats == null) {
            return -1;
        }
        for (int i = 0; i < floats.length; i++) {
            if (!Float.isFinite(floats[i])) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Same dtype, shape and elements, floats compared as {@link Float#floatToIntBits} does (NaN equals NaN, 0.0 is
     * not -0.0).
     */
    @Override
    public boolean equals(Object other) {
        if (!(other instanceof Tensor that)) {
            return false;
        }
        return dtype == that.dtype && Arrays.equals(shape, that.shape) && Arrays.equals(floats, that.floats)
                && Arrays.equals(ints, that.ints);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dtype, Arrays.hashCode(shape), Arrays.hashCode(floats), Arrays.hashCode(ints));
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
