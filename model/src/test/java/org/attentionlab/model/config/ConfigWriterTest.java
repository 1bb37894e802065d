package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A resolved config written back as YAML loads to the same model: every example config and every PyTorch twin's. */
class ConfigWriterTest {

    static Stream<Path> configs() throws IOException {
        List<Path> roots = List.of(Path.of("..", "configs"), Path.of("src", "test", "resources", "twins"));
        return roots.stream().flatMap(root -> {
            try {
                return Files.walk(root).filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
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
}
