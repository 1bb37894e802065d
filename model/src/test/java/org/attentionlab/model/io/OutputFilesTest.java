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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing a user's output path never destroys what it points at and never leaves a part of a file behind. */
class OutputFilesTest {

    @TempDir
    Path dir;

    private static void write(Path path, String text) throws IOException {
        OutputFiles.write(path, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aSymbolicLinkIsWrittenThroughAndStaysALink() throws IOException {
        Path target = dir.resolve("real.bin");
        Files.writeString(target, "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.bin"), Path.of("real.bin"));
        Path chain = Files.createSymbolicLink(dir.resolve("chain.bin"), link);
        write(chain, "new");
        assertTrue(Files.isSymbolicLink(link) && Files.isSymbolicLink(chain));
        assertEquals("new", Files.readString(target));
        assertEquals(List.of("chain.bin", "link.bin", "real.bin"), listing());
    }

    @Test
    void aDanglingLinkCreatesItsTarget() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("link.bin"), Path.of("later.bin"));
        write(link, "made");
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("made", Files.readString(dir.resolve("later.bin")));
    }

    @Test
    void theReplacedFilesModeIsKept() throws IOException {
        for (String mode : List.of("rw-r--r--", "rw-r-----", "rwxrwxr-x")) {
            Path target = dir.resolve("out-" + mode);
            Files.writeString(target, "old");
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(mode));
            write(target, "new");
            assertEquals(mode, PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
            assertEquals("new", Files.readString(target));
        }
    }

    @Test
    void aNewFileGetsTheModeOfAnyNewFileNotOnlyTheOwners() throws IOException {
        Path control = dir.resolve("control");
        Files.newOutputStream(control).close();
        Path made = dir.resolve("made");
        write(made, "x");
        assertEquals(Files.getPosixFilePermissions(control), Files.getPosixFilePermissions(made));
    }

    @Test
    void aDirectoryOrAMissingFolderIsRefusedUpFront() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("folder"));
        var directory = assertThrows(UnusableFileException.class, () -> OutputFiles.target(folder));
        assertEquals("it is a directory; only a regular file is written or replaced", directory.reason());
        Path missing = dir.resolve("nope").resolve("out.bin");
        var noFolder = assertThrows(UnusableFileException.class, () -> OutputFiles.target(missing));
        assertEquals("the folder " + missing.getParent() + " does not exist", noFolder.reason());
        Path file = Files.writeString(dir.resolve("file"), "x");
        var underFile = assertThrows(UnusableFileException.class, () -> OutputFiles.target(file.resolve("out.bin")));
        assertEquals(file + " is not a folder", underFile.reason());
    }

    @Test
    void aFifoIsRefusedAndStaysAFifo() throws Exception {
        Path fifo = SpecialFiles.fifo(dir.resolve("pipe"));
        var error = assertThrows(UnusableFileException.class, () -> write(fifo, "x"));
        assertEquals("it is a FIFO (named pipe); only a regular file is written or replaced", error.reason());
        assertEquals(FileKind.FIFO, FileKind.of(fifo));
        assertEquals(List.of("pipe"), listing());
    }

    @Test
    void aDeviceNodeIsRefusedAndStaysADevice_alsoThroughALink() throws Exception {
        Path device = SpecialFiles.characterDevice(dir.resolve("null"), 1, 3);
        Path link = Files.createSymbolicLink(dir.resolve("out.safetensors"), device);
        var direct = assertThrows(UnusableFileException.class, () -> write(device, "x"));
        assertEquals("it is a character device; only a regular file is written or replaced", direct.reason());
        var throughLink = assertThrows(UnusableFileException.class, () -> write(link, "x"));
        assertEquals("its target " + device.toRealPath() + ": it is a character device; only a regular file is written or replaced",
                throughLink.reason());
        assertEquals(FileKind.CHARACTER_DEVICE, FileKind.of(device));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(List.of("null", "out.safetensors"), listing());
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path target = dir.resolve("out.bin");
        Files.writeString(target, "old");
        IOException error = assertThrows(IOException.class, () -> OutputFiles.write(target, out -> {
            out.write(new byte[100_000]);
            throw new IOException("disk full (simulated)");
        }));
        assertEquals("disk full (simulated)", error.getMessage());
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.bin"), listing());
    }

    @Test
    void theTemporaryIsNamedForItsProcessAndLivesInTheTargetsFolder() throws IOException {
        Path target = dir.resolve("out.bin");
        List<String>[] during = new List[1];
        OutputFiles.write(target, out -> {
            out.write(1);
            during[0] = listing();
        });
        assertEquals(1, during[0].size(), during[0].toString());
        String name = during[0].get(0);
        assertTrue(name.matches("\\.out\\.bin\\.attentionlab-" + ProcessHandle.current().pid() + "-[0-9a-f]{16}\\.tmp"), name);
        assertEquals(List.of("out.bin"), listing());
    }

    @Test
    void staleTemporariesOfDeadProcessesAreSweptAndALiveProcesssAreNot() throws Exception {
        Process finished = new ProcessBuilder("true").start();
        assertTrue(finished.waitFor(10, TimeUnit.SECONDS));
        long dead = finished.pid();
        long live = ProcessHandle.current().parent().orElseThrow().pid();
        String stale = ".w.safetensors.attentionlab-" + dead + "-0123456789abcdef.tmp";
        String busy = ".w.safetensors.attentionlab-" + live + "-0123456789abcdef.tmp";
        String notOurs = ".w.safetensors.other-1-0123456789abcdef.tmp";
        for (String name : List.of(stale, busy, notOurs)) {
            Files.writeString(dir.resolve(name), "partial");
        }
        write(dir.resolve("w.safetensors"), "done");
        assertFalse(Files.exists(dir.resolve(stale), LinkOption.NOFOLLOW_LINKS), "a dead process's temporary is deleted");
        assertTrue(Files.exists(dir.resolve(busy)), "a live process's temporary is left alone");
        assertTrue(Files.exists(dir.resolve(notOurs)), "a file of another naming is left alone");
    }

    @Test
    void aVeryLongNameStillGetsAValidTemporaryName() throws IOException {
        String name = "n".repeat(240);
        write(dir.resolve(name), "x");
        assertEquals(List.of(name), listing());
    }
}
