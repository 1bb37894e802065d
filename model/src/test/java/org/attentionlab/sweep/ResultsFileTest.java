package org.attentionlab.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Results lines: appended whole, a torn tail cut off before appending, shards merged by cell. */
class ResultsFileTest {

    @TempDir
    Path dir;

    static Map<String, Object> row(String cell, int value) {
        return Map.of("cell", cell, "status", "ok", "value", value);
    }

    @Test
    void appendedRowsReadBack() throws IOException {
        Path file = ResultsFile.fileFor(dir, 0, 1);
        try (ResultsFile results = ResultsFile.open(file)) {
            results.append(row("a", 1));
            results.append(row("b", 2));
        }
        List<Map<String, Object>> rows = ResultsFile.read(file);
        assertEquals(List.of("a", "b"), rows.stream().map(r -> r.get("cell")).toList());
        assertEquals(2L, rows.get(1).get("value"));
        assertTrue(Files.readString(file).endsWith("}\n"));
    }

    @Test
    void aTornLastLineIsIgnoredAndCutOffBeforeTheNextAppend() throws IOException {
        Path file = ResultsFile.fileFor(dir, 0, 1);
        try (ResultsFile results = ResultsFile.open(file)) {
            results.append(row("a", 1));
        }
        Files.writeString(file, "{\"cell\": \"b\", \"status\": \"o", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        assertEquals(List.of("a"), ResultsFile.read(file).stream().map(r -> r.get("cell")).toList(), "the torn line is no result");
        try (ResultsFile results = ResultsFile.open(file)) {
            results.append(row("b", 2));
        }
        assertEquals(List.of("a", "b"), ResultsFile.read(file).stream().map(r -> r.get("cell")).toList());
        assertEquals(2, Files.readAllLines(file).size(), "the torn bytes are gone");
    }

    @Test
    void shardsMergeByCellFirstWrittenWins() throws IOException {
        try (ResultsFile zero = ResultsFile.open(ResultsFile.fileFor(dir, 0, 2)); ResultsFile one = ResultsFile.open(ResultsFile.fileFor(dir, 1, 2))) {
            zero.append(row("a", 1));
            one.append(row("b", 2));
            one.append(row("a", 3));
        }
        assertEquals(dir.resolve("results.1of2.jsonl"), ResultsFile.fileFor(dir, 1, 2));
        List<Map<String, Object>> rows = ResultsFile.readAll(dir);
        assertEquals(List.of("a", "b"), rows.stream().map(r -> r.get("cell")).toList());
        assertEquals(1L, rows.get(0).get("value"));
    }

    @Test
    void aResultsPathThatIsNotARegularFileIsRefused() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("results.jsonl"));
        assertThrows(IOException.class, () -> ResultsFile.open(folder));
    }
}
