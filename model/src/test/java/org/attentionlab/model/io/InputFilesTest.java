package org.attentionlab.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Only regular files are read, and never more than the limit, whatever they claim. */
class InputFilesTest {

    @TempDir
    Path dir;

    @Test
    void aFifoWithoutAWriterIsRefusedAtOnce() throws Exception {
        Path fifo = SpecialFiles.fifo(dir.resolve("pipe"));
        var error = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(UnusableFileException.class, () -> InputFiles.readAtMost(fifo, 100)));
        assertEquals("it is a FIFO (named pipe), not a regular file", error.reason());
    }

    @Test
    void anEndlessDeviceIsRefusedAtOnce() throws Exception {
        Path zero = SpecialFiles.characterDevice(dir.resolve("zero"), 1, 5);
        var error = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(UnusableFileException.class, () -> InputFiles.readAtMost(zero, 100)));
        assertEquals("it is a character device, not a regular file", error.reason());
    }

    @Test
    void readingStopsOneByteAfterTheLimit() throws Exception {
        Path file = Files.write(dir.resolve("big"), new byte[1000]);
        assertEquals(101, InputFiles.readAtMost(file, 100).length);
        assertEquals(1000, InputFiles.readAtMost(file, 5000).length);
    }

    @Test
    void missingAndDirectory() {
        assertEquals("no such file", assertThrows(UnusableFileException.class,
                () -> InputFiles.readAtMost(dir.resolve("none"), 10)).reason());
        assertEquals("it is a directory, not a regular file", assertThrows(UnusableFileException.class,
                () -> InputFiles.readAtMost(dir, 10)).reason());
    }
}
