package org.attentionlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.attentionlab.model.train.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * Trains the model a config describes on the task its {@code train:} block names, writing {@code log.jsonl},
 * checkpoints and {@code loss.png} into {@code --out}; or continues such a run ({@code --resume}).
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a model on a seeded task (the config's train: block).%n"
        + "  scripts/run train configs/train/rnope-swa-recall.yaml --out runs/recall%n"
        + "  scripts/run train --resume runs/recall")
final class TrainCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG", description = "A config with a train: block (not with --resume).")
    private Path config;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for log.jsonl, checkpoint-<step>.safetensors and loss.png (created; its parent must exist).")
    private Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run in DIR from its latest checkpoint, with the config saved there.")
    private Path resume;

    @Option(names = "--force", description = "Start a new run in --out even if it holds another run (whose log, checkpoints and plot are deleted).")
    private boolean force;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set train.steps=500 or --set position_embedding=rope (repeatable).")
    private List<String> overrides = new ArrayList<>();

    @Option(names = "--text", paramLabel = "FILE", description = "The file the text task models (overrides train.text_file).")
    private Path text;

    @Option(names = "--device", paramLabel = "DEVICE", description = "jvm or tornado:<backend>:<device> (default: jvm).")
    private String device;

    @Option(names = "--profile", description = "Time every kernel from the second step on (TornadoVM's profiler; timers around each task on the JVM)"
            + " and print milliseconds per step by kernel at the end. Profiled steps run slower; results are unchanged.")
    private boolean profile;

    @Mixin
    private VerboseOption verbose;

    @Override
    public Integer call() throws IOException {
        if ((resume == null) == (config == null)) {
            throw new UsageException("give either CONFIG --out DIR (a new run) or --resume DIR (continue one)");
        }
        if (resume != null && (out != null || force)) {
            throw new UsageException("--resume DIR continues the run in DIR: --out and --force belong to a new run");
        }
        if (config != null && out == null) {
            throw new UsageException("a new run needs --out DIR, the folder for its log and checkpoints");
        }
        TornadoDevice tornadoDevice = (device == null ? DeviceSpec.parse("jvm") : DeviceSpec.parse(device)).resolve();
        PrintWriter err = spec.commandLine().getErr();
        TrainingProgress progress = new TrainingProgress(err, Boolean.getBoolean(Progress.TERMINAL_PROPERTY));
        Trainer.Outcome outcome;
        try {
            outcome = resume != null ? Trainer.resume(resume, overrides, Optional.ofNullable(text), tornadoDevice, progress, profile)
                    : Trainer.start(config, overrides, out, force, Optional.ofNullable(text), tornadoDevice, progress, profile);
        } catch (Trainer.DivergedException e) {
            progress.finish();
            throw new FailedRunException(e.getMessage());
        }
        progress.finish();
        spec.commandLine().getOut().println((outcome.interrupted() ? "interrupted at step " : "trained to step ") + outcome.lastStep() + ": "
                + outcome.folder());
        return Main.EXIT_OK;
    }

    /**
     * The run's progress on stderr: on a terminal one status line rewritten in place (step, loss, accuracy, tokens/s,
     * ETA) with evaluations and notes as lines above it; elsewhere a line every log interval.
     */
    static final class TrainingProgress implements Trainer.Listener {

        private static final int BAR = 24;

        private final PrintWriter err;
        private final boolean terminal;
        private boolean statusShown;

        TrainingProgress(PrintWriter err, boolean terminal) {
            this.err = err;
            this.terminal = terminal;
        }

        @Override
        public void started(String description) {
            line(description);
        }

        @Override
        public void stepped(long step, long steps, double loss, double accuracy, double learningRate, double tokensPerSecond, double etaSeconds,
                boolean logged) {
            String text = String.format(Locale.ROOT, "step %d/%d loss %.4f%s lr %.2e %,.0f tokens/s ETA %s", step, steps, loss,
                    Double.isNaN(accuracy) ? "" : String.format(Locale.ROOT, " acc %.1f%%", 100 * accuracy), learningRate, tokensPerSecond,
                    duration(etaSeconds));
            if (terminal) {
                int filled = (int) (BAR * step / steps);
                err.print("\r[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "] " + text + "\u001b[K");
                err.flush();
                statusShown = true;
            } else if (logged) {
                line(text);
            }
        }

        @Override
        public void evaluated(long step, int length, double loss, double accuracy) {
            line(String.format(Locale.ROOT, "eval at step %d, length %d: loss %.4f%s", step, length, loss,
                    Double.isNaN(accuracy) ? "" : String.format(Locale.ROOT, ", accuracy %.1f%%", 100 * accuracy)));
        }

        @Override
        public void note(String message) {
            line(message);
        }

        private void line(String text) {
            if (statusShown) {
                err.print("\r\u001b[K");
                statusShown = false;
            }
            err.println(text);
            err.flush();
        }

        void finish() {
            if (statusShown) {
                err.println();
                statusShown = false;
            }
        }

        static String duration(double seconds) {
            if (Double.isNaN(seconds)) {
                return "-";
            }
            long s = Math.round(seconds);
            return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60) : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
    }
}
