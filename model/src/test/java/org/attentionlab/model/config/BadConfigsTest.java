package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The corpus of broken configs in src/test/resources/bad-configs: each file must fail with exactly the message in
 * expected-errors.txt, and that message must be one line in the promised shape.
 */
class BadConfigsTest {

    private static final Path DIR = Path.of("src", "test", "resources", "bad-configs");

    /** File name to expected message, in the order of expected-errors.txt. */
    private static Map<String, String> expectations() throws IOException {
        Map<String, String> expected = new LinkedHashMap<>();
        for (String line : Files.readAllLines(DIR.resolve("expected-errors.txt"), StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String name;
            String message;
            int arrow = line.indexOf("->");
            int colon = line.indexOf(':');
            if (arrow > 0 && arrow < colon) {
                name = line.substring(0, arrow);
                message = line.substring(arrow + 2);
            } else {
                name = line.substring(0, colon);
                message = "{dir}/" + line;
            }
            String previous = expected.put(name, message.replace("{dir}", DIR.toString()));
            assertTrue(previous == null, "expected-errors.txt lists " + name + " twice");
        }
        return expected;
    }

    @TestFactory
    Stream<DynamicTest> everyBadConfigFailsWithItsExactMessage() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, String> entry : expectations().entrySet()) {
            tests.add(DynamicTest.dynamicTest(entry.getKey(), () -> {
                ConfigException error = assertThrows(ConfigException.class,
                        () -> ConfigLoader.load(DIR.resolve(entry.getKey())));
                assertEquals(entry.getValue(), error.getMessage());
            }));
        }
        return tests.stream();
    }

    @Test
    void everyFileInTheCorpusHasAnExpectation() throws IOException {
        TreeSet<String> files = new TreeSet<>();
        try (Stream<Path> listing = Files.list(DIR)) {
            listing.filter(path -> path.toString().endsWith(".yaml"))
                    .forEach(path -> files.add(path.getFileName().toString()));
        }
        assertEquals(files, new TreeSet<>(expectations().keySet()));
        assertTrue(files.size() >= 20, "the corpus should cover at least 20 mistakes");
    }

    @Test
    void messagesAreOneLineWithPositionAndKeyPath() throws IOException {
        for (String name : expectations().keySet()) {
            ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(DIR.resolve(name)));
            String message = error.getMessage();
            assertFalse(message.contains("\n") || message.contains("\r"), name + ": " + message);
            assertTrue(error.line() >= 1 && error.column() >= 1, name + ": no position in " + message);
            String prefix = error.file() + ":" + error.line() + ":" + error.column() + ": " + error.keyPath() + ": ";
            assertTrue(message.startsWith(prefix), name + ": " + message + " does not start with " + prefix);
            assertEquals(prefix + error.problem(), message);
        }
    }
}
