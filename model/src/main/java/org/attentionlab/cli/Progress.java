package org.attentionlab.cli;

import java.io.PrintWriter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What a long run is doing, on stderr, so minutes of silence do not look like a hang: "building the model",
 * "compiling for the device", "run 3 of 10". On a terminal it is one status line rewritten in place, shown only
 * once the run has taken {@link #TERMINAL_DELAY_MS} ms, and erased before anything else is printed, so the
 * terminal keeps stdout's report and at most the one-line error. Where stderr is not a terminal it is off unless
 * asked for ({@code --progress}), and then every stage is a line of its own starting with "progress: " (an error
 * is still the one last line, starting with "error: "). stdout, and so {@code --json}, never carries it.
 */
final class Progress implements AutoCloseable {

    /** Set by scripts/run when stderr is a terminal ([ -t 2 ]); Java cannot tell for stderr alone. */
    static final String TERMINAL_PROPERTY = "attentionlab.stderr.terminal";
    static final long TERMINAL_DELAY_MS = 2000;
    private static final long TICK_MS = 250;

    private final PrintWriter err;
    private final boolean statusLine;
    private final long delayNanos;
    private final long start = System.nanoTime();
    private final ScheduledExecutorService ticker;
    private String current;
    private String shown;
    private boolean closed;

    private Progress(PrintWriter err, boolean statusLine, long delayMs) {
        this.err = err;
        this.statusLine = statusLine;
        this.delayNanos = TimeUnit.MILLISECONDS.toNanos(delayMs);
        if (statusLine) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "progress");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleWithFixedDelay(this::show, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        } else {
            ticker = null;
        }
    }

    /** No progress at all. */
    static Progress off() {
        return new Progress(null, false, 0);
    }

    /**
     * {@code requested}: --progress (true), --no-progress (false) or neither (null: on for a terminal, unless the
     * output is --json, which is for programs).
     */
    static Progress forRun(Boolean requested, boolean json, PrintWriter err) {
        boolean terminal = Boolean.getBoolean(TERMINAL_PROPERTY);
        boolean on = requested != null ? requested : terminal && !json;
        if (!on) {
            return off();
        }
        return terminal ? new Progress(err, true, requested != null ? 0 : TERMINAL_DELAY_MS) : lines(err);
    }

    /** Every stage as a line of its own, at once (--progress where stderr is not a terminal). */
    static Progress lines(PrintWriter err) {
        return new Progress(err, false, 0);
    }

    /** The run now does {@code what}. */
    synchronized void stage(String what) {
        if (closed || err == null) {
            return;
        }
        current = what;
        if (err == null) {
            return;
        }
        if (!statusLine) {
            err.println("progress: " + what);
            err.flush();
        } else {
            show();
        }
    }

    private synchronized void show() {
        if (closed || current == null || current.equals(shown) || System.nanoTime() - start < delayNanos) {
            return;
        }
        err.print("\r" + current + "\u001b[K");
        err.flush();
        shown = current;
    }

    /** Erases the status line; later stages are not shown. */
    @Override
    public synchronized void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        if (statusLine && shown != null) {
            err.print("\r\u001b[K");
            err.flush();
        }
        closed = true;
    }
}
