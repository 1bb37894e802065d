package org.attentionlab.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The model configs the tests walk: the examples under configs/ and the PyTorch twins' configs. */
public final class ExampleConfigs {

    public static final Path CONFIGS = Path.of("..", "configs");
    /** The PyTorch twins' configs: token input, gated feed-forward blocks, language-model heads. */
    public static final Path TWINS = Path.of("src", "test", "resources", "twins");
    /** Sweep files, not model configs (SweepExamplesTest reads them). */
    public static final Path SWEEPS = CONFIGS.resolve("sweeps");

    private ExampleConfigs() {
    }

    /** Every model config under configs/, sorted. */
    public static List<Path> examples() {
        return yamlFiles(CONFIGS);
    }

    /** {@link #examples()} and then every twin config. */
    public static List<Path> examplesAndTwins() {
        List<Path> all = new ArrayList<>(examples());
        all.addAll(yamlFiles(TWINS));
        return all;
    }

    private static List<Path> yamlFiles(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> p.toString().endsWith(".yaml") && !p.startsWith(SWEEPS)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
