package org.attentionlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.io.OutputFiles;
import org.attentionlab.model.weights.Tensor;
import org.attentionlab.model.weights.Json;
import org.attentionlab.report.Report;
import org.attentionlab.sweep.ResultsFile;
import org.attentionlab.sweep.SweepPlan;
import org.attentionlab.sweep.SweepRunner;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code scripts/compare CONFIG --devices a,b --lengths L1,L2}: a sweep over devices and lengths of one config, with
 * the sweep's outputs (results.jsonl, plots, report.html and compare.json in {@code --out DIR}) and a table: latency,
 * throughput, the output checksum and whether it agrees with the first device's, then TornadoVM's kernel, transfer
 * and compile times.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, description = "Run one config on several devices and lengths side by side (a sweep).")
final class CompareCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "A model config (YAML).")
    private Path config;

    @Option(names = "--devices", paramLabel = "D1,D2", description = "Devices (default: jvm, plus tornado:0:0 when TORNADOVM_HOME is set).")
    private String devices;

    @Option(names = "--device", hidden = true)
    private String device;

    @Option(names = "--seq-len", paramLabel = "N", description = "One sequence length (default 128).")
    private Integer seqLen;

    @Option(names = "--lengths", paramLabel = "L1,L2", description = "Several sequence lengths.")
    private String lengths;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1", description = "Sequences per batch (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "10", description = "Timed runs (default: ${DEFAULT-VALUE}).")
    private int iterations;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Untimed runs first (default: ${DEFAULT-VALUE}; the first run always is).")
    private int warmup;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config field (repeatable), as scripts/run --set.")
    private List<String> overrides = new ArrayList<>();

    @Option(names = "--weights", paramLabel = "FILE", description = "Load the parameters from this safetensors file.")
    private Path weights;

    @Option(names = "--allow-nonfinite", description = "Use --weights even when they hold NaN or infinite values (such outputs agree with nothing).")
    private boolean allowNonfinite;

    @Option(names = "--out", paramLabel = "DIR", description = "Keep the results, compare.json, plots and report.html here (default: a temporary directory).")
    private Path out;

    @Option(names = "--json", description = "Print one JSON object on stdout instead of the table.")
    private boolean json;

    @Mixin
    private VerboseOption verbose;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (device != null) {
            throw new UsageException("scripts/compare chooses --device itself; use --devices a,b,c");
        }
        if (seqLen != null && lengths != null) {
            throw new UsageException("give --seq-len or --lengths, not both");
        }
        if (batch < 1 || iterations < 1 || warmup < 0) {
            throw new UsageException("--batch and --iterations must be >= 1 and --warmup >= 0");
        }
        List<Integer> lengthList = lengths == null ? List.of(seqLen == null ? 128 : seqLen) : parseLengths(lengths);
        List<String> deviceList = devices == null ? (System.getenv("TORNADOVM_HOME") == null ? List.of("jvm") : List.of("jvm", "tornado:0:0"))
                : List.of(devices.split(",", -1));
        if (devices != null && devices.isBlank()) {
            throw new UsageException("--devices is empty: give a comma-separated list such as jvm,tornado:0:0");
        }
        for (String d : deviceList) {
            if (d.isBlank()) {
                throw new UsageException("--devices '" + devices + "' has an empty entry: give a comma-separated list such as jvm,tornado:0:0");
            }
            DeviceSpec.parse(d.strip());
        }
        // what scripts/run forward would refuse is refused here, before any cell runs
        Model model = Model.build(ConfigLoader.load(config, overrides));
        for (int length : lengthList) {
            FitCheck.checkSizes(model, batch, length);
        }
        if (weights != null) {
            Map<String, Tensor> checkpoint = ForwardCommand.Files.read(weights);
            model.parameters().loadFrom(weights.toString(), checkpoint);
            if (!allowNonfinite) {
                ForwardCommand.Files.checkFinite(weights, checkpoint);
            }
        }
        Path dir = out != null ? out : Files.createTempDirectory("attention-lab-compare");
        if (out == null) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        }
        Files.createDirectories(dir);
        Path sweepFile = dir.resolve("compare.yaml");
        String text = sweepText(lengthList, deviceList);
        OutputFiles.write(sweepFile, stream -> stream.write(text.getBytes(StandardCharsets.UTF_8)));
        SweepPlan plan = SweepPlan.read(sweepFile);
        PrintWriter printer = spec.commandLine().getOut();
        PrintWriter progress = new PrintWriter(PrintWriter.nullWriter());
        for (SweepPlan.Cell cell : plan.cells()) {
            if (!cell.device().isJvm() && System.getenv("TORNADOVM_HOME") == null && !DeviceSpec.runningOnTornadoVM()) {
                throw new UsageException("device " + cell.device() + " needs a TornadoVM SDK: set TORNADOVM_HOME (README.md, 'Running on a TornadoVM device')");
            }
        }
        SweepRunner runner = new SweepRunner(plan, new SweepRunner.Options(dir, 0, 1, Optional.empty(), true, SweepCommand.projectRoot()),
                new SweepCommand.LocalDevices(), progress);
        int failed = runner.run();
        Set<String> ids = plan.cells().stream().map(SweepPlan.Cell::id).collect(Collectors.toSet());
        List<Map<String, Object>> rows = new ArrayList<>(ResultsFile.readAll(dir).stream().filter(r -> ids.contains((String) r.get("cell"))).toList());
        rows.sort(Comparator.comparingInt(r -> ((Number) r.get("index")).intValue()));
        List<Report.Comparison> comparisons = Report.compare(rows);
        boolean agree = comparisons.stream().noneMatch(c -> c.agrees().equals("NO"));
        Map<String, Object> summary = summary(rows, comparisons, agree);
        if (out != null) {
            String summaryLine = Json.write(summary) + "\n";
            OutputFiles.write(dir.resolve("compare.json"), stream -> stream.write(summaryLine.getBytes(StandardCharsets.UTF_8)));
            Report.write(dir);
        }
        if (json) {
            printer.println(Json.write(summary));
        } else {
            table(printer, rows, comparisons);
        }
        return failed == 0 && agree && rows.size() == plan.cells().size() ? Main.EXIT_OK : Main.EXIT_INTERNAL;
    }

    private static List<Integer> parseLengths(String text) {
        List<Integer> list = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            try {
                int length = Integer.parseInt(part.strip());
                if (length < 1) {
                    throw new NumberFormatException();
                }
                list.add(length);
            } catch (NumberFormatException e) {
                throw new UsageException("--lengths expects positive integers separated by commas, e.g. 128,512,2048, got '" + text + "'");
            }
        }
        return list;
    }

    /** The sweep file this comparison is: the config, its overrides, the devices, one speed block. */
    private String sweepText(List<Integer> lengthList, List<String> deviceList) {
        StringBuilder text = new StringBuilder("name: compare\n");
        text.append("base: ").append(quote(config.toAbsolutePath().normalize().toString())).append('\n');
        if (weights != null) {
            text.append("weights: ").append(quote(weights.toAbsolutePath().normalize().toString())).append('\n');
        }
        text.append("devices: [").append(String.join(", ", deviceList.stream().map(String::strip).toList())).append("]\n");
        text.append("speed: {lengths: ").append(lengthList).append(", batch: ").append(batch).append(", iterations: ").append(iterations)
                .append(", warmup: ").append(warmup).append("}\n");
        if (!overrides.isEmpty()) {
            text.append("set:\n");
            for (String override : overrides) {
                int equals = override.indexOf('=');
                text.append("  ").append(override, 0, equals).append(": ").append(override.substring(equals + 1)).append('\n');
            }
        }
        return text.toString();
    }

    private static String quote(String path) {
        return "'" + path.replace("'", "''") + "'";
    }

    private Map<String, Object> summary(List<Map<String, Object>> rows, List<Report.Comparison> comparisons, boolean agree) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("config", rows.isEmpty() ? config.toString() : rows.get(0).get("config"));
        summary.put("config_file", config.toString());
        List<Object> entries = new ArrayList<>();
        for (Report.Comparison c : comparisons) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("device", c.device());
            e.put("device_name", c.deviceName());
            e.put("seq_len", c.length());
            e.put("batch", batch);
            e.put("latency_ms", Map.of("median", c.medianMs(), "p90", c.p90Ms()));
            e.put("tokens_per_s", c.tokensPerS());
            e.put("checksum", c.checksum());
            e.put("agrees", c.agrees());
            e.put("kernel_ms", c.kernelMs());
            e.put("transfer_ms", c.transferMs());
            e.put("first_run_compile_ms", c.compileMs());
            entries.add(e);
        }
        summary.put("results", entries);
        summary.put("failed", rows.stream().filter(r -> !"ok".equals(r.get("status"))).map(r -> Map.of("device", r.get("device"), "error", r.get("error")))
                .toList());
        summary.put("agree", agree);
        return summary;
    }

    private void table(PrintWriter printer, List<Map<String, Object>> rows, List<Report.Comparison> comparisons) {
        printer.printf(Locale.ROOT, "%-28s %12s %12s %14s %18s %10s%n", "device", "median ms", "p90 ms", "tokens/s", "checksum", "agrees");
        int lastLength = -1;
        boolean several = comparisons.stream().map(Report.Comparison::length).distinct().count() > 1;
        for (Report.Comparison c : comparisons.stream().sorted(Comparator.comparingInt(Report.Comparison::length)).toList()) {
            if (several && c.length() != lastLength) {
                printer.printf(Locale.ROOT, "-- seq_len %d, batch %d%n", c.length(), batch);
                lastLength = c.length();
            }
            String checksum = Double.isFinite(c.checksum()) ? String.format(Locale.ROOT, "%18.6f", c.checksum()) : String.format(Locale.ROOT, "%18s", "not finite");
            printer.printf(Locale.ROOT, "%-28s %12.3f %12.3f %14.0f %s %10s%n", c.deviceName(), c.medianMs(), c.p90Ms(), c.tokensPerS(), checksum, c.agrees());
        }
        for (Map<String, Object> row : rows) {
            if (!"ok".equals(row.get("status"))) {
                printer.printf(Locale.ROOT, "%-28s failed: %s%n", row.get("device"), row.get("error"));
            }
        }
        printer.println("agrees: the checksum is within 1e-4 relative of the first device's (same config, weights and input)");
        printer.printf(Locale.ROOT, "%n%-28s %8s %12s %12s %20s%n", "device", "seq_len", "kernel ms", "transfer ms", "first-run compile ms");
        for (Report.Comparison c : comparisons) {
            printer.printf(Locale.ROOT, "%-28s %8d %12.3f %12.3f %20.1f%n", c.deviceName(), c.length(), c.kernelMs(), c.transferMs(), c.compileMs());
        }
        printer.println("kernel/transfer ms: TornadoVM's profiler, mean per timed run (the JVM implementation times its tasks and simulated copies; it compiles nothing)");
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory left behind is not worth failing the comparison
        }
    }
}
