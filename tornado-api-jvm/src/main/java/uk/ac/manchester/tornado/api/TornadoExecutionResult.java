package uk.ac.manchester.tornado.api;

import java.util.List;

/** The outcome of {@link TornadoExecutionPlan#execute()}: profiler figures and on-demand copies to the host. */
public class TornadoExecutionResult {

    private final TornadoProfilerResult profilerResult;
    private final JvmDeviceMemory memory;
    private final List<Integer> executedGraphs;

    TornadoExecutionResult(TornadoProfilerResult profilerResult, JvmDeviceMemory memory, List<Integer> executedGraphs) {
        this.profilerResult = profilerResult;
        this.memory = memory;
        this.executedGraphs = executedGraphs;
    }

    public TornadoProfilerResult getProfilerResult() {
        return profilerResult;
    }

    /** Copies objects declared {@code UNDER_DEMAND} (or any other device copy) back to the host now. */
    public TornadoExecutionResult transferToHost(Object... objects) {
        memory.copyToHostOnDemand(executedGraphs, objects, new JvmDeviceMemory.Traffic());
        return this;
    }

    public boolean isReady() {
        return true;
    }
}
