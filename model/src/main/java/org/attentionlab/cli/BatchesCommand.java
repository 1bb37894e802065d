package org.attentionlab.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.TrainingConfig;
import org.attentionlab.model.train.TrainingBatches;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The batches a training run draws, written out for another framework to train on (scripts/torch_models.py --train). */
@Command(name = "batches", mixinStandardHelpOptions = true, description = "Write the batches scripts/run train draws for the first steps of a"
        + " config's run to a safetensors file (tensors input and target, and counted for feature tasks; step s, micro-batch m is row"
        + " (s-1) x grad_accumulation + m).%n  scripts/run batches configs/train/rnope-swa-recall.yaml --steps 20 --out batches.safetensors")
final class BatchesCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private ConfigOptions configOptions;

    @Option(names = "--steps", paramLabel = "N", description = "Steps whose batches to write (default: train.steps).")
    private Integer steps;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "The safetensors file to write.")
    private Path out;

    @Option(names = "--text", paramLabel = "FILE", description = "The file the text task models (overrides train.text_file).")
    private Path text;

    @Mixin
    private VerboseOption verbose;

    @Override
    public Integer call() {
        if (steps != null && steps < 1) {
            throw new UsageException("--steps must be at least 1");
        }
        OutputTargets.check(List.of(new OutputTargets.Named("--out", out)), configOptions.reads(List.of(new OutputTargets.Named("--text", text))));
        TrainingConfig config = ConfigLoader.loadTraining(configOptions.file, configOptions.overrides);
        int count = steps != null ? steps : config.train().steps();
        ForwardCommand.Files.write(out, TrainingBatches.draw(config, Optional.ofNullable(text), count),
                Map.of("steps", Integer.toString(count), "grad_accumulation", Integer.toString(config.train().gradAccumulation())));
        spec.commandLine().getOut().println("wrote the batches of " + count + " steps to " + out);
        return Main.EXIT_OK;
    }
}
