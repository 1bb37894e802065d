package org.attentionlab.kernels.testing;

import org.attentionlab.kernels.AdamW;
import org.attentionlab.kernels.reference.AdamWReference.Hyperparameters;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * AdamW steps as a training graph runs them: one task graph (the norm's partial sums per buffer, prepareStep, an update
 * per buffer) executed once per step, parameters, moments, counter and settings transferred once and kept in device
 * memory, only the gradients transferred each step (results copied back after every step for inspection).
 */
public final class AdamWRun {
    public final FloatArray[] parameters;
    public final FloatArray[] gradients;
    public final FloatArray[] m;
    public final FloatArray[] v;
    public final IntArray step = new IntArray(1);
    public final FloatArray state = new FloatArray(AdamW.STATE);
    public final FloatArray settings;
    public final TaskGraph graph;
    public final GridScheduler grids = new GridScheduler();

    public AdamWRun(String name, float[][] initial, Hyperparameters h, double[] weightDecays) {
        int buffers = initial.length;
        parameters = new FloatArray[buffers];
        gradients = new FloatArray[buffers];
        m = new FloatArray[buffers];
        v = new FloatArray[buffers];
        int slots = 0;
        for (int b = 0; b < buffers; b++) {
            parameters[b] = FloatArray.fromArray(initial[b]);
            gradients[b] = new FloatArray(initial[b].length);
            m[b] = new FloatArray(initial[b].length);
            v[b] = new FloatArray(initial[b].length);
            slots += AdamW.normGroups(initial[b].length);
        }
        FloatArray partials = new FloatArray(slots);
        settings = AdamW.settings(h.learningRate(), h.beta1(), h.beta2(), h.eps(), h.maxGradNorm(), h.warmupSteps(), h.totalSteps(), h.minLearningRateRatio(),
                h.gradientScale());
        TaskGraph g = new TaskGraph(name).transferToDevice(DataTransferMode.FIRST_EXECUTION, settings, step)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, (Object[]) parameters).transferToDevice(DataTransferMode.FIRST_EXECUTION, (Object[]) m)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, (Object[]) v).transferToDevice(DataTransferMode.EVERY_EXECUTION, (Object[]) gradients);
        int slot = 0;
        for (int b = 0; b < buffers; b++) {
            int size = initial[b].length;
            g.task("norm" + b, AdamW::sumOfSquares, new KernelContext(), gradients[b], partials, size, slot);
            grids.addWorkerGrid(name + ".norm" + b, AdamW.normGrid(size));
            slot += AdamW.normGroups(size);
        }
        g.task("prepare", AdamW::prepareStep, new KernelContext(), partials, slot, settings, step, state);
        grids.addWorkerGrid(name + ".prepare", AdamW.prepareGrid());
        for (int b = 0; b < buffers; b++) {
            g.task("update" + b, AdamW::update, parameters[b], gradients[b], m[b], v[b], settings, state, (float) weightDecays[b], initial[b].length);
        }
        graph = g.transferToHost(DataTransferMode.EVERY_EXECUTION, (Object[]) parameters).transferToHost(DataTransferMode.EVERY_EXECUTION, (Object[]) m)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, (Object[]) v).transferToHost(DataTransferMode.EVERY_EXECUTION, step, state);
    }

    /** Executes the graph once per entry of {@code gradientsPerStep} (gradients per buffer), in one execution plan. */
    public void steps(float[][][] gradientsPerStep) {
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withGridScheduler(grids);
            for (float[][] stepGradients : gradientsPerStep) {
                for (int b = 0; b < gradients.length; b++) {
                    for (int i = 0; i < stepGradients[b].length; i++) {
                        gradients[b].set(i, stepGradients[b][i]);
                    }
                }
                plan.execute();
            }
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException(e);
        }
    }
}
