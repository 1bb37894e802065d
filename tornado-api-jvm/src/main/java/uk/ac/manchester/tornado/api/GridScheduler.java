package uk.ac.manchester.tornado.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Worker grids by task, keyed {@code "<taskGraphName>.<taskName>"}. */
public class GridScheduler {

    private final Map<String, WorkerGrid> gridTaskMap = new LinkedHashMap<>();

    public GridScheduler() {
    }

    public GridScheduler(String taskName, WorkerGrid workerGrid) {
        addWorkerGrid(taskName, workerGrid);
    }

    public void addWorkerGrid(String taskName, WorkerGrid workerGrid) {
        gridTaskMap.put(taskName, workerGrid);
    }

    public WorkerGrid get(String taskName) {
        return gridTaskMap.get(taskName);
    }

    public boolean contains(String taskScheduleName, String taskName) {
        return gridTaskMap.containsKey(taskScheduleName + "." + taskName);
    }

    public Set<String> keySet() {
        return gridTaskMap.keySet();
    }

    @Override
    public String toString() {
        return "GridScheduler" + gridTaskMap.keySet();
    }
}
