package org.attentionlab.tornadoapi.jvm;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

import org.objectweb.asm.Type;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodNode;

/**
 * How the JVM runs one kernel method in a task: its {@code @Parallel} loops split over threads, or as written
 * (sequentially), and why. Get one with {@link ParallelLoops#plan}.
 */
public final class KernelPlan {

    private final Method kernel;
    /** The split variant spread over an {@code Object[]} of the kernel's arguments plus part and parts; null if not split. */
    private final MethodHandle variant;
    private final String description;

    private KernelPlan(Method kernel, MethodHandle variant, String description) {
        this.kernel = kernel;
        this.variant = variant;
        this.description = description;
    }

    /** Analyses {@code kernel}'s bytecode and, where its loops can be split, defines its split variant; logs a refusal. */
    static KernelPlan of(Method kernel) {
        if (!Modifier.isStatic(kernel.getModifiers())) {
            return sequential(kernel, "it is not a static method");
        }
        try {
            ClassNode owner = ClassFiles.read(kernel.getDeclaringClass());
            MethodNode method = ClassFiles.method(owner, kernel.getName(), Type.getMethodDescriptor(kernel));
            ParallelLoopFinder.Nest nest = ParallelLoopFinder.find(method);
            if (nest == null) {
                return new KernelPlan(kernel, null, "runs as written: it has no @Parallel loop");
            }
            if (nest.inner() == null && nest.innerRefusal() != null) {
                ParallelLoops.warn(name(kernel) + " " + nest.describe());
            }
            MethodHandle variant = SplitVariant.define(kernel.getDeclaringClass(), owner, method, nest);
            int arity = kernel.getParameterCount() + 2;
            MethodHandle spread = variant.asType(variant.type().generic()).asSpreader(Object[].class, arity);
            return new KernelPlan(kernel, spread, nest.describe());
        } catch (ClassFiles.Unreadable | ParallelLoopFinder.Refused | SplitVariant.Undefinable e) {
            return sequential(kernel, e.getMessage());
        }
    }

    private static KernelPlan sequential(Method kernel, String reason) {
        String description = "runs sequentially: " + reason;
        ParallelLoops.warn(name(kernel) + " " + description);
        return new KernelPlan(kernel, null, description);
    }

    private static String name(Method kernel) {
        return kernel.getDeclaringClass().getName() + "." + kernel.getName();
    }

    public Method kernel() {
        return kernel;
    }

    /** Whether its {@code @Parallel} loops are split over threads. */
    public boolean isSplit() {
        return variant != null;
    }

    /** What is split, or why nothing is. */
    public String description() {
        return description;
    }

    /** Runs the kernel with {@code args} split into {@code parts} parts; only for a plan that {@link #isSplit()}. */
    void run(Object[] args, int parts) {
        SplitWorkers.run(parts, part -> {
            Object[] partArgs = java.util.Arrays.copyOf(args, args.length + 2);
            partArgs[args.length] = part;
            partArgs[args.length + 1] = parts;
            try {
                Object ignored = variant.invoke(partArgs);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(name(kernel) + " failed", t);
            }
        });
    }

    @Override
    public String toString() {
        return name(kernel) + " " + description;
    }
}
