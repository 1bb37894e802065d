package org.attentionlab.model.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.attentionlab.model.InputException;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.TrainingConfig;
import org.attentionlab.model.tasks.Task;
import org.attentionlab.model.tasks.TextModeling;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * {@code scripts/run eval CHECKPOINT --lengths ...}: a checkpoint's model on its run's task at several lengths, with
 * the evaluation seed of the run (the batches its training evaluations saw, never a training batch).
 */
public final class CheckpointEvaluation {

    /** One length's figures: mean loss over counted positions, accuracy (NaN for regression), counted positions. */
    public record Result(int length, double loss, double accuracy, long positions) {
    }

    /** What was evaluated and how it did. */
    public record Report(Path checkpoint, long step, String model, String task, int batchSize, int batches, List<Result> results) {
    }

    private CheckpointEvaluation() {
    }

    /**
     * @param batches   batches per length; empty: the run's eval_batches
     * @param batchSize sequences per batch; empty: the run's batch_size
     */
    public static Report run(Path checkpointFile, List<Integer> lengths, Optional<Integer> batches, Optional<Integer> batchSize, Optional<Path> text,
            TornadoDevice device) {
        Checkpoint checkpoint = Checkpoint.read(checkpointFile);
        TrainingConfig config = ConfigLoader.parseTraining(checkpoint.config(), checkpointFile, List.of());
        Task task = TrainTask.create(config, text);
        for (int length : lengths) {
            if (length < task.minSeqLen() || (task instanceof TextModeling textTask && length > textTask.maxSeqLen())) {
                throw new InputException("--lengths: " + task.describe() + " cannot draw sequences of " + length + " positions (from " + task.minSeqLen()
                        + (task instanceof TextModeling textTask ? " to " + textTask.maxSeqLen() : "") + ")");
            }
        }
        Model model = Model.build(config.model());
        checkpoint.restore(model, null);
        int batchCount = batches.orElse(config.train().evalBatches());
        int rows = batchSize.orElse(config.train().batchSize());
        List<Result> results = new ArrayList<>();
        try (Evaluator evaluator = new Evaluator(model, task, TrainTask.objective(config), rows, batchCount, TrainTask.evaluationSeed(config.train()),
                device)) {
            for (int length : lengths) {
                TrainingGraph.StepResult result = evaluator.evaluate(length);
                results.add(new Result(length, result.loss(), result.accuracy(), result.counted()));
            }
        }
        return new Report(checkpointFile, checkpoint.step(), config.model().oneLine(), task.describe(), rows, batchCount, results);
    }
}
