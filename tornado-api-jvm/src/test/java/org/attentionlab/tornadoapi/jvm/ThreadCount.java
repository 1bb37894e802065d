package org.attentionlab.tornadoapi.jvm;

import java.util.function.Supplier;

/** Runs code with {@link ParallelLoops#THREADS_PROPERTY} set, then restores it. */
final class ThreadCount {

    private ThreadCount() {
    }

    static <T> T with(int threads, Supplier<T> code) {
        String before = System.setProperty(ParallelLoops.THREADS_PROPERTY, Integer.toString(threads));
        try {
            return code.get();
        } finally {
            if (before == null) {
                System.clearProperty(ParallelLoops.THREADS_PROPERTY);
            } else {
                System.setProperty(ParallelLoops.THREADS_PROPERTY, before);
            }
        }
    }
}
