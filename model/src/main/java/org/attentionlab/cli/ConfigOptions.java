package org.attentionlab.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.weights.HuggingFaceCheckpoint;
import org.attentionlab.model.weights.Tensor;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The config, a YAML file or a Hugging Face checkpoint directory, and {@code --set key=value} overrides, shared by
 * forward, describe and export-hf.
 */
final class ConfigOptions {

    @Parameters(index = "0", paramLabel = "CONFIG", description = "A model config (YAML), e.g. configs/rnope-swa.yaml, or a Hugging Face checkpoint"
            + " directory (config.json and model.safetensors, whose weights are then used).")
    Path file;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a top-level config field, e.g. --set position_embedding=rope (repeatable).")
    List<String> overrides = new ArrayList<>();

    ModelSpec load() {
        return ConfigLoader.load(file, overrides);
    }

    /**
     * What a run reads: the config, or a checkpoint directory's files (config.json, its safetensors and their index),
     * then {@code others}; no output may replace them.
     */
    List<OutputTargets.Named> reads(List<OutputTargets.Named> others) {
        List<OutputTargets.Named> reads = new ArrayList<>();
        reads.add(new OutputTargets.Named("the config", file));
        if (isCheckpoint()) {
            try (var files = java.nio.file.Files.list(file)) {
                files.filter(f -> f.getFileName().toString().endsWith(".safetensors") || f.getFileName().toString().endsWith(".json"))
                        .forEach(f -> reads.add(new OutputTargets.Named("a file of the checkpoint " + file, f)));
            } catch (IOException e) {
                // an unlistable directory is reported when it is read
            }
        }
        reads.addAll(others);
        return reads;
    }

    /** Whether CONFIG names a Hugging Face checkpoint directory, whose weights come with it. */
    boolean isCheckpoint() {
        return HuggingFaceCheckpoint.isCheckpointDirectory(file);
    }

    /**
     * Puts the weights of a run into {@code model}: {@code weights} (a safetensors file with our names) when given, else
     * a checkpoint directory's own; otherwise the model keeps its seeded initialisation. NaN and infinities are refused
     * unless {@code allowNonfinite}.
     */
    void loadWeights(Model model, ModelSpec config, Path weights, boolean allowNonfinite) {
        if (weights != null) {
            Map<String, Tensor> checkpoint = ForwardCommand.Files.read(weights);
            if (!allowNonfinite) {
                ForwardCommand.Files.checkFinite(weights, checkpoint);
            }
            model.parameters().loadFrom(weights.toString(), checkpoint);
        } else if (isCheckpoint()) {
            loadCheckpointWeights(model, config, allowNonfinite);
        }
    }

    private void loadCheckpointWeights(Model model, ModelSpec config, boolean allowNonfinite) {
        HuggingFaceCheckpoint.Tensors tensors;
        try {
            tensors = HuggingFaceCheckpoint.read(file);
        } catch (IOException e) {
            throw new UsageException(e.getMessage());
        } catch (OutOfMemoryError e) {
            throw new UsageException(file + ": out of memory while reading its weights: give more heap (ATTENTION_LAB_JAVA_OPTS=-Xmx...)");
        }
        if (!allowNonfinite) {
            ForwardCommand.Files.checkFinite(Path.of(tensors.source()), tensors.byName());
        }
        HuggingFaceCheckpoint.load(model.parameters(), config, tensors);
    }
}
