package org.attentionlab.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.io.OutputFiles;
import org.attentionlab.model.io.UnusableFileException;
import org.attentionlab.model.weights.HuggingFaceCheckpoint;
import org.attentionlab.model.weights.HuggingFaceConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Writes a config and its weights as a Hugging Face checkpoint directory (config.json and model.safetensors, Hugging
 * Face's names and layout), for the configs a Hugging Face model type computes exactly; any other is refused naming
 * the key, before anything is built or written.
 */
@Command(name = "export-hf", mixinStandardHelpOptions = true, version = Main.VERSION, description = {
        "Write a model as a Hugging Face checkpoint directory: config.json and model.safetensors (cohere2 for rnope_swa_hybrid, mistral or llama"
                + " for rnope_swa).",
        "  scripts/run export-hf configs/rnope-swa-hybrid.yaml --out my-cohere2    the seeded initialisation",
        "  scripts/run export-hf CONFIG --weights w.safetensors --out DIR          weights saved by --save-weights" })
final class ExportHfCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private ConfigOptions configOptions;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The checkpoint directory to create: it must not exist (its folder must),"
            + " or be an empty directory.")
    private Path out;

    @Option(names = "--weights", paramLabel = "FILE", description = "The parameters, a safetensors file with our names (as --save-weights writes them);"
            + " default: a checkpoint directory's own weights, else the config's seeded initialisation.")
    private Path weights;

    @Option(names = "--allow-nonfinite", description = "Accept NaN or infinite values in the weights.")
    private boolean allowNonfinite;

    @Mixin
    private VerboseOption verbose;

    @Override
    public Integer call() {
        try {
            OutputFiles.directoryTarget(out);
        } catch (UnusableFileException e) {
            throw new UsageException("--out " + out + ": cannot write: " + e.reason());
        }
        ModelSpec config = configOptions.load();
        Map<String, Object> huggingFace = HuggingFaceConfig.export(config);
        Model model;
        try {
            model = Model.build(config);
        } catch (OutOfMemoryError e) {
            throw FitCheck.outOfMemoryBuilding("building the model to export it");
        }
        configOptions.loadWeights(model, config, weights, allowNonfinite);
        try {
            HuggingFaceCheckpoint.write(out, config, model.parameters());
        } catch (UnusableFileException e) {
            throw new UsageException("--out " + out + ": cannot write: " + e.reason());
        } catch (IOException e) {
            throw new UsageException("--out " + out + ": cannot write: " + e.getMessage());
        }
        spec.commandLine().getOut().printf("wrote %s: Hugging Face %s (%s), %d tensors, %,d parameters, from %s%n", out, huggingFace.get("model_type"),
                ((List<?>) huggingFace.get("architectures")).get(0), model.parameters().all().size(), model.parameters().count(),
                weights != null ? weights : configOptions.isCheckpoint() ? configOptions.file : "the seeded initialisation (seed " + config.seed() + ")");
        return Main.EXIT_OK;
    }
}
