package org.attentionlab.model.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.weights.SafeTensors;
import org.attentionlab.model.weights.SafeTensorsException;
import org.attentionlab.model.weights.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The two readers of untrusted files, fuzzed with Jazzer: whatever the bytes, the YAML config loader returns a
 * config or throws a one-line {@link ConfigException}, and the safetensors reader returns tensors that survive a
 * write and a read unchanged, or throws a one-line {@link SafeTensorsException}. Anything else (another
 * exception, a hang, running out of memory) is a finding.
 *
 * <p>In the ordinary build these run once per seed input under {@code src/test/resources/.../LoaderFuzzTestInputs/}
 * (a regression pass of a second). {@code scripts/lib/fuzz.sh config|safetensors DURATION} fuzzes one of them, with
 * the dictionaries of config keys and values and of safetensors header tokens beside those inputs.
 */
class LoaderFuzzTest {

    private static Path dir;

    @BeforeAll
    static void folder() throws IOException {
        dir = Files.createTempDirectory("attentionlab-fuzz");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    private static Path file(String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    @DictionaryFile(resourcePath = "config.dict")
    void configLoaderAcceptsOrRefusesInOneLine(byte[] yaml) {
        Path config = file("fuzz.yaml", yaml);
        try {
            ConfigLoader.load(config);
        } catch (ConfigException e) {
            assertOneLine(e.getMessage());
        }
    }

    @FuzzTest(maxDuration = "10s")
    @DictionaryFile(resourcePath = "safetensors.dict")
    void safetensorsReaderAcceptsOrRefusesInOneLine(byte[] bytes) throws IOException {
        Path file = file("fuzz.safetensors", bytes);
        Map<String, Tensor> tensors;
        try {
            tensors = SafeTensors.read(file);
        } catch (SafeTensorsException e) {
            assertOneLine(e.getMessage());
            return;
        }
        Path copy = dir.resolve("copy.safetensors");
        SafeTensors.write(copy, tensors);
        Map<String, Tensor> again = SafeTensors.read(copy);
        assertEquals(tensors.keySet(), again.keySet());
        for (var e : tensors.entrySet()) {
            Tensor read = again.get(e.getKey());
            if (e.getValue().isFloatingPoint()) {
                assertEquals(java.util.Arrays.toString(e.getValue().shape()), java.util.Arrays.toString(read.shape()));
                assertEquals(java.util.Arrays.toString(e.getValue().floats()), java.util.Arrays.toString(read.floats()), e.getKey());
            } else {
                assertEquals(java.util.Arrays.toString(e.getValue().ints()), java.util.Arrays.toString(read.ints()), e.getKey());
            }
        }
    }

    private static void assertOneLine(String message) {
        assertFalse(message.contains("\n") || message.contains("\r"), message);
    }
}
