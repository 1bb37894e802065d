package org.attentionlab.model.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.attentionlab.model.InputException;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.ConfigWriter;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.TrainingConfig;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.spec.LrSchedule;
import org.attentionlab.model.spec.TaskName;
import org.attentionlab.model.spec.TrainSpec;
import org.attentionlab.model.tasks.Batch;
import org.attentionlab.model.tasks.Task;
import org.attentionlab.model.weights.Json;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * {@code scripts/run train}, modelled on nanoGPT's {@code train.py}: the run's folder, the config, the model, the task
 * and the optimizer are set up, then one loop draws each step's batches, runs the step graph (forward, loss, backward
 * and AdamW, all on the device), logs, and every {@code checkpoint_interval} steps reads the parameters back, writes a
 * checkpoint and evaluates. Step {@code s} (counting updates from 1) trains on batches {@code (s-1)·k .. (s-1)·k + k-1}
 * of the task's seeded stream ({@code k} = grad_accumulation), and dropout draws its masks from the update count, so a
 * run resumed from a checkpoint continues exactly as if it had not stopped.
 */
public final class Trainer {

    /** Where a run reports as it goes: the CLI draws a progress bar, or prints lines where stderr is not a terminal. */
    public interface Listener {
        /** What is about to run, in one line. */
        void started(String description);

        /** A step finished ({@code logged}: it is a log_interval step); {@code etaSeconds} NaN until it can be told. */
        void stepped(long step, long steps, double loss, double accuracy, double learningRate, double tokensPerSecond, double etaSeconds, boolean logged);

        /** An evaluation at one length finished. */
        void evaluated(long step, int length, double loss, double accuracy);

        /** Anything else worth a line (a checkpoint written, the run interrupted). */
        void note(String message);
    }

    /** The loss stopped being a number: the run's settings, not its input, went wrong (its checkpoints stay). */
    public static final class DivergedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DivergedException(String message) {
            super(message, null, false, false);
        }
    }

    /** How a run ended: the last completed step, and whether a signal stopped it first. */
    public record Outcome(long lastStep, boolean interrupted, Path folder) {
    }

    private final TrainingConfig config;
    private final RunDirectory folder;
    private final Optional<Path> text;
    private final TornadoDevice device;
    private final Listener listener;
    private final boolean profile;

    private Trainer(TrainingConfig config, RunDirectory folder, Optional<Path> text, TornadoDevice device, Listener listener, boolean profile) {
        this.config = config;
        this.folder = folder;
        this.text = text;
        this.device = device;
        this.listener = listener;
        this.profile = profile;
    }

    /**
     * A new run of {@code configFile} into {@code out} (refused if it holds another run, unless {@code force}); with
     * {@code profile}, every step after the process's first is profiled kernel by kernel and the listener gets the
     * table as notes at the end ({@link StepProfile}).
     */
    public static Outcome start(Path configFile, List<String> overrides, Path out, boolean force, Optional<Path> text, TornadoDevice device,
            Listener listener, boolean profile) throws IOException {
        RunDirectory folder = RunDirectory.forNewRun(out, force);
        TrainingConfig config = ConfigLoader.loadTraining(configFile, overrides);
        return new Trainer(config, folder, text, device, listener, profile).run(null);
    }

    /**
     * Continues the run in {@code out} from its latest checkpoint, with the config the checkpoint holds ({@code overrides} on top);
     * {@code profile} as {@link #start}.
     */
    public static Outcome resume(Path out, List<String> overrides, Optional<Path> text, TornadoDevice device, Listener listener, boolean profile)
            throws IOException {
        RunDirectory folder = RunDirectory.forResume(out);
        List<Path> checkpoints = folder.checkpoints();
        Checkpoint latest = Checkpoint.read(checkpoints.get(checkpoints.size() - 1));
        TrainingConfig config = ConfigLoader.parseTraining(latest.config(), latest.file(), overrides);
        return new Trainer(config, folder, text, device, listener, profile).run(latest);
    }

    private Outcome run(Checkpoint resumeFrom) throws IOException {
        // ---- the task, the model and the optimizer
        TrainSpec train = config.train();
        Task task = TrainTask.create(config, text);
        Objective.Kind objective = TrainTask.objective(config);
        Model model = Model.build(config.model());
        checkTrainable(model);
        OptimizerState optimizer = new OptimizerState(model.parameters(), optimizerSettings(train));
        long step = 0;
        List<LogLine> log = new ArrayList<>();
        if (resumeFrom != null) {
            resumeFrom.restore(model, optimizer);
            step = resumeFrom.step();
            if (optimizer.updatesDone() != step) {
                throw new CheckpointException(resumeFrom.file() + ": optimizer.step is " + optimizer.updatesDone() + " but the metadata says step " + step);
            }
            log.addAll(folder.truncateLog(step));
        } else {
            folder.startFresh();
        }
        // The checkpoints' config names the text the run read: with --text, that file, so that --resume (which reads
        // the saved config) continues on the same text rather than on the config's text_file or on none.
        String resolvedConfig = ConfigWriter.write(config.model(),
                train.task() == TaskName.TEXT && text.isPresent() ? train.withTextFile(text.get().toAbsolutePath().normalize()) : train);
        int k = train.gradAccumulation();
        long tokensPerStep = (long) train.sequencesPerStep() * train.seqLen();
        listener.started((resumeFrom == null ? "training " : "resuming at step " + step + ": ") + config.model().oneLine() + "; " + task.describe() + "; "
                + train.steps() + " steps of " + train.sequencesPerStep() + " x " + train.seqLen() + " tokens; " + model.parameters().count()
                + " parameters; into " + folder.folder());
        if (step >= train.steps()) {
            listener.note("nothing to do: the run already reached step " + step + " of " + train.steps() + " (raise it with --set train.steps=N)");
            return new Outcome(step, false, folder.folder());
        }

        // ---- the step graph and the evaluation graphs
        RunShape shape = new RunShape(train.batchSize(), train.seqLen(), true, dropoutSeed(train));
        try (TrainingGraph stepGraph = TrainingGraph.forTraining(model, shape, objective, optimizer, k, device);
                Evaluator evaluator = new Evaluator(model, task, objective, train.batchSize(), train.evalBatches(), TrainTask.evaluationSeed(train), device);
                Interruption interruption = new Interruption()) {
            listener.note("launch: " + Json.write(stepGraph.launchReport()));

            // ---- the loop
            long windowStart = System.nanoTime();
            long windowTokens = 0;
            long loopStart = System.nanoTime();
            long timedSteps = 0;
            long timedNanos = 0;
            boolean firstInProcess = true;
            boolean interrupted = false;
            StepProfile stepProfile = new StepProfile();
            while (step < train.steps()) {
                if (interruption.requested()) {
                    interrupted = true;
                    break;
                }
                long stepStart = System.nanoTime();
                List<Batch> batches = new ArrayList<>(k);
                for (int micro = 0; micro < k; micro++) {
                    batches.add(TrainTask.trainingBatch(task, train, step, micro));
                }
                TrainingGraph.StepResult result = stepGraph.run(batches);
                step++;
                if (!Double.isFinite(result.loss())) {
                    List<Path> saved = folder.checkpoints();
                    throw new DivergedException("the loss is " + result.loss() + " at step " + step + ": training diverged (lower train.learning_rate)"
                            + (saved.isEmpty() ? "" : "; the last checkpoint is " + saved.get(saved.size() - 1)));
                }
                long now = System.nanoTime();
                // The first step of a process also compiles the kernels for the device: the estimate and the profile leave it out.
                if (!firstInProcess) {
                    timedSteps++;
                    timedNanos += now - stepStart;
                    if (profile) {
                        stepProfile.addStep(step, now - stepStart);
                    }
                } else if (profile) {
                    stepGraph.profileInto(stepProfile);
                }
                firstInProcess = false;
                windowTokens += tokensPerStep;
                double tokensPerSecond = windowTokens / ((now - windowStart) / 1e9);
                double eta = timedSteps == 0 ? Double.NaN : (train.steps() - step) * (timedNanos / 1e9 / timedSteps);
                boolean logged = step % train.logInterval() == 0 || step == train.steps();
                listener.stepped(step, train.steps(), result.loss(), result.accuracy(), result.learningRate(), tokensPerSecond, eta, logged);
                if (logged) {
                    LogLine line = LogLine.training(step, result, tokensPerSecond, (now - loopStart) / 1e9);
                    folder.append(List.of(line));
                    log.add(line);
                    windowStart = now;
                    windowTokens = 0;
                }
                if (step % train.checkpointInterval() == 0 || step == train.steps()) {
                    // The parameters and moments come back from the device only here.
                    stepGraph.readBack();
                    try {
                        Checkpoint.write(folder.checkpoint(step), step, step * k, resolvedConfig, task.describe(), model, optimizer);
                    } catch (IOException e) {
                        if (!interruption.requested()) {
                            throw e;
                        }
                        // The signal's cleanup removed the checkpoint's temporary file under the writer: it is not kept.
                        interrupted = true;
                        break;
                    }
                    listener.note("checkpoint " + folder.checkpoint(step));
                    List<LogLine> evaluations = new ArrayList<>();
                    for (int length : train.evalLengths()) {
                        TrainingGraph.StepResult evaluation = evaluator.evaluate(length);
                        evaluations.add(LogLine.evaluation(step, length, evaluation));
                        listener.evaluated(step, length, evaluation.loss(), evaluation.accuracy());
                    }
                    folder.append(evaluations);
                    log.addAll(evaluations);
                    writePlot(log, task);
                    windowStart = System.nanoTime();
                    windowTokens = 0;
                }
            }
            if (profile) {
                stepProfile.report().forEach(listener::note);
            }
            if (interrupted) {
                List<Path> saved = folder.checkpoints();
                listener.note("interrupted after step " + step + ": " + (saved.isEmpty() ? "no checkpoint was written yet"
                        : "the last checkpoint is " + saved.get(saved.size() - 1) + " (continue with scripts/run train --resume " + folder.folder() + ")"));
            }
            return new Outcome(step, interrupted, folder.folder());
        }
    }

    /** loss.png; a machine that cannot draw (no fonts for Java2D) gets a note, not a failed run. */
    private void writePlot(List<LogLine> log, Task task) {
        try {
            LossPlot.write(folder.plot(), log, task.describe());
        } catch (IOException | RuntimeException | Error e) {
            listener.note("loss.png not written: " + e);
        }
    }

    /** An architecture with a layer that has no backward yet is refused at its key, before any work. */
    private void checkTrainable(Model model) {
        TrainingGraph.untrainableLayer(model).ifPresent(layer -> {
            throw config.errors().at(Keys.ARCHITECTURE, "architecture " + config.model().architecture().yamlName() + " cannot be trained yet: its layer '"
                    + layer.describe() + "' has no backward");
        });
    }

    /** AdamW's settings from the train: block: the cosine ends at the last step; a constant schedule has no decay. */
    static AdamWSettings optimizerSettings(TrainSpec train) {
        int decaySteps = train.schedule() == LrSchedule.COSINE ? train.steps() : train.warmupSteps();
        return new AdamWSettings(train.learningRate(), train.beta1(), train.beta2(), train.adamEpsilon(), train.weightDecay(), train.gradClip(),
                train.warmupSteps(), decaySteps, train.schedule() == LrSchedule.COSINE ? train.minLearningRate() : train.learningRate(),
                train.gradAccumulation());
    }

    /** The dropout masks' run seed, from the data seed. */
    static int dropoutSeed(TrainSpec train) {
        return (int) (train.dataSeed() ^ (train.dataSeed() >>> 32));
    }
}
