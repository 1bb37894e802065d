package org.attentionlab.model.spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A config's {@code train:} block, resolved (configs/README.md, "Training"): the task and its options, the length of
 * the run and its batches, AdamW and its schedule, evaluation, logging and checkpoints. Immutable; what each value
 * means is documented with its key in {@code config.Keys}.
 *
 * @param task             what the batches are drawn from; the options below that it does not read keep their defaults
 * @param textFile         the text task's file, resolved against the config's folder (empty: it must come from --text)
 * @param depth            passkey depth in [0, 1]; empty: drawn per row
 * @param minLearningRate  where the cosine ends (ignored by a constant schedule)
 * @param evalLengths      sequence lengths evaluated at every checkpoint and at the end
 */
public record TrainSpec(TaskName task, int pairs, int keys, int values, int digits, Optional<Double> depth, int vocab, int delay, Optional<Path> textFile,
        int steps, int batchSize, int seqLen, double learningRate, int warmupSteps, LrSchedule schedule, double minLearningRate, double weightDecay,
        double beta1, double beta2, double adamEpsilon, double gradClip, int gradAccumulation, long dataSeed, List<Integer> evalLengths, int evalBatches,
        int logInterval, int checkpointInterval) {

    public TrainSpec {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(depth, "depth");
        Objects.requireNonNull(textFile, "textFile");
        Objects.requireNonNull(schedule, "schedule");
        evalLengths = List.copyOf(evalLengths);
        if (steps < 1 || batchSize < 1 || seqLen < 1 || gradAccumulation < 1 || evalBatches < 1 || logInterval < 1 || checkpointInterval < 1
                || evalLengths.isEmpty()) {
            throw new IllegalArgumentException("not a usable train block: " + this);
        }
    }

    /** This block with {@code file} as the text task's file (a run started with scripts/run train --text saves it so). */
    public TrainSpec withTextFile(Path file) {
        return new TrainSpec(task, pairs, keys, values, digits, depth, vocab, delay, Optional.of(file), steps, batchSize, seqLen, learningRate,
                warmupSteps, schedule, minLearningRate, weightDecay, beta1, beta2, adamEpsilon, gradClip, gradAccumulation, dataSeed, evalLengths,
                evalBatches, logInterval, checkpointInterval);
    }

    /** Sequences per optimizer update: the micro-batch times the accumulation. */
    public int sequencesPerStep() {
        return batchSize * gradAccumulation;
    }
}
