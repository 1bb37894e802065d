package org.attentionlab.model.weights;

/** The safetensors element types this project reads; F16 and BF16 are converted to float on reading. */
public enum DType {
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    I32(4, false),
    I64(8, false);

    private final int byteSize;
    private final boolean floatingPoint;

    DType(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    /** Bytes per element in a file. */
    public int byteSize() {
        return byteSize;
    }

    /** True for F32, F16 and BF16, which are read as float[]; false for I32 and I64, read as int[]. */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** The dtype spelled {@code name} in a safetensors header, or null if this project does not read it. */
    public static DType fromHeaderName(String name) {
        for (DType dtype : values()) {
            if (dtype.name().equals(name)) {
                return dtype;
            }
        }
        return null;
    }
}
