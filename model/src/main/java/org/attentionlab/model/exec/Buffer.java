package org.attentionlab.model.exec;

/**
 * A buffer a layer's tasks ask {@link LayerTasks#scratch} for in one run shape, reported without allocating it: its
 * name (as the layer asks for it) and its floats, in 64 bits, so that a size no int-indexed array can hold is reported
 * as it is instead of overflowing. {@link Long#MAX_VALUE} stands for "more than a long holds".
 */
public record Buffer(String name, long elements) {

    /** The attention kernels' scratch, which the flash and memory_efficient algorithms do without. */
    public static final String ATTENTION_SCORES = "scores";

    public Buffer {
        if (elements < 0) {
            throw new IllegalArgumentException("buffer " + name + " has " + elements + " elements");
        }
    }

    /** {@code rows x width} floats. */
    public static Buffer of(String name, long rows, long width) {
        return new Buffer(name, saturatedProduct(rows, width));
    }

    public long bytes() {
        return elements > Long.MAX_VALUE / Float.BYTES ? Long.MAX_VALUE : elements * Float.BYTES;
    }

    /** {@code a * b} for non-negative factors, or {@link Long#MAX_VALUE} when a long cannot hold it. */
    public static long saturatedProduct(long a, long b) {
        return b != 0 && a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
    }
}
