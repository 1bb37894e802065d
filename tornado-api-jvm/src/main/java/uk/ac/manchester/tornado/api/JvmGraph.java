package uk.ac.manchester.tornado.api;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.attentionlab.tornadoapi.jvm.TaskKernel;

/** What a snapshot of a {@link TaskGraph} holds. */
record JvmGraph(String name, List<JvmTask> tasks, List<JvmTransfer> toDevice, List<JvmTransfer> toHost, Set<Object> persisted,
        Map<Object, String> consumed) {

    JvmGraph {
        persisted = Collections.unmodifiableSet(persisted);
        consumed = Collections.unmodifiableMap(consumed);
    }
}

/** A data transfer declared on a graph: a {@code DataTransferMode} and the objects it moves. */
record JvmTransfer(int mode, List<Object> objects) {
}

/**
 * A task: its name, its code (a {@code TornadoFunctions.TaskN}), the arguments it was given, and the kernel method
 * behind the code, whose {@code @Parallel} loops can run split over threads.
 */
record JvmTask(String id, Object code, Class<?> taskInterface, Object[] args, TaskKernel kernel) {

    /** Runs the task on the given (device-side) arguments: its kernel split over threads where it can be, else its code. */
    void run(Object[] deviceArgs) {
        if (!kernel.runSplit(deviceArgs)) {
            invoke(deviceArgs);
        }
    }

    /** Calls the task's code with the given (device-side) arguments. */
    void invoke(Object[] deviceArgs) {
        try {
            APPLY.get(taskInterface).invoke(code, deviceArgs);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("task " + id + " failed", t);
        }
    }

    private static final ClassValue<MethodHandle> APPLY = new ClassValue<>() {
        @Override
        protected MethodHandle computeValue(Class<?> taskInterface) {
            for (java.lang.reflect.Method m : taskInterface.getMethods()) {
                if (m.getName().equals("apply")) {
                    return applyHandle(taskInterface, m.getParameterCount());
                }
            }
            throw new IllegalStateException(taskInterface.getName() + " has no apply method");
        }
    };

    private static MethodHandle applyHandle(Class<?> taskInterface, int arity) {
        try {
            Class<?>[] params = new Class<?>[arity];
            java.util.Arrays.fill(params, Object.class);
            MethodHandle apply = MethodHandles.publicLookup().findVirtual(taskInterface, "apply", MethodType.methodType(void.class, params));
            return apply.asType(MethodType.methodType(void.class, Object.class).appendParameterTypes(params)).asSpreader(Object[].class, arity);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot call " + taskInterface.getName() + ".apply", e);
        }
    }
}
