package org.attentionlab.kernels.testing;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;

/** Runs task graphs the way an application does: snapshot, execution plan with a grid scheduler, execute, close. */
public final class Plans {

    private Plans() {
    }

    public static void executeOnce(TaskGraph graph, GridScheduler scheduler) {
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withGridScheduler(scheduler).execute();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException(e);
        }
    }
}
