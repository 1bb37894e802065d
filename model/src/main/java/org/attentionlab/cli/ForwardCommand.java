package org.attentionlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.LaunchGeometry;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.exec.SyntheticInput;
import org.attentionlab.model.layers.OutputHead;
import org.attentionlab.model.layers.TransformerBlock;
import org.attentionlab.model.weights.Json;
import org.attentionlab.model.weights.SafeTensors;
import org.attentionlab.model.weights.Tensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * A forward pass of a YAML-described model (or a Hugging Face checkpoint directory's) on seeded synthetic input (or a
 * given one), timed over repeated runs after warm-up.
 */
@Command(name = "forward", mixinStandardHelpOptions = true, version = Main.VERSION, description = "Run a forward pass of the model a YAML config describes.")
final class ForwardCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private ConfigOptions configOptions;

    @Option(names = "--device", paramLabel = "DEVICE", description = "jvm or tornado:<backend>:<device> (default: the config's device, else jvm)")
    private String device;

    @Mixin
    private ShapeOptions shapeOptions;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the synthetic input (default: ${DEFAULT-VALUE}).", defaultValue = "0")
    private long seed;

    @Option(names = "--iterations", paramLabel = "N", description = "Timed runs (default: ${DEFAULT-VALUE}).", defaultValue = "10")
    private int iterations;

    @Option(names = "--warmup", paramLabel = "N", description = "Untimed runs after the first (which is reported apart), for the JIT (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    private int warmup;

    @Option(names = "--json", description = "Print one JSON object on stdout instead of the table.")
    private boolean json;

    @Option(names = "--profile", description = "After the timed runs, one more run with TornadoVM's profiler (timers around each task on the JVM):"
            + " its time per kind of work (norms, projections, attention, FFN, ...); with --json also per task, in the order they run.")
    private boolean profile;

    @Option(names = "--weights", paramLabel = "FILE", description = "Load the parameters from this safetensors file (names as --save-weights writes);"
            + " default: a checkpoint directory's own weights, else the config's seeded initialisation.")
    private Path weights;

    @Option(names = "--save-weights", paramLabel = "FILE", description = "Write the parameters to this safetensors file.")
    private Path saveWeights;

    @Option(names = "--input", paramLabel = "FILE", description = "Read tensor 'input' from this safetensors file: [batch, seq, embed_dim] floats, or token ids [batch, seq].")
    private Path input;

    @Option(names = "--output", paramLabel = "FILE", description = "Write tensor 'output' of the last run to this safetensors file.")
    private Path output;

    @Option(names = "--save-input", paramLabel = "FILE", description = "Write the input of the run (the synthetic one, or --input's) as tensor 'input' to this safetensors file.")
    private Path saveInput;

    @Option(names = "--dropout", description = "Apply the config's dropout (seeded, the same on every device); off by default, as in PyTorch's eval().")
    private boolean dropout;

    @Option(names = "--allow-nonfinite", description = "Accept NaN or infinite values in --weights and --input, and report an output that is not finite instead of failing.")
    private boolean allowNonfinite;

    @Option(names = "--progress", negatable = true, description = "Show what a long run is doing on stderr (default: on a terminal, after 2 s, unless --json).")
    private Boolean progress;

    @Mixin
    private VerboseOption verbose;

    @Override
    public Integer call() {
        shapeOptions.check();
        if (iterations < 1 || warmup < 0) {
            throw new UsageException("--iterations must be >= 1 and --warmup >= 0");
        }
        OutputTargets.check(List.of(new OutputTargets.Named("--output", output), new OutputTargets.Named("--save-weights", saveWeights),
                new OutputTargets.Named("--save-input", saveInput)), configOptions.reads(List.of(new OutputTargets.Named("--weights", weights),
                        new OutputTargets.Named("--input", input))));
        ModelSpec config = configOptions.load();
        DeviceSpec deviceSpec = device != null ? DeviceSpec.parse(device) : new DeviceSpec(config.device());
        TornadoDevice tornadoDevice = deviceSpec.resolve();
        if (input == null) {
            FitCheck.checkPositions(shapeOptions.batch, shapeOptions.seqLen);
        }
        try (Progress status = Progress.forRun(progress, json, spec.commandLine().getErr())) {
            // Every size is checked on the model's shapes before a weight is allocated.
            Model unallocated = Model.withoutWeights(config);
            InputData data = input == null ? null : InputData.read(input, unallocated, allowNonfinite);
            int runBatch = data == null ? shapeOptions.batch : data.batch();
            int runSeqLen = data == null ? shapeOptions.seqLen : data.seqLen();
            FitCheck.checkSizes(unallocated, runBatch, runSeqLen);
            String describeHint = "scripts/run describe " + configOptions.file + " --batch " + runBatch + " --seq-len " + runSeqLen + " estimates it";
            FitCheck.checkMemory(unallocated, runBatch, runSeqLen, tornadoDevice, deviceSpec.text(), describeHint);
            status.stage("building the model and initialising its weights");
            Model model;
            try {
                model = Model.build(config);
            } catch (OutOfMemoryError e) {
                throw FitCheck.outOfMemoryBuilding("building the model");
            }
            if (weights != null || configOptions.isCheckpoint()) {
                status.stage("reading " + (weights != null ? weights : "the weights of " + configOptions.file));
                configOptions.loadWeights(model, config, weights, allowNonfinite);
            }
            if (data == null) {
                data = InputData.synthetic(model, runBatch, runSeqLen, seed);
            }
            RunShape shape = new RunShape(runBatch, runSeqLen, dropout, (int) seed);

            double[] millis = new double[iterations];
            RunFacts facts;
            try {
                facts = timedRuns(model, shape, tornadoDevice, deviceSpec, data, millis, status);
            } catch (OutOfMemoryError e) {
                throw FitCheck.outOfMemory("for batch " + shape.batch() + " x seq " + shape.seqLen(), describeHint);
            }
            FloatArray result = facts.output();
            int[] outputShape = model.outputShape(runBatch, runSeqLen);
            if (!allowNonfinite) {
                checkFiniteOutput(result, outputShape);
            }
            if (saveWeights != null) {
                status.stage("writing " + saveWeights);
                Map<String, Tensor> tensors = new LinkedHashMap<>();
                for (var p : model.parameters().all()) {
                    tensors.put(p.name(), Tensor.wrapping(p.shape(), p.data().toHeapArray()));
                }
                Files.write(saveWeights, tensors);
            }
            if (saveInput != null) {
                status.stage("writing " + saveInput);
                Files.write(saveInput, Map.of("input", data.tensor()));
            }
            if (output != null) {
                status.stage("writing " + output);
                Files.write(output, Map.of("output", Tensor.wrapping(outputShape, result.toHeapArray())));
            }
            status.close();
            report(config, deviceSpec, model, shape, outputShape, facts, millis);
        }
        return Main.EXIT_OK;
    }

    /** An output with NaN or an infinity is a failed run, not a result (exit 1). */
    private static void checkFiniteOutput(FloatArray result, int[] outputShape) {
        for (int i = 0; i < result.getSize(); i++) {
            float value = result.get(i);
            if (!Float.isFinite(value)) {
                throw new FailedRunException("the output is not finite: element " + i + " of 'output' " + Arrays.toString(outputShape) + " is " + value
                        + " (the weights and input were finite); --allow-nonfinite reports it anyway");
            }
        }
    }

    /**
     * What the runs measured besides the timed latencies: TornadoVM's compilation of every kernel (before any run), the
     * first run (which on a device also pays what compiling leaves to it), how the run was laid out, and with
     * {@code --profile} the profiled run's figures.
     */
    private record RunFacts(FloatArray output, double compileMillis, double firstRunMillis, LaunchGeometry geometry, int taskGraphs, int tasks,
            int residualNormTasks, int residualFeedForwardTasks, int residualFinalNormTasks, int inputQkvTasks,
            ModelExecution.Profile profile) {
    }

    /**
     * The kernels compiled, a first run, warm-up runs, then timed runs into {@code millis}, then with {@code --profile}
     * a profiled run; returns a copy of the last timed output and what was measured apart.
     */
    private RunFacts timedRuns(Model model, RunShape shape, TornadoDevice tornadoDevice, DeviceSpec deviceSpec, InputData data, double[] millis,
            Progress status) {
        FloatArray result = null;
        status.stage("preparing the task graphs");
        try (ModelExecution execution = model.prepare(shape, tornadoDevice)) {
            data.fill(execution);
            status.stage(deviceSpec.device().isJvm() ? "first run" : "compiling the kernels for " + deviceSpec.text());
            long start = System.nanoTime();
            execution.compile();
            double compileMillis = (System.nanoTime() - start) / 1e6;
            status.stage("first run");
            start = System.nanoTime();
            execution.run();
            double firstRunMillis = (System.nanoTime() - start) / 1e6;
            for (int i = 0; i < warmup; i++) {
                status.stage("warm-up run " + (i + 1) + " of " + warmup);
                execution.run();
            }
            for (int i = 0; i < millis.length; i++) {
                status.stage("timed run " + (i + 1) + " of " + millis.length);
                start = System.nanoTime();
                result = execution.run();
                millis[i] = (System.nanoTime() - start) / 1e6;
            }
            FloatArray copy = FloatArray.fromArray(result.toHeapArray());
            ModelExecution.Profile profiled = null;
            if (profile) {
                status.stage("profiled run");
                profiled = execution.withProfiler().runProfiled();
                execution.withoutProfiler();
            }
            return new RunFacts(copy, compileMillis, firstRunMillis, execution.geometry(), execution.graphLayers().size(), execution.taskCount(),
                    execution.layersWithTask(TransformerBlock.RESIDUAL_NORM_TASK) + execution.layersWithTask(TransformerBlock.RESIDUAL_FEED_FORWARD_TASK),
                    execution.layersWithTask(TransformerBlock.RESIDUAL_FEED_FORWARD_TASK), execution.layersWithTask(OutputHead.RESIDUAL_NORM_TASK),
                    execution.layersWithTask(TransformerBlock.INPUT_QKV_TASK), profiled);
        }
    }

    private void report(ModelSpec config, DeviceSpec deviceSpec, Model model, RunShape shape, int[] outputShape, RunFacts facts, double[] millis) {
        FloatArray result = facts.output();
        double sum = checksum(result);
        double sumAbs = 0;
        for (int i = 0; i < result.getSize(); i++) {
            sumAbs += Math.abs(result.get(i));
        }
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        double median = percentile(sorted, 50);
        double p90 = percentile(sorted, 90);
        double tokensPerSecond = shape.rows() / (median / 1000.0);
        double peakHeapMb = peakHeapBytes() / (1024.0 * 1024.0);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("config", config.oneLine());
            o.put("config_file", config.source().toString());
            o.put("device", deviceSpec.describe());
            o.put("parameters", model.parameters().count());
            o.put("batch", shape.batch());
            o.put("seq_len", shape.seqLen());
            o.put("output_shape", Arrays.stream(outputShape).boxed().toList());
            o.put("checksum", sum);
            o.put("checksum_abs", sumAbs);
            Map<String, Object> latency = new LinkedHashMap<>();
            latency.put("median", median);
            latency.put("p90", p90);
            latency.put("iterations", millis.length);
            latency.put("warmup", warmup);
            o.put("latency_ms", latency);
            o.put("tokens_per_s", tokensPerSecond);
            o.put("peak_heap_mb", peakHeapMb);
            o.put("flops_per_token", (double) model.flops(shape.batch(), shape.seqLen()) / shape.rows());
            Map<String, Object> first = new LinkedHashMap<>();
            first.put("compile_ms", facts.compileMillis());
            first.put("first_run_ms", facts.firstRunMillis());
            o.put("first_run", first);
            Map<String, Object> launch = new LinkedHashMap<>(facts.geometry().report(shape.rows()));
            // Counted from the tasks built: a block fuses o_proj into the up projection's norm task only where the
            // geometry fuses norms and the block allows it (ungated, no dropout).
            launch.put("residual_norm_projection_kernel", facts.residualNormTasks() > 0 ? "fused" : "separate");
            launch.put("residual_norm_projection_tasks", facts.residualNormTasks());
            // Of those, the tasks that also run the block's down projection and residual add (all of its update after attention).
            launch.put("residual_feed_forward_tasks", facts.residualFeedForwardTasks());
            // The last block's down projection and residual add inside the final norm's task, the input's copy inside the
            // first block's: counted from the tasks built.
            launch.put("residual_final_norm_tasks", facts.residualFinalNormTasks());
            launch.put("input_qkv_projection_tasks", facts.inputQkvTasks());
            launch.put("task_graphs", facts.taskGraphs());
            launch.put("tasks", facts.tasks());
            o.put("launch", launch);
            if (facts.profile() != null) {
                o.put("profile", profileReport(facts.profile()));
            }
            out.println(Json.write(o));
            return;
        }
        out.printf(Locale.ROOT, "config       %s%n", config.oneLine());
        out.printf(Locale.ROOT, "device       %s%n", deviceSpec.describe());
        out.printf(Locale.ROOT, "parameters   %,d%n", model.parameters().count());
        out.printf(Locale.ROOT, "input        batch %d x seq %d%s%n", shape.batch(), shape.seqLen(), model.takesTokenIds() ? " token ids" : " x " + model.inputWidth());
        out.printf(Locale.ROOT, "output       %s%n", Arrays.toString(outputShape));
        out.printf(Locale.ROOT, "checksum     %.6f (weighted sum), sum|x| %.6f%n", sum, sumAbs);
        out.printf(Locale.ROOT, "latency      median %.3f ms, p90 %.3f ms (%d runs after the first and %d warm-up)%n", median, p90, millis.length, warmup);
        out.printf(Locale.ROOT, "first run    %.3f ms, after %.3f ms compiling the kernels%n", facts.firstRunMillis(), facts.compileMillis());
        LaunchGeometry geometry = facts.geometry();
        out.printf(Locale.ROOT, "launches     %d tasks in %d task graph%s, %d work-items per group (%s)%s%n", facts.tasks(), facts.taskGraphs(),
                facts.taskGraphs() == 1 ? "" : "s", geometry.groupItems(), geometry.source(),
                geometry.registerTiles() ? String.format(Locale.ROOT, ", register tiles for %d lanes (%s)", geometry.vectorLanes(), geometry.vectorLanesSource()) : "");
        out.printf(Locale.ROOT, "throughput   %,.0f tokens/s%n", tokensPerSecond);
        out.printf(Locale.ROOT, "peak heap    %.1f MB%n", peakHeapMb);
        if (facts.profile() != null) {
            ModelExecution.Profile p = facts.profile();
            out.printf(Locale.ROOT, "profile      one run: %.3f ms in all, %.3f ms in kernels, %.3f ms in transfers%n", p.totalNanos() / 1e6, p.kernelNanos() / 1e6,
                    p.transferNanos() / 1e6);
            p.kernelNanosByKind().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> out.printf(Locale.ROOT, "  %-12s %10.3f ms%n", e.getKey().reportName(), e.getValue() / 1e6));
        }
    }

    /**
     * The profiled run in milliseconds: TornadoVM's totals and the kernel time per kind of work and per task (in the
     * order the tasks ran), from its per-task times (on the JVM, timers around each task).
     */
    private static Map<String, Object> profileReport(ModelExecution.Profile p) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("source", "one run after the timed ones; TornadoVM's profiler on a device, timers around each task on the JVM");
        o.put("total_ms", p.totalNanos() / 1e6);
        o.put("kernel_ms", p.kernelNanos() / 1e6);
        o.put("transfer_ms", p.transferNanos() / 1e6);
        Map<String, Object> kinds = new LinkedHashMap<>();
        p.kernelNanosByKind().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> kinds.put(e.getKey().reportName(), e.getValue() / 1e6));
        o.put("kernel_ms_by_kind", kinds);
        Map<String, Object> tasks = new LinkedHashMap<>();
        p.kernelNanosByTask().forEach((task, nanos) -> tasks.put(task, nanos / 1e6));
        o.put("kernel_ms_by_task", tasks);
        return o;
    }

    /** {@link SyntheticInput#checksum}: the same figure scripts/compare and sweeps compare across devices. */
    static double checksum(FloatArray x) {
        return SyntheticInput.checksum(x);
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static long peakHeapBytes() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    /** Safetensors files the user names: a problem with one is an input error (one line, exit 2). */
    static final class Files {
        private Files() {
        }

        /** All tensors of {@code file}; refused before reading when they cannot all be held on the heap. */
        static Map<String, Tensor> read(Path file) {
            try {
                return SafeTensors.readWithinHeap(file);
            } catch (IOException e) {
                throw new UsageException(e.getMessage());
            } catch (OutOfMemoryError e) {
                throw new UsageException(file + ": out of memory while reading it: give more heap (ATTENTION_LAB_JAVA_OPTS=-Xmx...)");
            }
        }

        static void write(Path file, Map<String, Tensor> tensors) {
            write(file, tensors, Map.of());
        }

        static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
            try {
                SafeTensors.write(file, tensors, metadata);
            } catch (IOException e) {
                throw new UsageException(e.getMessage());
            }
        }

        /** Refuses NaN and infinities, naming the tensor and the element (--allow-nonfinite lets them through). */
        static void checkFinite(Path file, Map<String, Tensor> tensors) {
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                int at = e.getValue().firstNonFinite();
                if (at >= 0) {
                    throw new UsageException(file + ": tensor '" + e.getKey() + "': element " + at + " is " + e.getValue().floats()[at]
                            + "; pass --allow-nonfinite to use it anyway");
                }
            }
        }
    }

    /** The input of a run, given (its shape decides batch and sequence length) or synthetic. */
    record InputData(int batch, int seqLen, int width, float[] features, int[] ids) {

        private static final int NAMES_SHOWN = 3;

        static InputData read(Path file, Model model, boolean allowNonfinite) {
            Map<String, Tensor> tensors = Files.read(file);
            Tensor t = tensors.get("input");
            if (t == null) {
                List<String> names = new ArrayList<>(tensors.keySet());
                String shown = String.join(", ", names.subList(0, Math.min(NAMES_SHOWN, names.size())));
                throw new UsageException(file + ": no tensor named 'input' (it holds " + names.size() + " tensor" + (names.size() == 1 ? "" : "s")
                        + (names.isEmpty() ? "" : ": " + shown + (names.size() > NAMES_SHOWN ? " and " + (names.size() - NAMES_SHOWN) + " more" : "")) + ")");
            }
            int[] s = t.shape();
            if (model.takesTokenIds()) {
                if (s.length != 2 || t.isFloatingPoint() || s[0] < 1 || s[1] < 1) {
                    throw new UsageException(file + ": input: expected token ids [batch, seq] (I32 or I64), got " + t.dtype() + " " + Arrays.toString(s));
                }
                int[] ids = t.ints();
                for (int id : ids) {
                    if (id < 0 || id >= model.vocabSize()) {
                        throw new UsageException(file + ": input: token id " + id + " is outside the vocabulary [0, " + model.vocabSize() + ")");
                    }
                }
                return new InputData(s[0], s[1], 0, null, ids);
            }
            if (s.length != 3 || s[2] != model.inputWidth() || !t.isFloatingPoint() || s[0] < 1 || s[1] < 1) {
                throw new UsageException(file + ": input: expected floats [batch, seq, " + model.inputWidth() + "], got " + t.dtype() + " " + Arrays.toString(s));
            }
            if (!allowNonfinite) {
                Files.checkFinite(file, Map.of("input", t));
            }
            return new InputData(s[0], s[1], s[2], t.floats(), null);
        }

        /** Seeded standard-normal features, or token ids uniform in [0, vocab). */
        static InputData synthetic(Model model, int batch, int seqLen, long seed) {
            int rows = batch * seqLen;
            if (model.takesTokenIds()) {
                return new InputData(batch, seqLen, 0, null, SyntheticInput.tokenIds(rows, model.vocabSize(), seed));
            }
            return new InputData(batch, seqLen, model.inputWidth(), SyntheticInput.features(rows * model.inputWidth(), seed), null);
        }

        /** As safetensors tensor 'input': floats [batch, seq, width] or I32 token ids [batch, seq]. */
        Tensor tensor() {
            return ids != null ? Tensor.ofInts(new int[] { batch, seqLen }, ids) : Tensor.wrapping(new int[] { batch, seqLen, width }, features);
        }

        void fill(ModelExecution execution) {
            if (ids != null) {
                for (int i = 0; i < ids.length; i++) {
                    execution.tokenInput().set(i, ids[i]);
                }
            } else {
                for (int i = 0; i < features.length; i++) {
                    execution.floatInput().set(i, features[i]);
                }
            }
        }
    }
}
