package org.attentionlab.tornadoapi.jvm;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.objectweb.asm.Type;

/**
 * How the JVM implementation of the TornadoVM API runs {@code @Parallel} loops: the outermost {@code @Parallel} loop
 * of a task's kernel is split into one contiguous block of iterations per thread (see {@link ParallelLoopFinder} for
 * the loops that qualify and {@link SplitVariant} for how). {@link #THREADS_PROPERTY} sets the number of threads.
 * This class is part of the JVM implementation only, not of TornadoVM's API.
 */
public final class ParallelLoops {

    /**
     * System property: the number of threads a {@code @Parallel} loop is split over (default: the available
     * processors); 1 runs every kernel as written. Read at each task launch.
     */
    public static final String THREADS_PROPERTY = "attentionlab.jvm.threads";

    private static final System.Logger LOG = System.getLogger(ParallelLoops.class.getName());

    private static final ClassValue<Map<String, KernelPlan>> PLANS = new ClassValue<>() {
        @Override
        protected Map<String, KernelPlan> computeValue(Class<?> type) {
            return new ConcurrentHashMap<>();
        }
    };

    private ParallelLoops() {
    }

    /**
     * How {@code kernel} runs in a task on the JVM: split, or sequentially and why (a refusal is logged once, as a
     * warning, when the plan is first made). Plans are made once per method and kept.
     */
    public static KernelPlan plan(Method kernel) {
        return PLANS.get(kernel.getDeclaringClass()).computeIfAbsent(kernel.getName() + Type.getMethodDescriptor(kernel), k -> KernelPlan.of(kernel));
    }

    /** The number of threads {@code @Parallel} loops are split over now: {@link #THREADS_PROPERTY}, or the processors. */
    public static int threads() {
        String value = System.getProperty(THREADS_PROPERTY);
        if (value == null) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int threads = Integer.parseInt(value.trim());
            if (threads >= 1) {
                return threads;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("system property " + THREADS_PROPERTY + " must be a whole number >= 1, not '" + value + "'");
    }

    static void warn(String message) {
        LOG.log(System.Logger.Level.WARNING, "@Parallel loops on the JVM: " + message);
    }
}
