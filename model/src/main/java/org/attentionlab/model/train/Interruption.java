package org.attentionlab.model.train;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C (SIGINT) and SIGTERM during a run: the JVM starts shutting down and runs this hook, which asks the loop to
 * stop and waits until it has (the step in progress, and a checkpoint being written, finish first), so that the run's
 * folder keeps its last complete checkpoint and no half-written file. The JVM then exits with the signal's status.
 */
final class Interruption implements AutoCloseable {

    /** Longer than any step or checkpoint should take; past it the JVM exits anyway (a write in progress leaves only a temporary). */
    static final long PATIENCE_SECONDS = 600;

    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread hook = new Thread(this::stopAndWait, "stop-training");

    Interruption() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    private void stopAndWait() {
        requested.set(true);
        try {
            stopped.await(PATIENCE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether a signal asked the run to stop. */
    boolean requested() {
        return requested.get();
    }

    /** The loop writes nothing more: the hook may let the JVM exit. */
    @Override
    public void close() {
        stopped.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook runs (or ran) and returns now
        }
    }
}
