package uk.ac.manchester.tornado.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoDeviceNotFound;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.exceptions.TornadoRuntimeException;

/**
 * Executes one or more task graphs (TornadoVM 5.2's {@code TornadoExecutionPlan} API subset). On the plain JVM
 * the graphs run their tasks in order on the host, with device memory simulated by {@link JvmDeviceMemory}.
 * The {@code with*} methods configure this plan and return it, as TornadoVM's return a plan that shares its
 * state.
 */
public class TornadoExecutionPlan implements AutoCloseable {

    private static final AtomicLong PLANS = new AtomicLong();

    private final long id;
    private final List<JvmGraph> graphs = new ArrayList<>();
    private final JvmDeviceMemory memory;
    private final List<TornadoExecutionResult> planResults = new ArrayList<>();
    private GridScheduler gridScheduler;
    private ProfilerMode profilerMode;
    /** Index of the one graph {@link #execute()} runs, or -1 for all of them in order. */
    private int selectedGraph = -1;
    /**
     * The last graph the previous {@link #execute()} ran, or -1: where every graph of the next execution takes the
     * buffers it consumes from, as TornadoVM does (whatever graph name {@code consumeFromDevice} was given).
     */
    private int lastExecutedGraph = -1;
    private boolean closed;

    public TornadoExecutionPlan(ImmutableTaskGraph... immutableTaskGraphs) {
        if (immutableTaskGraphs.length == 0) {
            throw new TornadoRuntimeException("an execution plan needs at least one task graph");
        }
        for (ImmutableTaskGraph g : immutableTaskGraphs) {
            for (JvmGraph existing : graphs) {
                if (existing.name().equals(g.jvmGraph().name())) {
                    throw new TornadoRuntimeException("two task graphs named " + existing.name() + " in one execution plan");
                }
            }
            if (g.jvmGraph().tasks().isEmpty()) {
                // TornadoVM 5.2 fails on such a graph deep in its graph builder; say so up front.
                throw new TornadoRuntimeException("task graph " + g.jvmGraph().name() + " has no tasks");
            }
            graphs.add(g.jvmGraph());
        }
        memory = new JvmDeviceMemory(graphs);
        id = PLANS.incrementAndGet();
    }

    public static TornadoDevice getDevice(int driverIndex, int deviceIndex) {
        if (driverIndex != 0) {
            throw new TornadoDeviceNotFound("this runtime (the plain JVM) has one backend (0), not " + driverIndex);
        }
        return JvmRuntime.backend().getDevice(deviceIndex);
    }

    public static TornadoDeviceMap getTornadoDeviceMap() {
        return new TornadoDeviceMap();
    }

    public static int getTotalPlans() {
        return (int) PLANS.get();
    }

    public long getId() {
        return id;
    }

    public TornadoExecutionResult execute() {
        if (closed) {
            throw new TornadoRuntimeException("execution plan " + id + " is closed");
        }
        JvmDeviceMemory.Traffic traffic = new JvmDeviceMemory.Traffic();
        long kernelNanos = 0;
        long start = System.nanoTime();
        List<Integer> executed = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        for (int g = 0; g < graphs.size(); g++) {
            if (selectedGraph >= 0 && g != selectedGraph) {
                continue;
            }
            long graphStart = System.nanoTime();
            memory.copyIn(g, traffic, lastExecutedGraph);
            long[] taskNanos = new long[graphs.get(g).tasks().size()];
            for (int t = 0; t < taskNanos.length; t++) {
                long taskStart = System.nanoTime();
                runTask(g, graphs.get(g).tasks().get(t));
                taskNanos[t] = System.nanoTime() - taskStart;
                kernelNanos += taskNanos[t];
            }
            memory.copyOut(g, traffic);
            executed.add(g);
            appendProfileLog(log, graphs.get(g), taskNanos, System.nanoTime() - graphStart);
        }
        long total = System.nanoTime() - start;
        if (!executed.isEmpty()) {
            lastExecutedGraph = executed.get(executed.size() - 1);
        }
        // As in TornadoVM, the figures are collected only while a profiler is enabled.
        TornadoProfilerResult profile = profilerMode == null ? new TornadoProfilerResult(0, 0, 0, 0, 0, "")
                : new TornadoProfilerResult(total, kernelNanos, traffic.nanos, traffic.bytesIn, traffic.bytesOut, log.toString());
        if (profilerMode == ProfilerMode.CONSOLE) {
            profile.dumpProfiles();
        }
        TornadoExecutionResult result = new TornadoExecutionResult(profile, memory, List.copyOf(executed));
        planResults.add(result);
        return result;
    }

    /**
     * One graph's execution in the form of TornadoVM's profiler log: an object named after the graph holding its totals
     * and, per task {@code graph.task}, its method and {@code TASK_KERNEL_TIME} (here the task's wall time on the host),
     * times as strings of nanoseconds.
     */
    private static void appendProfileLog(StringBuilder log, JvmGraph graph, long[] taskNanos, long graphNanos) {
        long kernel = 0;
        for (long nanos : taskNanos) {
            kernel += nanos;
        }
        log.append("{\n    \"").append(graph.name()).append("\": {\n");
        log.append("        \"TOTAL_KERNEL_TIME\": \"").append(kernel).append("\",\n");
        log.append("        \"TOTAL_TASK_GRAPH_TIME\": \"").append(graphNanos).append('"');
        for (int t = 0; t < taskNanos.length; t++) {
            JvmTask task = graph.tasks().get(t);
            log.append(",\n        \"").append(graph.name()).append('.').append(task.id()).append("\": {\n");
            log.append("            \"BACKEND\": \"JAVA\",\n");
            log.append("            \"METHOD\": \"").append(task.kernel().describe()).append("\",\n");
            log.append("            \"TASK_KERNEL_TIME\": \"").append(taskNanos[t]).append("\"\n        }");
        }
        log.append("\n    }\n}\n");
    }

    private void runTask(int g, JvmTask task) {
        Object[] hostArgs = task.args();
        Object[] deviceArgs = new Object[hostArgs.length];
        int contextIndex = -1;
        for (int i = 0; i < hostArgs.length; i++) {
            if (hostArgs[i] instanceof KernelContext) {
                contextIndex = i;
            }
            deviceArgs[i] = memory.deviceArgument(g, hostArgs[i]);
        }
        if (contextIndex < 0) {
            task.run(deviceArgs);
            return;
        }
        String key = graphs.get(g).name() + "." + task.id();
        WorkerGrid grid = gridScheduler == null ? null : gridScheduler.get(key);
        if (grid == null) {
            throw new TornadoRuntimeException("task " + key + " takes a KernelContext but the plan has no WorkerGrid for it (withGridScheduler)");
        }
        int ctx = contextIndex;
        JvmKernelGrid.run(key, grid, item -> {
            Object[] itemArgs = deviceArgs.clone();
            itemArgs[ctx] = item;
            task.invoke(itemArgs);
        });
    }

    public TornadoExecutionPlan withGraph(int graphIndex) {
        if (graphIndex < 0 || graphIndex >= graphs.size()) {
            throw new TornadoRuntimeException("graph index " + graphIndex + " out of range: the plan has " + graphs.size() + " graphs");
        }
        selectedGraph = graphIndex;
        return this;
    }

    public TornadoExecutionPlan withAllGraphs() {
        selectedGraph = -1;
        return this;
    }

    /** Kernels are plain Java here: nothing to compile ahead of the first execution. */
    public TornadoExecutionPlan withPreCompilation() {
        return this;
    }

    public TornadoExecutionPlan withDevice(TornadoDevice device) {
        requireJvmDevice(device);
        return this;
    }

    public TornadoExecutionPlan withDevice(String taskName, TornadoDevice device) {
        requireJvmDevice(device);
        return this;
    }

    private static void requireJvmDevice(TornadoDevice device) {
        if (device != JvmRuntime.device()) {
            throw new TornadoDeviceNotFound("the plain-JVM runtime runs only on its own device, not " + device);
        }
    }

    public TornadoDevice getDevice(int immutableTaskGraphIndex) {
        return JvmRuntime.device();
    }

    public TornadoExecutionPlan freeDeviceMemory() {
        memory.free();
        return this;
    }

    public TornadoExecutionPlan withGridScheduler(GridScheduler gridScheduler) {
        boolean registered = false;
        for (JvmGraph g : graphs) {
            for (JvmTask t : g.tasks()) {
                registered |= gridScheduler.get(g.name() + "." + t.id()) != null;
            }
        }
        if (!registered) {
            // TornadoVM rejects a scheduler none of whose names is a task of the plan.
            throw new TornadoRuntimeException("[ERROR] GridScheduler Name not registered in any task-graph");
        }
        this.gridScheduler = gridScheduler;
        return this;
    }

    public TornadoExecutionPlan withDefaultScheduler() {
        this.gridScheduler = null;
        return this;
    }

    public TornadoExecutionPlan withProfiler(ProfilerMode profilerMode) {
        this.profilerMode = profilerMode;
        return this;
    }

    public TornadoExecutionPlan withoutProfiler() {
        this.profilerMode = null;
        return this;
    }

    public TornadoExecutionPlan withWarmUpIterations(int iterations) {
        if (iterations < 0) {
            throw new TornadoRuntimeException("[ERROR] Warm-up time cannot be negative");
        }
        for (int i = 0; i < iterations; i++) {
            execute();
        }
        return this;
    }

    public TornadoExecutionPlan clearProfiles() {
        planResults.clear();
        return this;
    }

    public TornadoExecutionResult getPlanResult(int index) {
        return planResults.get(index);
    }

    @Override
    public void close() throws TornadoExecutionPlanException {
        memory.free();
        closed = true;
    }

    @Override
    public String toString() {
        return "TornadoExecutionPlan[" + id + ", graphs=" + graphs.stream().map(JvmGraph::name).toList() + "]";
    }
}
