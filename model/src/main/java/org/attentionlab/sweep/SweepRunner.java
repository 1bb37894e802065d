package org.attentionlab.sweep;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.attentionlab.analysis.Analyses;
import org.attentionlab.analysis.Analysis;
import org.attentionlab.analysis.AnalysisContext;
import org.attentionlab.model.InputException;
import org.attentionlab.model.Model;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.Device;
import org.attentionlab.model.weights.SafeTensors;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * Runs a sweep's cells and appends one results row per finished cell. Cells already in the output directory's
 * results (any shard's file) are skipped, so a rerun of the same command after a crash or {@code kill -9} continues
 * where it stopped; a cell that fails is recorded with its error and the sweep goes on. A process runs the cells of
 * the devices its runtime serves (the JVM implementation of the TornadoVM API, or TornadoVM itself) and starts
 * {@code scripts/run sweep ... --device D} for each device of the other runtime, one after another, with the same
 * output directory and shard.
 */
public final class SweepRunner {

    /** How this process reaches devices: which it can run, and TornadoVM's handle of each. */
    public interface Devices {
        /** Whether cells on {@code device} run in this process (else in a child process). */
        boolean runsHere(Device device);

        /** TornadoVM's device, null for the plain JVM. */
        TornadoDevice resolve(Device device);

        /** A name for results, e.g. {@code tornado:0:0 (pthread-cpu)}. */
        String describe(Device device);

        /** The TornadoVM version serving this process, or null on the JVM implementation. */
        String tornadoVersion();
    }

    /** What the runner needs besides the plan. */
    public record Options(Path out, int shard, int shards, Optional<Device> onlyDevice, boolean retryFailed, Path projectRoot) {
    }

    /** Fields of a row that are measured times: they differ between two runs of the same cell. */
    public static final Set<String> TIMING_FIELDS = timingFields();

    private static Set<String> timingFields() {
        Set<String> fields = new LinkedHashSet<>(Speed.TIMING_FIELDS);
        fields.add("elapsed_s");
        fields.add("finished_at");
        return Set.copyOf(fields);
    }

    private final SweepPlan plan;
    private final Options options;
    private final Devices devices;
    private final PrintWriter out;

    public SweepRunner(SweepPlan plan, Options options, Devices devices, PrintWriter out) {
        this.plan = plan;
        this.options = options;
        this.devices = devices;
        this.out = out;
    }

    /** The cells of this shard (and device, when one is chosen), in sweep order. */
    public List<SweepPlan.Cell> cells() {
        List<SweepPlan.Cell> cells = new ArrayList<>();
        for (SweepPlan.Cell cell : plan.cells()) {
            if (cell.index() % options.shards() == options.shard() && options.onlyDevice().map(cell.device()::equals).orElse(true)) {
                cells.add(cell);
            }
        }
        return cells;
    }

    /** Runs what is left; returns how many cells failed (0: all ok). */
    public int run() throws IOException, InterruptedException {
        Files.createDirectories(options.out());
        Path resultsPath = ResultsFile.fileFor(options.out(), options.shard(), options.shards());
        Path lockPath = options.out().resolve(".lock." + options.shard() + "of" + options.shards()
                + options.onlyDevice().map(d -> "." + d.toString().replace(':', '_')).orElse(""));
        try (FileChannel lockChannel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = lockChannel.tryLock()) {
            if (lock == null) {
                throw new InputException(options.out() + ": another sweep is writing these results now (" + lockPath.getFileName() + " is locked)");
            }
            return runLocked(resultsPath);
        }
    }

    private int runLocked(Path resultsPath) throws IOException, InterruptedException {
        Set<String> done = new HashSet<>();
        for (Map<String, Object> row : ResultsFile.readAll(options.out())) {
            if (!options.retryFailed() || "ok".equals(row.get("status"))) {
                done.add((String) row.get("cell"));
            }
        }
        List<SweepPlan.Cell> cells = cells();
        Map<String, Object> versions = versions();
        int failed = 0;
        Set<Device> elsewhere = new LinkedHashSet<>();
        try (ResultsFile results = ResultsFile.open(resultsPath)) {
            int position = 0;
            for (SweepPlan.Cell cell : cells) {
                position++;
                if (done.contains(cell.id())) {
                    continue;
                }
                if (!devices.runsHere(cell.device())) {
                    elsewhere.add(cell.device());
                    continue;
                }
                out.printf(Locale.ROOT, "[%d/%d] cell %s%s on %s ...%n", position, cells.size(), cell.id(), label(cell), cell.device());
                out.flush();
                Map<String, Object> row;
                try {
                    row = runCell(cell, versions);
                } catch (CellTraining.Stopped e) {
                    out.println(e.getMessage() + "; rerun the same command to continue from the last checkpoint");
                    return failed + 1;
                }
                results.append(row);
                if (!"ok".equals(row.get("status"))) {
                    failed++;
                    out.printf(Locale.ROOT, "[%d/%d] cell %s failed: %s%n", position, cells.size(), cell.id(), row.get("error"));
                } else {
                    out.printf(Locale.ROOT, "[%d/%d] cell %s done in %.1f s%n", position, cells.size(), cell.id(), (Double) row.get("elapsed_s"));
                }
            }
        }
        for (Device device : elsewhere) {
            failed += runElsewhere(device);
        }
        return failed;
    }

    private String label(SweepPlan.Cell cell) {
        Map<String, Object> axes = cell.axisValues(plan.sweep().set().size());
        if (axes.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        axes.forEach((k, v) -> parts.add(k + "=" + v));
        return " (" + String.join(", ", parts) + ")";
    }

    /** One cell: build (or load) the model, then each stage; any failure becomes the row's error. */
    Map<String, Object> runCell(SweepPlan.Cell cell, Map<String, Object> versions) {
        long start = System.nanoTime();
        Map<String, Object> row = new LinkedHashMap<>();
        SweepFile sweep = plan.sweep();
        row.put("cell", cell.id());
        row.put("variant", SweepPlan.hash(cell.settingsId()));
        row.put("index", cell.index());
        row.put("sweep", sweep.name());
        row.put("axes", cell.axisValues(sweep.set().size()));
        row.put("overrides", cell.setArguments());
        row.put("repeat", cell.repeat());
        row.put("device", cell.device().toString() + (cell.deviceOccurrence() > 0 ? "#" + cell.deviceOccurrence() : ""));
        row.put("config", cell.spec().oneLine());
        row.put("layers", cell.spec().blocks().stream().map(BlockSpec::describe).toList());
        row.put("versions", versions);
        try {
            TornadoDevice device = devices.resolve(cell.device());
            row.put("device_name", devices.describe(cell.device()));
            Model model = Model.build(cell.spec());
            row.put("parameters", model.parameters().count());
            if (sweep.weights().isPresent()) {
                Path weights = sweep.weights().get();
                model.parameters().loadFrom(weights.toString(), SafeTensors.read(weights));
            }
            if (cell.train().isPresent()) {
                Map<String, Object> train = new LinkedHashMap<>();
                Path checkpoint = CellTraining.trainOrLoad(sweep, cell, options.out(), device, train, out);
                row.put("train", train);
                CellTraining.loadWeights(model, checkpoint);
                List<Integer> lengths = sweep.eval().map(SweepFile.EvalSettings::lengths).orElse(cell.train().get().evalLengths());
                row.put("eval", CellTraining.evaluate(checkpoint, lengths, sweep.eval().flatMap(SweepFile.EvalSettings::batches),
                        sweep.eval().flatMap(SweepFile.EvalSettings::batch), device));
            }
            sweep.fpga().filter(f -> f.device().equals(cell.device()))
                    .ifPresent(f -> row.put("fpga", Map.of("java_options", f.javaOptions(), "environment", f.environment())));
            if (sweep.speed().isPresent()) {
                row.put("speed", Speed.measure(model, sweep.speed().get(), device));
            }
            if (sweep.analyses().isPresent() && cell.deviceOccurrence() == 0 && cell.device().equals(sweep.devices().get(0).device())) {
                SweepFile.AnalysisSettings settings = sweep.analyses().get();
                AnalysisContext context = new AnalysisContext(model, device, settings.length(), settings.batch(), settings.shift(), cell.spec().seed());
                Map<String, Object> analyses = new LinkedHashMap<>();
                for (String name : settings.metrics()) {
                    Analysis analysis = Analyses.named(name).orElseThrow();
                    Map<String, Object> entry = new LinkedHashMap<>();
                    entry.put("unit", analysis.unit());
                    entry.put("length", settings.length());
                    entry.put("per_head", analysis.measure(context));
                    analyses.put(name, entry);
                }
                row.put("analyses", analyses);
            }
            row.put("status", "ok");
        } catch (CellTraining.Stopped e) {
            throw e;
        } catch (RuntimeException | IOException | OutOfMemoryError | StackOverflowError e) {
            row.put("status", "failed");
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            row.put("error", (e instanceof InputException ? "" : e.getClass().getSimpleName() + ": ") + message.replace('\n', ' '));
        }
        row.put("elapsed_s", (System.nanoTime() - start) / 1e9);
        row.put("finished_at", Instant.now().toString());
        return row;
    }

    /** Runs {@code device}'s cells in a child {@code scripts/run sweep ... --device D}; returns 1 when it failed. */
    private int runElsewhere(Device device) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(options.projectRoot().resolve("scripts/run").toString(), "sweep", plan.sweep().file().toString(),
                "--out", options.out().toString(), "--device", device.toString()));
        if (options.shards() > 1) {
            command.add("--shard");
            command.add(options.shard() + "/" + options.shards());
        }
        if (options.retryFailed()) {
            command.add("--retry-failed");
        }
        out.println("running the cells on " + device + " in a TornadoVM process: " + String.join(" ", command));
        out.flush();
        // The child's progress goes where this runner's goes; its errors to stderr.
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
        plan.sweep().fpga().filter(f -> f.device().equals(device)).ifPresent(f -> {
            builder.environment().putAll(f.environment());
            String given = builder.environment().getOrDefault("ATTENTION_LAB_JAVA_OPTS", "");
            builder.environment().put("ATTENTION_LAB_JAVA_OPTS", (given + " " + String.join(" ", f.javaOptions())).strip());
        });
        Process child = builder.start();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                out.println(line);
            }
        }
        out.flush();
        int exit = child.waitFor();
        if (exit != 0) {
            out.println("the cells on " + device + " did not all finish (exit " + exit + ")");
            return 1;
        }
        return 0;
    }

    /** The project's version and commit, the JVM's and TornadoVM's. */
    private Map<String, Object> versions() {
        Map<String, Object> versions = new LinkedHashMap<>();
        versions.put("attention_lab", Optional.ofNullable(SweepRunner.class.getPackage().getImplementationVersion()).orElse("0.1.0"));
        versions.put("commit", git("rev-parse", "HEAD"));
        String status = git("status", "--porcelain", "--untracked-files=no");
        versions.put("modified", status == null ? null : !status.isBlank());
        versions.put("java", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"));
        versions.put("tornadovm", devices.tornadoVersion());
        return versions;
    }

    private String git(String... arguments) {
        List<String> command = new ArrayList<>(List.of("git", "-C", options.projectRoot().toString()));
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String text = new String(process.getInputStream().readAllBytes()).strip();
            return process.waitFor() == 0 ? text : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
