package uk.ac.manchester.tornado.api.types.arrays;

/**
 * Base of TornadoVM's off-heap arrays. TornadoVM backs them with a {@code MemorySegment}; this JVM implementation
 * backs them with a Java array, which is all the kernels and the host code need (they only use get/set/size).
 */
public abstract class TornadoNativeArray {

    TornadoNativeArray() {
    }

    public abstract int getSize();

    public abstract int getElementSize();

    public abstract long getNumBytesOfSegment();

    public abstract void clear();

    /** A fresh array of the same type and size, for the simulated device buffer; contents unspecified. */
    abstract TornadoNativeArray jvmNewOfSameSize();

    /** Copies all elements of {@code source} (same type and size) into this array. */
    abstract void jvmCopyFrom(TornadoNativeArray source);

    /** Fills with a value no kernel should rely on, as device memory that was never written holds garbage. */
    abstract void jvmPoison();

    /** Package bridge for the runtime in {@code uk.ac.manchester.tornado.api}, which lives in another package. */
    public static final class JvmAccess {
        private JvmAccess() {
        }

        public static TornadoNativeArray newOfSameSize(TornadoNativeArray array) {
            return array.jvmNewOfSameSize();
        }

        public static void copy(TornadoNativeArray from, TornadoNativeArray to) {
            if (from.getClass() != to.getClass() || from.getSize() != to.getSize()) {
                throw new IllegalArgumentException("cannot copy " + from.getClass().getSimpleName() + "[" + from.getSize() + "] into "
                        + to.getClass().getSimpleName() + "[" + to.getSize() + "]");
            }
            to.jvmCopyFrom(from);
        }

        public static void poison(TornadoNativeArray array) {
            array.jvmPoison();
        }
    }
}
