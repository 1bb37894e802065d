package org.attentionlab.model.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

import org.attentionlab.model.InputException;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.TrainingConfig;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.TrainSpec;
import org.attentionlab.model.tasks.AssociativeRecall;
import org.attentionlab.model.tasks.Batch;
import org.attentionlab.model.tasks.Copying;
import org.attentionlab.model.tasks.DelayedRecall;
import org.attentionlab.model.tasks.PasskeyRetrieval;
import org.attentionlab.model.tasks.Task;
import org.attentionlab.model.tasks.TextModeling;

/** The task a train: block names, as a {@link Task} to draw batches from, and how the model's output is scored on it. */
public final class TrainTask {

    /** Added to the data seed for evaluation batches, which are then never training batches. */
    static final long EVALUATION_SEED_OFFSET = 0x632BE59BD9B4E019L;

    /** Above this a text is refused: the whole file is held in memory. */
    static final long MAX_TEXT_BYTES = 1L << 30;

    private TrainTask() {
    }

    /**
     * The task of {@code config}; the text task reads {@code text} (scripts/run train --text) or else its text_file.
     * The config's checks ran when it was resolved; a text file that cannot be read or is too short for the run's
     * lengths is an input error naming it.
     */
    public static Task create(TrainingConfig config, Optional<Path> text) {
        TrainSpec train = config.train();
        return switch (train.task()) {
        case ASSOCIATIVE_RECALL -> new AssociativeRecall(train.pairs(), train.keys(), train.values());
        case PASSKEY_RETRIEVAL -> new PasskeyRetrieval(train.digits(), train.depth().orElse(null));
        case COPYING -> new Copying(train.vocab());
        case DELAYED_RECALL -> new DelayedRecall(train.delay(), ((InputSpec.Features) config.model().input()).embedDim(),
                config.model().settings().get(Keys.NUM_LABELS));
        case TEXT -> text(config, text);
        };
    }

    private static TextModeling text(TrainingConfig config, Optional<Path> override) {
        TrainSpec train = config.train();
        Path file = override.or(train::textFile).orElseThrow(() -> config.errors().at(Keys.TEXT_FILE,
                "task text needs a file to model: give text_file here or scripts/run train --text FILE"));
        String name = override.isPresent() ? "--text " + file : file.toString();
        byte[] bytes;
        try {
            if (!Files.isRegularFile(file)) {
                throw new InputException(name + ": " + (Files.exists(file) ? "not a regular file" : "no such file"));
            }
            if (Files.size(file) > MAX_TEXT_BYTES) {
                throw new InputException(name + ": the text is " + Files.size(file) + " bytes; the limit is " + MAX_TEXT_BYTES);
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InputException(name + ": no such file");
        } catch (IOException e) {
            throw new InputException(name + ": cannot read it (" + e.getMessage() + ")");
        }
        if (bytes.length < 2) {
            throw new InputException(name + ": a text to model needs at least 2 bytes, it has " + bytes.length);
        }
        TextModeling task = new TextModeling(file.getFileName().toString(), bytes);
        int longest = Math.max(train.seqLen(), train.evalLengths().stream().mapToInt(Integer::intValue).max().orElse(0));
        if (longest > task.maxSeqLen()) {
            throw new InputException(name + ": " + bytes.length + " bytes are too few for sequences of " + longest + " positions (train.seq_len,"
                    + " train.eval_lengths): at most " + task.maxSeqLen());
        }
        return task;
    }

    /** How the model's output meets the task's targets (the config checks made sure one of these fits). */
    public static Objective.Kind objective(TrainingConfig config) {
        if (!config.train().task().readsTokens()) {
            return Objective.Kind.REGRESSION;
        }
        return config.model().output() == OutputMode.LAST ? Objective.Kind.LAST_TOKEN : Objective.Kind.NEXT_TOKEN;
    }

    /**
     * Micro-batch {@code micro} of the step after {@code stepsDone} updates: batch {@code stepsDone * k + micro} of the
     * task's stream ({@code k} = grad_accumulation), whichever process draws it.
     */
    public static Batch trainingBatch(Task task, TrainSpec train, long stepsDone, int micro) {
        return task.draw(train.dataSeed(), stepsDone * train.gradAccumulation() + micro, train.batchSize(), train.seqLen());
    }

    /** The seed of evaluation batches: never that of a training batch. */
    static long evaluationSeed(TrainSpec train) {
        return train.dataSeed() + EVALUATION_SEED_OFFSET;
    }
}
