package org.attentionlab.tornadoapi.jvm;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernel method behind one task of a task graph, found from the place in the caller's code where the task was
 * added (see {@link TaskCodeTargets}), and how it runs. Made by the JVM implementation of {@code TaskGraph.task};
 * part of the JVM implementation only, not of TornadoVM's API.
 */
public final class TaskKernel {

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    /** Per caller class: call site ("method descriptor @bytecodeIndex") to its kernel method, or why none was found. */
    private static final ClassValue<Map<String, Object>> SITES = new ClassValue<>() {
        @Override
        protected Map<String, Object> computeValue(Class<?> type) {
            return new ConcurrentHashMap<>();
        }
    };

    private final StackWalker.StackFrame caller;
    private final Object code;
    private final int arity;
    private volatile Optional<KernelPlan> plan;

    private TaskKernel(StackWalker.StackFrame caller, Object code, int arity) {
        this.caller = caller;
        this.code = code;
        this.arity = arity;
    }

    /**
     * The task whose code {@code code} (a {@code TaskN} with {@code arity} arguments) is being added by a call into
     * {@code api}: the call site is the first stack frame below {@code api}'s frames and those of its subclasses (a
     * subclass that passes the call on, e.g. to remember what a graph's tasks take, is not where the code comes from).
     */
    public static TaskKernel calledThrough(Class<?> api, Object code, int arity) {
        StackWalker.StackFrame frame = WALKER.walk(frames -> frames.dropWhile(f -> f.getDeclaringClass() != api)
                .dropWhile(f -> api.isAssignableFrom(f.getDeclaringClass()))
                .findFirst()
                .orElse(null));
        return new TaskKernel(frame, code, arity);
    }

    /** The plan of the kernel method, or empty when that method could not be found (logged once per call site). */
    public Optional<KernelPlan> plan() {
        Optional<KernelPlan> p = plan;
        if (p == null) {
            Object target = caller == null ? find() : SITES.get(caller.getDeclaringClass()).computeIfAbsent(
                    caller.getMethodName() + caller.getDescriptor() + "@" + caller.getByteCodeIndex(), site -> find());
            p = target instanceof Method m ? Optional.of(ParallelLoops.plan(m)) : Optional.empty();
            plan = p;
        }
        return p;
    }

    /** {@code Class.method} of the kernel, as TornadoVM's profiler names it; "unknown" when it could not be found. */
    public String describe() {
        return plan().map(p -> p.kernel().getDeclaringClass().getSimpleName() + "." + p.kernel().getName()).orElse("unknown");
    }

    private Object find() {
        if (caller == null) {
            ParallelLoops.warn("a task added from outside any method runs as written (sequentially)");
            return "no caller";
        }
        try {
            return TaskCodeTargets.resolve(caller.getDeclaringClass(), caller.getMethodName(), caller.getDescriptor(), caller.getByteCodeIndex(), arity, code);
        } catch (TaskCodeTargets.Unresolved e) {
            ParallelLoops.warn("the task added at " + caller + " runs as written (sequentially): " + e.getMessage());
            return e.getMessage();
        }
    }

    /**
     * Runs the kernel on {@code args} with its {@code @Parallel} loops split over {@link ParallelLoops#threads()}
     * threads and returns true; or returns false, having run nothing, when it is to run as written (one thread, no
     * loop to split, or a kernel that cannot be split).
     */
    public boolean runSplit(Object[] args) {
        int threads = ParallelLoops.threads();
        if (threads == 1) {
            return false;
        }
        Optional<KernelPlan> p = plan();
        if (p.isEmpty() || !p.get().isSplit()) {
            return false;
        }
        p.get().run(args, threads);
        return true;
    }
}
