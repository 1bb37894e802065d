package org.attentionlab.model.exec;

import java.util.LinkedHashMap;
import java.util.Map;

import org.attentionlab.model.weights.Json;

/**
 * The device time of each task in a TornadoVM profiler log ({@code TornadoProfilerResult.getProfileLog()}). TornadoVM
 * writes one JSON object per execution of a graph, {@code {"<graph>": {"TOTAL_KERNEL_TIME": "...", ...,
 * "<graph>.<task>": {"METHOD": "...", "TASK_KERNEL_TIME": "<ns>", ...}, ...}}}, and with the profiler in its silent mode
 * appends each execution's object to the graph's log; the plain-JVM implementation writes the same form, one object.
 */
public final class TaskTimes {

    private TaskTimes() {
    }

    /** Nanoseconds per task name ({@code graph.task}) in the log's last execution; empty for a log without one. */
    static Map<String, Long> lastExecution(String log) {
        Map<String, Long> times = new LinkedHashMap<>();
        forEachTask(log, (name, method, nanos) -> times.put(name, nanos));
        return times;
    }

    /**
     * Nanoseconds per kernel ({@code METHOD}, as {@code Class.method}) in the log's last execution, summed over the
     * tasks that ran it; empty for a log without one.
     */
    public static Map<String, Long> lastExecutionByKernel(String log) {
        Map<String, Long> times = new LinkedHashMap<>();
        forEachTask(log, (name, method, nanos) -> times.merge(method, nanos, Long::sum));
        return times;
    }

    private interface TaskTime {
        void accept(String task, String method, long nanos);
    }

    private static void forEachTask(String log, TaskTime action) {
        String last = lastObject(log == null ? "" : log);
        if (last == null || !(Json.read(last) instanceof Map<?, ?> graphs)) {
            return;
        }
        for (Object graph : graphs.values()) {
            if (graph instanceof Map<?, ?> entries) {
                entries.forEach((name, value) -> {
                    if (value instanceof Map<?, ?> task && task.get("TASK_KERNEL_TIME") != null) {
                        Object method = task.get("METHOD");
                        action.accept((String) name, method == null ? "unknown" : method.toString(),
                                Long.parseLong(task.get("TASK_KERNEL_TIME").toString().strip()));
                    }
                });
            }
        }
    }

    /** The last top-level {@code {...}} of a text of concatenated JSON objects, or null. */
    private static String lastObject(String text) {
        int depth = 0;
        int start = -1;
        String last = null;
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{') {
                if (depth++ == 0) {
                    start = i;
                }
            } else if (c == '}' && depth > 0 && --depth == 0) {
                last = text.substring(start, i + 1);
            }
        }
        return last;
    }
}
