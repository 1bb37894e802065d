package org.attentionlab.model.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the profiled steps of a training run spent their time, kernel by kernel: the device time of every task summed
 * per kernel ({@code Class.method}, as TornadoVM's profiler names it; on the JVM implementation the wall time of each
 * task) and the steps' wall time, as {@code scripts/run train --profile} prints them: milliseconds per step.
 */
public final class StepProfile {

    private final Map<String, Long> kernelNanos = new LinkedHashMap<>();
    private long firstStep = -1;
    private long lastStep = -1;
    private long steps;
    private long stepNanos;

    /** Adds one graph execution's kernel times (nanoseconds by kernel). */
    void addKernels(Map<String, Long> nanosByKernel) {
        nanosByKernel.forEach((kernel, nanos) -> kernelNanos.merge(kernel, nanos, Long::sum));
    }

    /** Counts a profiled step (its number and its wall time, batches and graph executions included). */
    void addStep(long step, long wallNanos) {
        if (firstStep < 0) {
            firstStep = step;
        }
        lastStep = step;
        steps++;
        stepNanos += wallNanos;
    }

    public long steps() {
        return steps;
    }

    /** Milliseconds per step by kernel, the largest first. */
    public Map<String, Double> millisPerStep() {
        Map<String, Double> millis = new LinkedHashMap<>();
        if (steps == 0) {
            return millis;
        }
        kernelNanos.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> millis.put(e.getKey(), e.getValue() / 1e6 / steps));
        return millis;
    }

    /** The table printed at the end of a run: a heading, one line per kernel, the sum against a step's wall time. */
    public List<String> report() {
        List<String> lines = new ArrayList<>();
        if (steps == 0) {
            lines.add("profile: no step was profiled (the profile starts at the second step of a process: the first compiles the kernels)");
            return lines;
        }
        double kernels = kernelNanos.values().stream().mapToLong(Long::longValue).sum() / 1e6 / steps;
        double wall = stepNanos / 1e6 / steps;
        lines.add(String.format(Locale.ROOT, "profile: ms per step by kernel, mean of %s (TornadoVM's profiler; timers around each task on the JVM)",
                steps == 1 ? "step " + lastStep : "steps " + firstStep + "-" + lastStep));
        millisPerStep().forEach((kernel, ms) -> lines.add(String.format(Locale.ROOT, "  %10.3f ms %5.1f %%  %s", ms, 100 * ms / kernels, kernel)));
        lines.add(String.format(Locale.ROOT, "  %10.3f ms 100.0 %%  all kernels, of %.3f ms a profiled step (the rest: launches, copies, the host;"
                + " the profiler slows a step)", kernels, wall));
        return lines;
    }
}
