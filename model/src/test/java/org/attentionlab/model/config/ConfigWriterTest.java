package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.attentionlab.model.ExampleConfigs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A resolved config written back as YAML loads to the same model: every example config and every PyTorch twin's. */
class ConfigWriterTest {

    static Stream<Path> configs() {
        return ExampleConfigs.examplesAndTwins().stream();
    }

    @ParameterizedTest
    @MethodSource("configs")
    void writtenConfigLoadsToTheSameModel(Path file) {
        ModelSpec spec = ConfigLoader.load(file);
        String yaml = ConfigWriter.write(spec, null);
        ModelSpec back = ConfigLoader.parse(yaml, file);
        assertEquals(spec.architecture(), back.architecture(), yaml);
        assertEquals(spec.input(), back.input(), yaml);
        assertEquals(spec.blocks(), back.blocks(), yaml);
        assertEquals(spec.lmHead(), back.lmHead(), yaml);
        assertEquals(spec.settings(), back.settings(), yaml);
    }

    /** With its train: block, a training config comes back as the same model and the same run. */
    @ParameterizedTest
    @MethodSource("trainingConfigs")
    void writtenTrainingConfigLoadsToTheSameRun(Path file) {
        TrainingConfig config = ConfigLoader.loadTraining(file, List.of());
        String yaml = ConfigWriter.write(config.model(), config.train());
        TrainingConfig back = ConfigLoader.parseTraining(yaml, file, List.of());
        assertEquals(config.model().blocks(), back.model().blocks(), yaml);
        assertEquals(config.model().settings(), back.model().settings(), yaml);
        assertEquals(config.train(), back.train(), yaml);
    }

    /** A text file named relative to the config is written as an absolute path: the checkpoint's config finds it anywhere. */
    @org.junit.jupiter.api.Test
    void textFileIsWrittenAbsolute() {
        Path source = Path.of("..", "configs", "train", "text.yaml");
        TrainingConfig config = ConfigLoader.parseTraining("architecture: rnope_swa\nvocab_size: 256\nnum_attention_heads: 2\nhidden_size: 8\n"
                + "output: logits\ntrain:\n  task: text\n  text_file: corpus.txt\n", source, List.of());
        String yaml = ConfigWriter.write(config.model(), config.train());
        TrainingConfig back = ConfigLoader.parseTraining(yaml, Path.of("elsewhere", "checkpoint-1.safetensors"), List.of());
        assertEquals(source.toAbsolutePath().getParent().resolve("corpus.txt").normalize(), back.train().textFile().orElseThrow());
        assertEquals(config.train(), back.train());
    }

    static Stream<Path> trainingConfigs() throws IOException {
        return Files.walk(Path.of("..", "configs", "train")).filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
    }

    /** Numbers read back as the same double, large and small, and strings as the same text. */
    @org.junit.jupiter.api.Test
    void scalarsReadBackExactly() {
        for (double value : new double[] { 1e-8, 0.1, 12345678.5, 1.5e20, 10000, 0.001, 3.0e-300 }) {
            ModelSpec spec = ConfigLoader.parse("architecture: rnope_swa\nembed_dim: 8\nnum_attention_heads: 2\nrope_theta: " + ConfigWriter.scalar(value) + "\n",
                    Path.of("x.yaml"));
            assertEquals(value, spec.settings().get(Keys.ROPE_THETA), ConfigWriter.scalar(value));
        }
        String path = "a \"quoted\" \\ path\twith: colons.txt";
        TrainingConfig config = ConfigLoader.parseTraining("architecture: rnope_swa\nvocab_size: 256\nnum_attention_heads: 2\nhidden_size: 8\n"
                + "output: logits\ntrain:\n  task: text\n  text_file: " + ConfigWriter.scalar("/" + path) + "\n", Path.of("x.yaml"), List.of());
        assertEquals(Path.of("/" + path), config.train().textFile().orElseThrow());
    }
}
