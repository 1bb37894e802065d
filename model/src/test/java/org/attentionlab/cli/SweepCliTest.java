package org.attentionlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.attentionlab.model.weights.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sweep, report and compare as a user runs them: outputs, and one-line errors with exit code 2 before anything runs. */
class SweepCliTest {

    @TempDir
    Path dir;

    static void assertInputError(CliTest.Result r, String expected) {
        assertEquals(2, r.exit(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    Path sweep(String text) throws IOException {
        Path file = dir.resolve("s.yaml");
        Files.writeString(file, "base: " + CliTest.CONFIGS.resolve("ape.yaml").toAbsolutePath() + "\n" + text);
        return file;
    }

    @Test
    void aMalformedSweepFailsBeforeAnyCellRuns() throws IOException {
        Path file = sweep("grid: {position_embedding: [ape, alibi, rop]}\nspeed: {lengths: [8]}\n");
        Path out = dir.resolve("out");
        assertInputError(CliTest.run("sweep", file.toString(), "--out", out.toString()), file + ":2:41: grid.position_embedding[2]: unknown value 'rop'");
        assertFalse(Files.exists(out), "nothing was created");
    }

    @Test
    void sweepThenReport() throws IOException {
        Path file = sweep("grid: {position_embedding: [ape, alibi]}\nspeed: {lengths: [8], iterations: 1}\nanalyses: {length: 8, batch: 1, shift: 2}\n");
        Path out = dir.resolve("out");
        CliTest.Result dry = CliTest.run("sweep", file.toString(), "--out", out.toString(), "--dry-run");
        assertEquals(0, dry.exit(), dry.err());
        assertTrue(dry.out().contains("2 cells (of 2 in the sweep)"), dry.out());
        CliTest.Result r = CliTest.run("sweep", file.toString(), "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(2, Files.readAllLines(out.resolve("results.jsonl")).size());
        CliTest.Result report = CliTest.run("report", out.toString());
        assertEquals(0, report.exit(), report.err());
        assertTrue(Files.readString(out.resolve("report.html")).contains("data:image/png;base64,"));
        assertInputError(CliTest.run("sweep", file.toString(), "--out", out.toString(), "--shard", "2/2"), "--shard expects I/N with 0 <= I < N");
        assertInputError(CliTest.run("report", dir.resolve("none").toString()), "not a directory");
        Path aFile = Files.writeString(dir.resolve("a-file"), "x");
        assertInputError(CliTest.run("sweep", file.toString(), "--out", aFile.toString()), "cannot write the results in " + aFile);
        assertInputError(CliTest.run("sweep", file.toString(), "--out", aFile.resolve("sub").toString(), "--slurm"), "cannot write the Slurm script in");
        assertEquals("x", Files.readString(aFile), "nothing it pointed at changed");
    }

    @Test
    void compareWritesJsonAndKeepsItsRules() throws IOException {
        String config = CliTest.CONFIGS.resolve("ape.yaml").toString();
        Path out = dir.resolve("cmp");
        CliTest.Result r = CliTest.run("compare", config, "--devices", "jvm,jvm", "--lengths", "8,12", "--iterations", "1", "--warmup", "0", "--json", "--out",
                out.toString());
        assertEquals(0, r.exit(), r.err());
        Object summary = Json.read(r.out().strip());
        assertTrue(summary instanceof java.util.Map<?, ?> m && Boolean.TRUE.equals(m.get("agree")) && ((java.util.List<?>) m.get("results")).size() == 4, r.out());
        assertTrue(Files.isRegularFile(out.resolve("compare.json")) && Files.isRegularFile(out.resolve("plots").resolve("tokens_per_s.png")));
        assertInputError(CliTest.run("compare", config, "--device", "jvm"), "use --devices a,b,c");
        assertInputError(CliTest.run("compare", config, "--devices", "jvm,"), "--devices 'jvm,' has an empty entry");
        assertInputError(CliTest.run("compare", config, "--set", "slidng_window=4"), "--set slidng_window=4");
    }
}
