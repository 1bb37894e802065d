package org.attentionlab.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.attentionlab.model.MemoryEstimate;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.KvCaches;
import org.attentionlab.model.generate.CacheMemory;
import org.attentionlab.model.generate.Generation;
import org.attentionlab.model.generate.Generator;
import org.attentionlab.model.generate.Sampler;
import org.attentionlab.model.io.InputFiles;
import org.attentionlab.model.io.UnusableFileException;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.train.TrainedModel;
import org.attentionlab.model.weights.Json;
import org.attentionlab.model.weights.Tensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * Text or token generation from a language model (a training checkpoint, or a config with seeded or given weights),
 * with key/value caches: a rolling buffer of W slots on sliding layers, a slot per position on full layers.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, version = Main.VERSION, description = {
        "Generate tokens from a language model with key/value caches (a rolling buffer of W slots on sliding layers).",
        "  scripts/run generate runs/text/checkpoint-2000.safetensors --prompt 'Once upon a time' --max-new-tokens 200",
        "  scripts/run generate configs/rnope-swa-hybrid.yaml --prompt-file prompt.txt --max-new-tokens 64 --json",
        "A model with a vocabulary of 256 is byte-level: its prompt is text (UTF-8 bytes); other models take a prompt file of whitespace-separated token ids." })
final class GenerateCommand implements Callable<Integer> {

    /** Vocabulary of byte-level models: their tokens are the bytes of UTF-8 text. */
    static final int BYTE_VOCABULARY = 256;
    /** The largest prompt file read (bytes). */
    static final int MAX_PROMPT_FILE_BYTES = 16 << 20;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "A checkpoint-<step>.safetensors of scripts/run train, or a model config (*.yaml).")
    private Path source;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt as text (byte-level models, vocabulary 256).")
    private String prompt;

    @Option(names = "--prompt-file", paramLabel = "FILE", description = "The prompt: text for byte-level models, else whitespace-separated token ids.")
    private Path promptFile;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Tokens to generate (default: ${DEFAULT-VALUE}).", defaultValue = "64")
    private int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "0 for greedy (the default), else sample from softmax(logits / T).", defaultValue = "0")
    private double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens only (default: all).", defaultValue = "0")
    private int topK;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the sampling (default: ${DEFAULT-VALUE}).", defaultValue = "0")
    private long seed;

    @Option(names = "--device", paramLabel = "DEVICE", description = "jvm or tornado:<backend>:<device> (default: the config's device, else jvm).")
    private String device;

    @Option(names = "--weights", paramLabel = "FILE", description = "With a config: load the parameters from this safetensors file (names as --save-weights writes).")
    private Path weights;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "With a config: override a top-level field (repeatable).")
    private List<String> overrides = new ArrayList<>();

    @Option(names = "--verify", description = "Also run the whole sequence through the ordinary forward pass at every step and check the cached step's arg-max against it (slow: quadratic).")
    private boolean verify;

    @Option(names = "--json", description = "Print one JSON object on stdout instead of the table.")
    private boolean json;

    @Option(names = "--allow-nonfinite", description = "Accept NaN or infinite values in --weights.")
    private boolean allowNonfinite;

    @Option(names = "--progress", negatable = true, description = "Show what a long run is doing on stderr (default: on a terminal, after 2 s, unless --json).")
    private Boolean progress;

    @Mixin
    private VerboseOption verbose;

    @Override
    public Integer call() {
        if (maxNewTokens < 1 || maxNewTokens > Generator.MAX_POSITIONS) {
            throw new UsageException("--max-new-tokens must be in 1.." + Generator.MAX_POSITIONS + ", got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new UsageException("--temperature must be 0 (greedy) or positive, got " + temperature);
        }
        if (topK < 0) {
            throw new UsageException("--top-k must be at least 1 (or 0 for every token), got " + topK);
        }
        if ((prompt == null) == (promptFile == null)) {
            throw new UsageException("give the prompt with exactly one of --prompt TEXT and --prompt-file FILE");
        }
        String name = source.getFileName() == null ? source.toString() : source.getFileName().toString();
        boolean checkpoint = name.endsWith(".safetensors");
        if (!checkpoint && !name.endsWith(".yaml") && !name.endsWith(".yml")) {
            throw new UsageException(source + ": give a checkpoint (checkpoint-<step>.safetensors of scripts/run train) or a model config (*.yaml)");
        }
        if (checkpoint && (weights != null || !overrides.isEmpty())) {
            throw new UsageException((weights != null ? "--weights" : "--set") + " goes with a config; " + source + " is a checkpoint, which has its"
                    + " own config and weights");
        }
        try (Progress status = Progress.forRun(progress, json, spec.commandLine().getErr())) {
            status.stage("loading " + source);
            Model model = null;
            ModelSpec config;
            long step = -1;
            if (checkpoint) {
                TrainedModel.Loaded loaded = TrainedModel.load(source);
                model = loaded.model();
                step = loaded.step();
                config = model.spec();
            } else {
                config = ConfigLoader.load(source, overrides);
            }
            Generator.requireLanguageModel(config);
            DeviceSpec deviceSpec = device != null ? DeviceSpec.parse(device) : new DeviceSpec(config.device());
            TornadoDevice tornadoDevice = deviceSpec.resolve();
            // sizes and memory are checked before a config's weights are allocated
            Model measured = model != null ? model : Model.withoutWeights(config);
            boolean byteLevel = measured.vocabSize() == BYTE_VOCABULARY;
            int[] ids = promptIds(measured, byteLevel);
            long positions = (long) ids.length + maxNewTokens;
            if (positions > Generator.MAX_POSITIONS) {
                throw new UsageException(String.format(Locale.ROOT, "the prompt's %,d tokens and --max-new-tokens %,d make %,d positions, more than the %,d"
                        + " a generation may span", ids.length, maxNewTokens, positions, Generator.MAX_POSITIONS));
            }
            checkFits(measured, ids.length, (int) positions, tornadoDevice, deviceSpec.text());
            if (model == null) {
                try {
                    model = Model.build(config);
                } catch (OutOfMemoryError e) {
                    throw FitCheck.outOfMemoryBuilding("building the model");
                }
                if (weights != null) {
                    status.stage("reading " + weights);
                    Map<String, Tensor> tensors = ForwardCommand.Files.read(weights);
                    if (!allowNonfinite) {
                        ForwardCommand.Files.checkFinite(weights, tensors);
                    }
                    model.parameters().loadFrom(weights.toString(), tensors);
                }
            }

            Sampler sampler = new Sampler(temperature, topK, seed);
            int every = Math.max(1, maxNewTokens / 100);
            status.stage("prefill of " + ids.length + " prompt tokens" + (deviceSpec.device().isJvm() ? "" : " (compiling the kernels for " + deviceSpec.text() + ")"));
            Generation.Result result;
            try {
                result = Generation.run(model, ids, maxNewTokens, sampler, tornadoDevice, verify, (done, total) -> {
                    if (done % every == 0 || done == total) {
                        status.stage("generated " + done + " of " + total + " tokens");
                    }
                });
            } catch (Generation.NonFiniteLogitsException e) {
                throw new FailedRunException(e.getMessage());
            } catch (OutOfMemoryError e) {
                throw FitCheck.outOfMemory("generating " + positions + " positions", "the key/value caches and the prompt's forward pass");
            }
            status.close();
            if (result.verification() != null && !result.verification().matches()) {
                report(model, deviceSpec, step, byteLevel, sampler, result);
                throw new FailedRunException("--verify: at step " + result.verification().firstMismatch() + " the cached step's arg-max differs from the"
                        + " full recomputation's");
            }
            report(model, deviceSpec, step, byteLevel, sampler, result);
        }
        return Main.EXIT_OK;
    }

    /** The prompt as token ids: the bytes of the text for a byte-level model, else the ids of the prompt file. */
    private int[] promptIds(Model model, boolean byteLevel) {
        if (prompt != null) {
            if (!byteLevel) {
                throw new UsageException("--prompt: this model's vocabulary has " + model.vocabSize() + " tokens, not the 256 bytes of text: give its"
                        + " token ids with --prompt-file (whitespace-separated)");
            }
            return checkedNotEmpty("--prompt", bytesAsIds(prompt.getBytes(StandardCharsets.UTF_8)));
        }
        byte[] bytes;
        try {
            bytes = InputFiles.readAtMost(promptFile, MAX_PROMPT_FILE_BYTES);
        } catch (UnusableFileException e) {
            throw new UsageException(promptFile + ": " + e.getMessage());
        }
        if (bytes.length > MAX_PROMPT_FILE_BYTES) {
            throw new UsageException(String.format(Locale.ROOT, "%s: larger than the %,d bytes a prompt file may have", promptFile, MAX_PROMPT_FILE_BYTES));
        }
        return checkedNotEmpty(promptFile.toString(), byteLevel ? bytesAsIds(bytes) : PromptIds.parse(promptFile, bytes, model.vocabSize()));
    }

    private static int[] bytesAsIds(byte[] bytes) {
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xff;
        }
        return ids;
    }

    private static int[] checkedNotEmpty(String where, int[] ids) {
        if (ids.length == 0) {
            throw new UsageException(where + ": the prompt is empty; generation starts from at least one token");
        }
        return ids;
    }

    /**
     * The prompt's forward pass as {@link FitCheck} checks a forward pass, then the caches: every buffer indexable, and
     * all of them besides the forward pass within the memory (on the plain JVM held twice: the host's copy and the
     * simulated device's).
     */
    private static void checkFits(Model model, int promptLength, int positions, TornadoDevice device, String deviceName) {
        String hint = "scripts/run describe with --seq-len " + promptLength + " estimates the prompt's forward pass";
        FitCheck.checkSizes(model, 1, promptLength);
        FitCheck.checkMemory(model, 1, promptLength, device, deviceName, hint);
        List<KvCaches.Layout> layouts = Generator.cacheLayouts(model, positions);
        for (KvCaches.Layout layout : layouts) {
            if (layout.elements(1) > KvCaches.MAX_ELEMENTS) {
                throw new UsageException(String.format(Locale.ROOT, "the key/value cache of layer %d would hold %,d x %,d = %,d floats, more than a TornadoVM"
                        + " array holds (%,d): generate fewer positions", layout.layer(), layout.slots(), layout.kvWidth(), layout.elements(1),
                        KvCaches.MAX_ELEMENTS));
            }
        }
        long caches = new CacheMemory(layouts, 1, positions).totalBytes();
        MemoryEstimate forward = model.memory(1, promptLength);
        long needed = device == null ? forward.heapBytes() + 2 * caches : forward.deviceBytes() + caches;
        long available = device == null ? Runtime.getRuntime().maxMemory() : device.getMaxGlobalMemory();
        if (available > 0 && needed > available) {
            throw new UsageException(String.format(Locale.ROOT, "out of memory: %,d positions need key/value caches of %,d MB%s besides the prompt's"
                    + " forward pass (%,d MB), more than the %,d MB %s: generate fewer positions%s", positions, caches >> 20,
                    device == null ? " (twice on the plain JVM: host and simulated device)" : "", (device == null ? forward.heapBytes()
                            : forward.deviceBytes()) >> 20, available >> 20, device == null ? "the heap holds" : deviceName + " has",
                    device == null ? ", or give more heap (ATTENTION_LAB_JAVA_OPTS=-Xmx...)" : ""));
        }
    }

    private void report(Model model, DeviceSpec deviceSpec, long step, boolean byteLevel, Sampler sampler, Generation.Result result) {
        PrintWriter out = spec.commandLine().getOut();
        CacheMemory memory = result.cacheMemory();
        int generated = result.generated().length;
        double prefillMs = result.prefillNanos() / 1e6;
        double firstStepMs = result.firstStepNanos() / 1e6;
        double perToken = result.millisPerLaterStep();
        String text = byteLevel ? new String(toBytes(result.generated()), StandardCharsets.UTF_8) : null;
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("source", source.toString());
            o.put("checkpoint_step", step >= 0 ? step : null);
            o.put("model", model.spec().oneLine());
            o.put("device", deviceSpec.describe());
            o.put("prompt_tokens", result.prompt().length);
            o.put("max_new_tokens", generated);
            Map<String, Object> sampling = new LinkedHashMap<>();
            sampling.put("temperature", temperature);
            sampling.put("top_k", topK == 0 ? null : topK);
            sampling.put("seed", seed);
            o.put("sampling", sampling);
            o.put("generated", Arrays.stream(result.generated()).boxed().toList());
            if (text != null) {
                o.put("generated_text", text);
            }
            o.put("kv_cache", cacheJson(memory));
            Map<String, Object> timing = new LinkedHashMap<>();
            timing.put("prefill", prefillMs);
            timing.put("first_decode_step", generated > 1 ? firstStepMs : null);
            timing.put("decode_per_token", Double.isNaN(perToken) ? null : perToken);
            o.put("time_ms", timing);
            o.put("decode_tokens_per_s", Double.isNaN(perToken) ? null : 1000 / perToken);
            if (result.verification() != null) {
                Map<String, Object> check = new LinkedHashMap<>();
                check.put("steps", result.verification().steps());
                check.put("matches", result.verification().matches());
                check.put("first_mismatch", result.verification().firstMismatch() < 0 ? null : result.verification().firstMismatch());
                check.put("largest_logit_difference", result.verification().largestLogitDifference());
                o.put("verification", check);
            }
            out.println(Json.write(o));
            return;
        }
        out.printf(Locale.ROOT, "model        %s%n", model.spec().oneLine());
        out.printf(Locale.ROOT, "weights      %s%n", step >= 0 ? "checkpoint " + source + " (step " + step + ")" : weights != null ? weights.toString()
                : "seeded from " + source);
        out.printf(Locale.ROOT, "device       %s%n", deviceSpec.describe());
        out.printf(Locale.ROOT, "prompt       %d tokens%n", result.prompt().length);
        out.printf(Locale.ROOT, "generated    %d tokens, %s%n", generated, sampler.isGreedy() ? "greedy"
                : "temperature " + temperature + (topK == 0 ? "" : ", top-k " + topK) + ", seed " + seed);
        out.printf(Locale.ROOT, "ids          %s%n", String.join(" ", Arrays.stream(result.generated()).mapToObj(Integer::toString).toList()));
        if (text != null) {
            out.printf(Locale.ROOT, "text         %s%n", Json.write(text));
        }
        out.printf(Locale.ROOT, "kv cache     %s%n", cacheLine(memory));
        out.printf(Locale.ROOT, "time         prefill %.1f ms (%d tokens)%s%s%n", prefillMs, result.prompt().length,
                generated > 1 ? String.format(Locale.ROOT, ", first decode step %.1f ms (builds the decode graphs)", firstStepMs) : "",
                Double.isNaN(perToken) ? "" : String.format(Locale.ROOT, ", then %.2f ms/token (%.0f tokens/s)", perToken, 1000 / perToken));
        if (result.verification() != null) {
            out.printf(Locale.ROOT, "verified     %s (largest logit difference %.2g)%n", result.verification().matches()
                    ? "the same arg-max as a full recomputation at all " + result.verification().steps() + " steps"
                    : "differs from a full recomputation at step " + result.verification().firstMismatch(), result.verification().largestLogitDifference());
        }
    }

    private static Map<String, Object> cacheJson(CacheMemory memory) {
        Map<String, Object> cache = new LinkedHashMap<>();
        for (LayerType kind : LayerType.values()) {
            CacheMemory.Kind k = memory.of(kind);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("layers", k.layers());
            entry.put("slots", k.slots());
            entry.put("bytes", k.bytes());
            cache.put(kind == LayerType.SLIDING ? "sliding" : "full", entry);
        }
        cache.put("total_bytes", memory.totalBytes());
        cache.put("every_position_bytes", memory.everyPositionBytes());
        cache.put("saving", memory.saving());
        cache.put("positions", memory.maxLength());
        List<Object> layers = new ArrayList<>();
        for (KvCaches.Layout layout : memory.layouts()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("layer", layout.layer());
            entry.put("kind", layout.kind() == LayerType.SLIDING ? "sliding" : "full");
            entry.put("window", layout.window() == 0 ? null : layout.window());
            entry.put("slots", layout.slots());
            entry.put("bytes", layout.bytes(memory.batch()));
            layers.add(entry);
        }
        cache.put("per_layer", layers);
        return cache;
    }

    private static String cacheLine(CacheMemory memory) {
        List<String> parts = new ArrayList<>();
        for (LayerType kind : LayerType.values()) {
            CacheMemory.Kind k = memory.of(kind);
            if (k.layers() > 0) {
                parts.add(String.format(Locale.ROOT, "%s %d layer%s, %,d slots, %s", kind == LayerType.SLIDING ? "sliding" : "full", k.layers(),
                        k.layers() == 1 ? "" : "s", k.slots(), mib(k.bytes())));
            }
        }
        return String.join("; ", parts) + String.format(Locale.ROOT, "; total %s, %.1f%% less than every layer keeping all %,d positions (%s)",
                mib(memory.totalBytes()), 100 * memory.saving(), memory.maxLength(), mib(memory.everyPositionBytes()));
    }

    private static String mib(long bytes) {
        return bytes < 1 << 20 ? String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0) : String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024.0));
    }

    private static byte[] toBytes(int[] ids) {
        byte[] bytes = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            bytes[i] = (byte) ids[i];
        }
        return bytes;
    }
}
