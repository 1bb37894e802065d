package org.attentionlab.model.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.Model;
import org.attentionlab.model.tasks.Task;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * Loss and accuracy of a model on a task at several sequence lengths: {@code batches} batches per length, drawn with
 * the evaluation seed (never a training batch), the same batches at every evaluation. One evaluation graph per length,
 * built when first needed and kept; each sends the model's current host parameters.
 */
final class Evaluator implements AutoCloseable {

    private final Model model;
    private final Task task;
    private final Objective.Kind objective;
    private final int batchSize;
    private final int batches;
    private final long seed;
    private final TornadoDevice device;
    private final Map<Integer, TrainingGraph> graphs = new LinkedHashMap<>();

    Evaluator(Model model, Task task, Objective.Kind objective, int batchSize, int batches, long seed, TornadoDevice device) {
        this.model = model;
        this.task = task;
        this.objective = objective;
        this.batchSize = batchSize;
        this.batches = batches;
        this.seed = seed;
        this.device = device;
    }

    /** The mean loss over every counted position of the batches at {@code length}, and the accuracy. */
    TrainingGraph.StepResult evaluate(int length) {
        TrainingGraph graph = graphs.computeIfAbsent(length, l -> TrainingGraph.forEvaluation(model, batchSize, l, objective, device));
        double weightedLoss = 0;
        long counted = 0;
        long correct = 0;
        for (int b = 0; b < batches; b++) {
            TrainingGraph.StepResult result = graph.run(List.of(task.draw(seed, b, batchSize, length)));
            weightedLoss += result.loss() * result.counted();
            counted += result.counted();
            correct += result.correct();
        }
        return new TrainingGraph.StepResult(counted == 0 ? 0 : weightedLoss / counted, counted, correct, Double.NaN, Double.NaN);
    }

    @Override
    public void close() {
        graphs.values().forEach(TrainingGraph::close);
        graphs.clear();
    }
}
