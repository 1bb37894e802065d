package org.attentionlab.tornadoapi.jvm;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * Runs the parts of a split kernel: part 0 on the calling thread, the others on pooled platform threads. The pool
 * grows with demand (idle threads end after a minute), so a kernel launched from a pool thread never waits for a
 * thread that is itself waiting.
 */
final class SplitWorkers {

    private static final ExecutorService POOL = Executors.newCachedThreadPool(runnable -> {
        Thread t = new Thread(runnable, "tornado-jvm-parallel-loop");
        t.setDaemon(true);
        return t;
    });

    private SplitWorkers() {
    }

    /** Runs {@code part(0) ... part(parts - 1)} concurrently and returns when all have ended; rethrows the first part's failure. */
    static void run(int parts, IntConsumer part) {
        Future<?>[] others = new Future<?>[parts - 1];
        for (int p = 1; p < parts; p++) {
            int index = p;
            others[p - 1] = POOL.submit(() -> part.accept(index));
        }
        Throwable failure = null;
        try {
            part.accept(0);
        } catch (Throwable t) {
            failure = t;
        }
        boolean interrupted = false;
        for (Future<?> f : others) {
            // Wait for every part even when interrupted: they write the kernel's outputs.
            while (true) {
                try {
                    f.get();
                    break;
                } catch (ExecutionException e) {
                    failure = failure != null ? failure : e.getCause();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }
}
