package org.attentionlab.model.exec;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * What one TornadoVM task graph can hold, and what a set of tasks takes of it. TornadoVM 5.2.1 encodes a graph twice
 * in fixed buffers and fails on the first execution when either overflows: its graph description (8 KB, hard-coded in
 * {@code TornadoTaskGraph}: per task 15 bytes and 5 per argument), its graph of nodes (1024, {@code TornadoGraph}, whose
 * resize is unimplemented), at most 256 tasks ({@code TornadoExecutionContext}), and its low-level bytecode
 * ({@code TornadoVMBytecodeBuilder}, 4 KB unless {@code -Dtornado.tvm.maxbytecodesize} says more: scripts/run passes
 * 64 KB). The costs below are upper bounds of those encodings (every object counted with a transfer, a persist and a
 * dependency edge, every argument with a dependency edge), so a graph they admit compiles; they are read from the
 * tasks themselves ({@link TrackedTaskGraph}: tasks, arguments, distinct objects).
 */
final class GraphLimits {

    static final int DESCRIPTION_BYTES = 8192;
    static final int NODES = 1024;
    static final int TASKS = 256;
    /** TornadoVM's own default of {@code tornado.tvm.maxbytecodesize}. */
    static final int DEFAULT_BYTECODE_BYTES = 4096;

    private final int bytecodeBytes;

    private GraphLimits(int bytecodeBytes) {
        this.bytecodeBytes = bytecodeBytes;
    }

    /** The limits of this process: the bytecode buffer is read from the property TornadoVM reads. */
    static GraphLimits ofThisProcess() {
        return new GraphLimits(Integer.getInteger("tornado.tvm.maxbytecodesize", DEFAULT_BYTECODE_BYTES));
    }

    static GraphLimits withBytecodeBytes(int bytes) {
        return new GraphLimits(bytes);
    }

    /** Whether a graph of these tasks fits. */
    boolean admits(Cost cost) {
        return cost.tasks() <= TASKS && cost.descriptionBytes() <= DESCRIPTION_BYTES && cost.nodes() <= NODES && cost.bytecodeBytes() <= bytecodeBytes;
    }

    /** The tasks of a graph: their count, arguments (all, and objects among them) and distinct objects. */
    record Cost(int tasks, int arguments, int objectArguments, Set<Object> objects) {

        static final Cost NONE = new Cost(0, 0, 0, Set.of());

        static Cost of(TrackedTaskGraph graph) {
            return new Cost(graph.size(), graph.arguments(), graph.objectArguments(), graph.objects());
        }

        /** The tasks of both: objects they share are counted once. */
        Cost plus(Cost other) {
            Set<Object> union = Collections.newSetFromMap(new IdentityHashMap<>());
            union.addAll(objects);
            union.addAll(other.objects);
            return new Cost(tasks + other.tasks, arguments + other.arguments, objectArguments + other.objectArguments, union);
        }

        /** CONTEXT, ARG_LIST, one LOAD per argument and LAUNCH per task. */
        long descriptionBytes() {
            return 15L * tasks + 5L * arguments;
        }

        /**
         * Constants (at most one per primitive argument), an object node, a first-use node, a persist or deallocate node
         * and a copy node per object, a task node per task and a dependent-read node per object argument, plus the
         * context and its allocation node.
         */
        long nodes() {
            return 2L + tasks + (arguments - objectArguments) + 4L * objects.size() + objectArguments;
        }

        /**
         * INIT, CONTEXT, BEGIN, BARRIER, END; one ALLOC listing every object; per task LAUNCH (33) and a PUSH (5) per
         * argument; per object a transfer (25) and a PERSIST (9); a dependency edge (5) per argument and per object.
         */
        long bytecodeBytes() {
            return 25L + 13 + 4L * objects.size() + 33L * tasks + 5L * arguments + 34L * objects.size() + 5L * (arguments + objects.size());
        }
    }
}
