package org.attentionlab.cli;

import java.io.PrintWriter;
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
import org.attentionlab.model.config.ResolvedConfig;
import org.attentionlab.model.config.TrainingConfig;
import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.weights.Json;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The layer table, parameter count, FLOPs per token and memory estimate of a config, without running it. */
@Command(name = "describe", mixinStandardHelpOptions = true, version = Main.VERSION, description = "Describe the model a config builds: layers, parameters, FLOPs, memory.")
final class DescribeCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private ConfigOptions configOptions;

    @Mixin
    private ShapeOptions shapeOptions;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    private boolean json;

    @Option(names = "--resolved", description = "Print the resolved config as one JSON object instead: every key's value, every layer's spec"
            + " (what scripts/torch_models.py reads).")
    private boolean resolved;

    @Mixin
    private VerboseOption verbose;

    @Override
    public Integer call() {
        shapeOptions.check();
        int batch = shapeOptions.batch;
        int seqLen = shapeOptions.seqLen;
        FitCheck.checkPositions(batch, seqLen);
        ModelSpec config = configOptions.load();
        if (resolved) {
            var train = ConfigLoader.loadTrainingIfPresent(configOptions.file, configOptions.overrides).map(TrainingConfig::train);
            spec.commandLine().getOut().println(Json.write(ResolvedConfig.of(config, train)));
            return Main.EXIT_OK;
        }
        Model model = Model.withoutWeights(config);
        FitCheck.checkSizes(model, batch, seqLen);
        long params = model.parameters().count();
        long flops = model.flops(batch, seqLen);
        MemoryEstimate memory = model.memory(batch, seqLen);
        LargestBuffer largest = LargestBuffer.of(model, batch, seqLen);
        int[] outputShape = model.outputShape(batch, seqLen);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("config", config.oneLine());
            o.put("parameters", params);
            o.put("flops_per_token", (double) flops / ((long) batch * seqLen));
            o.put("weight_bytes", memory.weights());
            o.put("activation_bytes", memory.deviceBuffers());
            o.put("jvm_heap_bytes", memory.heapBytes());
            o.put("device_bytes", memory.deviceBytes());
            if (largest != null) {
                o.put("largest_buffer", Map.of("layer", largest.layer(), "name", largest.buffer().name(), "elements", largest.buffer().elements()));
            }
            o.put("output_shape", Arrays.stream(outputShape).boxed().toList());
            o.put("output_size", model.outputSize());
            o.put("stages", model.layers().stream().map(l -> {
                Map<String, Object> stage = new LinkedHashMap<>();
                stage.put("stage", l.describe());
                stage.put("flops", l.flops(batch, seqLen));
                stage.put("bytes", l.bytes(batch, seqLen));
                return stage;
            }).toList());
            o.put("layers", config.blocks().stream().map(l -> {
                Map<String, Object> layer = new LinkedHashMap<>();
                layer.put("index", l.index());
                layer.put("type", l.layerType().yamlName());
                layer.put("window", l.windowValue() == null ? 0 : l.windowValue());
                layer.put("position_embedding", l.positionEmbedding().yamlName());
                layer.put("attention_algorithm", l.attention().algorithm().yamlName());
                layer.put("qk_norm", l.attention().qkNorm());
                return layer;
            }).toList());
            out.println(Json.write(o));
            return Main.EXIT_OK;
        }
        out.println(config.oneLine());
        out.println();
        out.printf(Locale.ROOT, "%-5s %-18s %-8s %-6s %-17s %-7s%n", "layer", "type", "window", "PE", "algorithm", "qk_norm");
        for (BlockSpec l : config.blocks()) {
            out.printf(Locale.ROOT, "%-5d %-18s %-8s %-6s %-17s %-7s%n", l.index(), l.layerType().yamlName(),
                    l.layerType() == LayerType.SLIDING ? String.valueOf(l.windowValue()).replace(" ", "") : "-", l.positionEmbedding().yamlName(),
                    l.attention().algorithm().yamlName(), l.attention().qkNorm() ? "yes" : "no");
        }
        out.println();
        List<Layer> layers = model.layers();
        int width = 5;
        for (Layer l : layers) {
            width = Math.max(width, l.describe().length());
        }
        out.printf(Locale.ROOT, "%-" + width + "s %14s %11s %10s%n", "stage", "GFLOP/forward", "MB/forward", "FLOP/byte");
        for (Layer l : layers) {
            long stageFlops = l.flops(batch, seqLen);
            long stageBytes = l.bytes(batch, seqLen);
            out.printf(Locale.ROOT, "%-" + width + "s %14.4f %11.3f %10.1f%n", l.describe(), stageFlops / 1e9, stageBytes / (1024.0 * 1024.0),
                    stageBytes == 0 ? 0.0 : (double) stageFlops / stageBytes);
        }
        out.println("(MB: the weights a stage reads and the buffers it writes, each once: the least memory traffic of a forward pass)");
        out.println();
        out.printf(Locale.ROOT, "parameters        %,d (%s as fp32)%n", params, megabytes(memory.weights()));
        out.printf(Locale.ROOT, "FLOPs per token   %,.0f (batch %d x seq %d: %.3f GFLOP per forward)%n", (double) flops / ((long) batch * seqLen), batch,
                seqLen, flops / 1e9);
        out.printf(Locale.ROOT, "memory estimate   plain JVM: %s of heap, its arrays as the collector lays them out (this JVM's heap: at most %s)%n",
                megabytes(memory.heapBytes()), megabytes(Runtime.getRuntime().maxMemory()));
        out.printf(Locale.ROOT, "                    weights %s on the host, %s packed for the kernels, %s on the simulated device%n",
                megabytes(memory.weights()), megabytes(memory.packedWeights()), megabytes(memory.deviceWeights()));
        out.printf(Locale.ROOT, "                    buffers %s on the host, %s in the layers' graphs; input %s x 3, output %s x 2%n",
                megabytes(memory.hostBuffers()), megabytes(memory.deviceBuffers()), megabytes(memory.input()), megabytes(memory.output()));
        out.printf(Locale.ROOT, "                  TornadoVM device: %s of device memory (weights %s, buffers %s in the layers' graphs, input %s)%n",
                megabytes(memory.deviceBytes()), megabytes(memory.deviceWeights()), megabytes(memory.deviceBuffers()), megabytes(memory.input()));
        if (largest != null) {
            out.printf(Locale.ROOT, "largest buffer    '%s' of layer %d '%s': %,d floats (%s)%n", largest.buffer().name(), largest.layer(),
                    layers.get(largest.layer()).describe(), largest.buffer().elements(), megabytes(largest.buffer().bytes()));
        }
        out.printf(Locale.ROOT, "output            %s (output_size %d)%n", Arrays.toString(outputShape), model.outputSize());
        return Main.EXIT_OK;
    }

    /** The largest buffer any layer asks for, and which layer. */
    private record LargestBuffer(int layer, Buffer buffer) {
        static LargestBuffer of(Model model, int batch, int seqLen) {
            LargestBuffer largest = null;
            for (int i = 0; i < model.layers().size(); i++) {
                for (Buffer b : model.layers().get(i).buffers(batch, seqLen)) {
                    if (largest == null || b.elements() > largest.buffer().elements()) {
                        largest = new LargestBuffer(i, b);
                    }
                }
            }
            return largest;
        }
    }

    /** In MB of 2^20 bytes, as the rest of the CLI and the JVM's -Xmx count them. */
    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%,.1f MB", bytes / (double) (1 << 20));
    }
}
