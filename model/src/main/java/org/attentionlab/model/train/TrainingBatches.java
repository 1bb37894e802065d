package org.attentionlab.model.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.attentionlab.model.InputException;
import org.attentionlab.model.config.TrainingConfig;
import org.attentionlab.model.spec.TrainSpec;
import org.attentionlab.model.tasks.Batch;
import org.attentionlab.model.tasks.Task;
import org.attentionlab.model.tasks.TaskInput;
import org.attentionlab.model.weights.Tensor;

/**
 * The batches {@code scripts/run train} trains on, as tensors ({@code scripts/run batches}): so that another framework
 * (the PyTorch twin, scripts/torch_models.py) trains on exactly the same data, and its fixtures hold them. Micro-batch
 * {@code m} of step {@code s} (counting from 1) is row {@code (s - 1) k + m} of each tensor ({@code k} =
 * grad_accumulation):
 * <ul>
 * <li>token tasks: {@code input} and {@code target}, int32 {@code [steps k, batch_size, seq_len]}, the target
 * {@link Batch#IGNORED} where a position does not count;</li>
 * <li>feature tasks: {@code input} float32 {@code [steps k, batch_size, seq_len, embed_dim]}, {@code target} float32
 * {@code [.., num_labels]} and {@code counted} int32 {@code [steps k, batch_size, seq_len]} (1 where the target counts).</li>
 * </ul>
 */
public final class TrainingBatches {

    /** The most values one tensor may hold: a Java array's. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private TrainingBatches() {
    }

    /** The batches of the first {@code steps} steps of a run of {@code config}; the text task reads {@code text} or its text_file. */
    public static Map<String, Tensor> draw(TrainingConfig config, Optional<Path> text, int steps) {
        TrainSpec train = config.train();
        Task task = TrainTask.create(config, text);
        int k = train.gradAccumulation();
        int widest = task.input() instanceof TaskInput.Features features ? Math.max(features.width(), features.targetWidth()) : 1;
        long micro = (long) steps * k;
        if (steps < 1 || micro * train.batchSize() * train.seqLen() * widest > MAX_ELEMENTS) {
            throw new InputException("the batches of " + steps + " steps of " + train.sequencesPerStep() + " x " + train.seqLen()
                    + " positions do not fit one file (at most " + MAX_ELEMENTS + " values per tensor): ask for 1 step or more, and fewer");
        }
        Batch[] batches = new Batch[(int) micro];
        for (int i = 0; i < batches.length; i++) {
            batches[i] = TrainTask.trainingBatch(task, train, i / k, i % k);
        }
        int[] positions = { batches.length, train.batchSize(), train.seqLen() };
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        switch (task.input()) {
        case TaskInput.Tokens tokens -> {
            tensors.put("input", Tensor.ofInts(positions, concat(batches, b -> ((Batch.Tokens) b).inputs())));
            tensors.put("target", Tensor.ofInts(positions, concat(batches, b -> ((Batch.Tokens) b).targets())));
        }
        case TaskInput.Features features -> {
            tensors.put("input", Tensor.ofFloats(withWidth(positions, features.width()), concatFloats(batches, b -> ((Batch.Features) b).inputs())));
            tensors.put("target", Tensor.ofFloats(withWidth(positions, features.targetWidth()), concatFloats(batches, b -> ((Batch.Features) b).targets())));
            tensors.put("counted", Tensor.ofInts(positions, concat(batches, b -> ((Batch.Features) b).counted())));
        }
        }
        return tensors;
    }

    private static int[] withWidth(int[] positions, int width) {
        return new int[] { positions[0], positions[1], positions[2], width };
    }

    private static int[] concat(Batch[] batches, java.util.function.Function<Batch, int[]> part) {
        int per = part.apply(batches[0]).length;
        int[] all = new int[batches.length * per];
        for (int i = 0; i < batches.length; i++) {
            System.arraycopy(part.apply(batches[i]), 0, all, i * per, per);
        }
        return all;
    }

    private static float[] concatFloats(Batch[] batches, java.util.function.Function<Batch, float[]> part) {
        int per = part.apply(batches[0]).length;
        float[] all = new float[batches.length * per];
        for (int i = 0; i < batches.length; i++) {
            System.arraycopy(part.apply(batches[i]), 0, all, i * per, per);
        }
        return all;
    }
}
