package uk.ac.manchester.tornado.api.enums;

/** How profiler figures are reported: printed after each execution, or only kept in the result. */
public enum ProfilerMode {
    CONSOLE,
    SILENT;
}
