package org.attentionlab.sweep;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every example sweep in configs/sweeps/ resolves all its cells (running them is for users: minutes each). */
class SweepExamplesTest {

    static final Path SWEEPS = Path.of("..", "configs", "sweeps");

    @TestFactory
    Stream<DynamicTest> everyExampleSweepResolves() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(SWEEPS)) {
            files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(files.size() >= 5, "expected the example sweeps under " + SWEEPS.toAbsolutePath());
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            SweepPlan plan = SweepPlan.read(file);
            assertTrue(plan.cells().size() >= 2, file + " sweeps something");
        }));
    }
}
