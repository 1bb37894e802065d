package uk.ac.manchester.tornado.api;

/** Timings of one execution, in nanoseconds, and the bytes it moved (TornadoVM's profiler figures). */
public class TornadoProfilerResult {

    private final long totalTime;
    private final long kernelTime;
    private final long transferTime;
    private final long bytesIn;
    private final long bytesOut;
    private final String log;

    TornadoProfilerResult(long totalTime, long kernelTime, long transferTime, long bytesIn, long bytesOut, String log) {
        this.totalTime = totalTime;
        this.kernelTime = kernelTime;
        this.transferTime = transferTime;
        this.bytesIn = bytesIn;
        this.bytesOut = bytesOut;
        this.log = log;
    }

    public long getTotalTime() {
        return totalTime;
    }

    /** Nothing is compiled on the plain JVM (the JIT works in the background): always 0. */
    public long getCompileTime() {
        return 0;
    }

    public long getTornadoCompilerTime() {
        return 0;
    }

    public long getDriverInstallTime() {
        return 0;
    }

    public long getDataTransfersTime() {
        return transferTime;
    }

    public long getDeviceWriteTime() {
        return transferTime;
    }

    public long getDeviceReadTime() {
        return 0;
    }

    public long getDataTransferDispatchTime() {
        return 0;
    }

    public long getKernelDispatchTime() {
        return 0;
    }

    public long getDeviceKernelTime() {
        return kernelTime;
    }

    public long getTotalBytesCopyIn() {
        return bytesIn;
    }

    public long getTotalBytesCopyOut() {
        return bytesOut;
    }

    public long getTotalBytesTransferred() {
        return bytesIn + bytesOut;
    }

    public long getTotalDeviceMemoryUsage() {
        return 0;
    }

    /**
     * Per executed graph, TornadoVM's JSON object: {@code {"<graph>": {"TOTAL_KERNEL_TIME": "<ns>", ..., "<graph>.<task>":
     * {"METHOD": "...", "TASK_KERNEL_TIME": "<ns>"}}}}, the task times measured on the host around each task; empty
     * while no profiler is enabled.
     */
    public String getProfileLog() {
        return log;
    }

    public void dumpProfiles() {
        System.out.println(getProfileLog());
    }
}
