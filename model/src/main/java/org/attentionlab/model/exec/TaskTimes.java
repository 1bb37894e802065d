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
final class TaskTimes {

    private TaskTimes() {
    }

    /** Nanoseconds per task name ({@code graph.task}) in the log's last execution; empty for a log without one. */
    static Map<String, Long> lastExecution(String log) {
        Map<String, Long> times = new LinkedHashMap<>();
        String last = lastObject(log == null ? "" : log);
        if (last == null) {
            return times;
        }
        if (!(Json.read(last) instanceof Map<?, ?> graphs)) {
            return times;
        }
        for (Object graph : graphs.values()) {
            if (graph instanceof Map<?, ?> entries) {
                entries.forEach((name, value) -> {
                    if (value instanceof Map<?, ?> task && task.get("TASK_KERNEL_TIME") != null) {
                        times.put((String) name, Long.parseLong(task.get("TASK_KERNEL_TIME").toString().strip()));
                    }
                });
            }
        }
        return times;
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
