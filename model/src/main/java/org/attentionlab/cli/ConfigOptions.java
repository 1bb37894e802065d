package org.attentionlab.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.ModelSpec;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The config file and {@code --set key=value} overrides, shared by forward and describe. */
final class ConfigOptions {

    @Parameters(index = "0", paramLabel = "CONFIG", description = "A model config (YAML), e.g. configs/rnope-swa.yaml.")
    Path file;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a top-level config field, e.g. --set position_embedding=rope (repeatable).")
    List<String> overrides = new ArrayList<>();

    ModelSpec load() {
        return ConfigLoader.load(file, overrides);
    }
}
