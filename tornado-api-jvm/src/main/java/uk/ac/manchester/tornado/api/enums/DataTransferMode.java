package uk.ac.manchester.tornado.api.enums;

/** When a task graph copies data between host and device (TornadoVM 5.2 keeps these as int constants). */
public class DataTransferMode {
    /** Copy once, on the first execution of the graph (weights, constants). */
    public static final int FIRST_EXECUTION = 0;
    /** Copy on every execution (inputs that change between runs, results read after each run). */
    public static final int EVERY_EXECUTION = 1;
    /** Copy back only when {@code TornadoExecutionResult.transferToHost} asks for it. */
    public static final int UNDER_DEMAND = 2;
}
