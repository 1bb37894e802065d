package org.attentionlab.sweep;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.attentionlab.model.Model;
import org.attentionlab.model.spec.TrainSpec;
import org.attentionlab.model.train.CheckpointEvaluation;
import org.attentionlab.model.train.Trainer;
import org.attentionlab.model.weights.Json;
import org.attentionlab.model.weights.Parameters;
import org.attentionlab.model.weights.SafeTensors;
import org.attentionlab.model.weights.Tensor;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * Training and evaluation of a sweep cell through the trainer's Java API ({@link Trainer}, {@link CheckpointEvaluation}:
 * what {@code scripts/run train} and {@code scripts/run eval} do). A cell trains in {@code DIR/train/<training id>/},
 * named by its resolved model and train: block, so the cells of one variant on other devices load the checkpoint
 * instead of training again; a run that a kill cut short resumes from its latest checkpoint (bit for bit on the JVM).
 */
final class CellTraining {

    private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d{1,18})\\.safetensors");

    /** A signal stopped training: the cell is not recorded, and a rerun continues from the last checkpoint. */
    static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped(String message) {
            super(message);
        }
    }

    private CellTraining() {
    }

    /** The folder a cell's training lives in. */
    static Path folder(Path out, SweepPlan.Cell cell) {
        return out.resolve("train").resolve(cell.trainingId());
    }

    /**
     * Trains the cell's model unless its folder already holds the final checkpoint (then loads it); returns the
     * row's {@code train} entry and the final checkpoint.
     */
    static Path trainOrLoad(SweepFile sweep, SweepPlan.Cell cell, Path out, TornadoDevice device, Map<String, Object> entry, PrintWriter progress)
            throws IOException {
        TrainSpec train = cell.train().orElseThrow();
        Path folder = folder(out, cell);
        Optional<Path> done = checkpointAt(folder, train.steps());
        if (done.isEmpty()) {
            Files.createDirectories(folder.getParent());
            Trainer.Listener listener = new Progress(progress, cell.id());
            Trainer.Outcome outcome = latestCheckpoint(folder).isPresent() ? Trainer.resume(folder, List.of(), Optional.empty(), device, listener, false)
                    : Trainer.start(sweep.base(), cell.setArguments(), folder, true, Optional.empty(), device, listener, false);
            if (outcome.interrupted()) {
                throw new Stopped("training of cell " + cell.id() + " was interrupted after step " + outcome.lastStep());
            }
            done = checkpointAt(folder, train.steps());
            if (done.isEmpty()) {
                throw new IllegalStateException("training ended at step " + outcome.lastStep() + " without checkpoint-" + train.steps() + ".safetensors");
            }
        }
        entry.put("task", train.task().yamlName());
        entry.put("steps", train.steps());
        entry.put("seq_len", train.seqLen());
        entry.put("batch_size", train.batchSize());
        entry.put("folder", out.relativize(folder).toString());
        entry.put("loss_curve", lossCurve(folder.resolve("log.jsonl")));
        return done.get();
    }

    /** Loss and accuracy at each length, on the task the model was trained on (its seeded evaluation batches). */
    static List<Map<String, Object>> evaluate(Path checkpoint, List<Integer> lengths, Optional<Integer> batches, Optional<Integer> batchSize,
            TornadoDevice device) {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (CheckpointEvaluation.Result result : CheckpointEvaluation.run(checkpoint, lengths, batches, batchSize, Optional.empty(), device).results()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("length", result.length());
            e.put("loss", result.loss());
            e.put("accuracy", result.accuracy());
            e.put("positions", result.positions());
            entries.add(e);
        }
        return entries;
    }

    /** Puts the checkpoint's model parameters into {@code model} (its optimizer state is not the model's). */
    static void loadWeights(Model model, Path checkpoint) throws IOException {
        Set<String> names = new HashSet<>();
        for (Parameters.Parameter p : model.parameters().all()) {
            names.add(p.name());
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>(SafeTensors.read(checkpoint));
        tensors.keySet().retainAll(names);
        model.parameters().loadFrom(checkpoint.toString(), tensors);
    }

    /** {@code [step, loss]} of every training line of the run's log (evaluation lines left out). */
    private static List<List<Object>> lossCurve(Path log) throws IOException {
        List<List<Object>> curve = new ArrayList<>();
        if (!Files.isRegularFile(log)) {
            return curve;
        }
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            Object parsed;
            try {
                parsed = Json.read(line);
            } catch (IllegalArgumentException torn) {
                continue;
            }
            if (parsed instanceof Map<?, ?> m && m.get("step") instanceof Number step && m.get("loss") instanceof Number loss && !m.containsKey("eval_length")) {
                curve.add(List.of(step.longValue(), loss.doubleValue()));
            }
        }
        return curve;
    }

    private static Optional<Path> checkpointAt(Path folder, long step) {
        Path file = folder.resolve("checkpoint-" + step + ".safetensors");
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    private static Optional<Path> latestCheckpoint(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return Optional.empty();
        }
        Path latest = null;
        long latestStep = -1;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "checkpoint-*.safetensors")) {
            for (Path file : files) {
                Matcher m = CHECKPOINT.matcher(file.getFileName().toString());
                if (m.matches() && Long.parseLong(m.group(1)) > latestStep) {
                    latestStep = Long.parseLong(m.group(1));
                    latest = file;
                }
            }
        }
        return Optional.ofNullable(latest);
    }

    /** The trainer's progress as a few lines of the sweep's own. */
    private record Progress(PrintWriter out, String cell) implements Trainer.Listener {
        @Override
        public void started(String description) {
            out.println("  cell " + cell + ": " + description);
            out.flush();
        }

        @Override
        public void stepped(long step, long steps, double loss, double accuracy, double learningRate, double tokensPerSecond, double etaSeconds,
                boolean logged) {
            if (logged && (step * 10 / steps != (step - 1) * 10 / steps || step == steps)) {
                out.printf(java.util.Locale.ROOT, "  cell %s: step %d of %d, loss %.4f, %.0f tokens/s%n", cell, step, steps, loss, tokensPerSecond);
                out.flush();
            }
        }

        @Override
        public void evaluated(long step, int length, double loss, double accuracy) {
        }

        @Override
        public void note(String message) {
        }
    }
}
