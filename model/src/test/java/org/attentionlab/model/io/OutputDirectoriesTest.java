package org.attentionlab.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory written for a user (a Hugging Face checkpoint) appears whole or not at all, and never takes the place
 * of a file or of a directory that holds anything.
 */
class OutputDirectoriesTest {

    @TempDir
    Path dir;

    private List<String> listing(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void twoFiles(Path path) throws IOException {
        OutputFiles.writeDirectory(path, temporary -> {
            OutputFiles.write(temporary.resolve("config.json"), out -> out.write("{}".getBytes(StandardCharsets.UTF_8)));
            OutputFiles.write(temporary.resolve("model.safetensors"), out -> out.write(new byte[16]));
        });
    }

    @Test
    void aNewDirectoryAppearsWithItsFilesAndNothingElse() throws IOException {
        Path target = dir.resolve("checkpoint");
        List<String>[] during = new List[2];
        OutputFiles.writeDirectory(target, temporary -> {
            OutputFiles.write(temporary.resolve("config.json"), out -> out.write('x'));
            during[0] = listing(dir);
            during[1] = listing(temporary);
        });
        assertEquals(1, during[0].size());
        assertTrue(during[0].get(0).matches("\\.checkpoint\\.attentionlab-" + ProcessHandle.current().pid() + "-[0-9a-f]{16}\\.tmp"), during[0].get(0));
        assertEquals(List.of("config.json"), during[1]);
        assertEquals(List.of("checkpoint"), listing(dir));
        assertEquals(List.of("config.json"), listing(target));
    }

    @Test
    void anEmptyDirectoryIsReplacedAlsoThroughALink() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        twoFiles(empty);
        assertEquals(List.of("config.json", "model.safetensors"), listing(empty));
        Path real = Files.createDirectory(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("real"));
        twoFiles(link);
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(List.of("config.json", "model.safetensors"), listing(real));
    }

    @Test
    void aFileADirectoryWithFilesOrAMissingFolderIsRefusedAndKept() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "mine");
        assertEquals("it is a regular file; only a new or an empty directory is written",
                assertThrows(UnusableFileException.class, () -> twoFiles(file)).reason());
        assertEquals("mine", Files.readString(file));
        Path full = Files.createDirectory(dir.resolve("full"));
        Files.writeString(full.resolve("tokenizer.json"), "keep");
        assertEquals("it is a directory that is not empty; only a new or an empty directory is written (nothing in it is replaced)",
                assertThrows(UnusableFileException.class, () -> twoFiles(full)).reason());
        assertEquals(List.of("tokenizer.json"), listing(full));
        Path fifo = SpecialFiles.fifo(dir.resolve("pipe"));
        assertEquals("it is a FIFO (named pipe); only a new or an empty directory is written",
                assertThrows(UnusableFileException.class, () -> twoFiles(fifo)).reason());
        Path missing = dir.resolve("nope").resolve("checkpoint");
        assertEquals("the folder " + missing.getParent() + " does not exist", assertThrows(UnusableFileException.class, () -> twoFiles(missing)).reason());
        assertEquals(List.of("file", "full", "pipe"), listing(dir));
    }

    @Test
    void aFailureHalfwayLeavesNothing() throws IOException {
        Path target = dir.resolve("checkpoint");
        IOException error = assertThrows(IOException.class, () -> OutputFiles.writeDirectory(target, temporary -> {
            OutputFiles.write(temporary.resolve("config.json"), out -> out.write('x'));
            Files.createDirectory(temporary.resolve("nested"));
            Files.writeString(temporary.resolve("nested").resolve("part"), "half");
            throw new IOException("disk full (simulated)");
        }));
        assertEquals("disk full (simulated)", error.getMessage());
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void whatAppearsAtThePathWhileWritingIsNeverReplaced() throws IOException {
        Path target = dir.resolve("checkpoint");
        var error = assertThrows(UnusableFileException.class, () -> OutputFiles.writeDirectory(target, temporary -> {
            OutputFiles.write(temporary.resolve("config.json"), out -> out.write('x'));
            Files.writeString(target, "someone else's");
        }));
        assertEquals("it changed while being written and is now a regular file", error.reason());
        assertEquals("someone else's", Files.readString(target));
        Path other = dir.resolve("other");
        var filled = assertThrows(UnusableFileException.class, () -> OutputFiles.writeDirectory(other, temporary -> {
            Files.createDirectory(other);
            Files.writeString(other.resolve("theirs"), "x");
        }));
        assertEquals("it became a directory that is not empty while being written (nothing in it was replaced)", filled.reason());
        assertEquals(List.of("theirs"), listing(other));
        assertEquals(List.of("checkpoint", "other"), listing(dir));
    }

    @Test
    void aDeadProcesssTemporaryDirectoryIsSwept() throws Exception {
        Process finished = new ProcessBuilder("true").start();
        assertTrue(finished.waitFor(10, TimeUnit.SECONDS));
        Path stale = Files.createDirectory(dir.resolve(".checkpoint.attentionlab-" + finished.pid() + "-0123456789abcdef.tmp"));
        Files.writeString(stale.resolve("config.json"), "partial");
        Path outside = Files.writeString(dir.resolve("outside"), "kept");
        Files.createSymbolicLink(stale.resolve("link"), outside);
        twoFiles(dir.resolve("checkpoint"));
        assertFalse(Files.exists(stale, LinkOption.NOFOLLOW_LINKS));
        assertEquals("kept", Files.readString(outside), "a link inside is removed, not followed");
        assertEquals(List.of("checkpoint", "outside"), listing(dir));
    }
}
