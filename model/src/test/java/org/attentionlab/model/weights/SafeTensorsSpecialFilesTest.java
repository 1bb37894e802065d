package org.attentionlab.model.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.attentionlab.model.io.FileKind;
import org.attentionlab.model.io.SpecialFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Safetensors paths that name something other than a regular file, for reading and for writing. */
class SafeTensorsSpecialFilesTest {

    @TempDir
    Path dir;

    private static final Map<String, Tensor> ONE = Map.of("w", Tensor.ofFloats(new int[] {2}, new float[] {1f, 2f}));

    @Test
    void readingAFifoOrADeviceIsRefusedAtOnce() throws Exception {
        Path fifo = SpecialFiles.fifo(dir.resolve("w.safetensors"));
        SafeTensorsException error = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(SafeTensorsException.class, () -> SafeTensors.read(fifo)));
        assertEquals(fifo + ": cannot read: it is a FIFO (named pipe), not a regular file", error.getMessage());
        Path zero = SpecialFiles.characterDevice(dir.resolve("zero.safetensors"), 1, 5);
        SafeTensorsException device = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(SafeTensorsException.class, () -> SafeTensors.read(zero)));
        assertEquals(zero + ": cannot read: it is a character device, not a regular file", device.getMessage());
    }

    @Test
    void writingToADeviceNodeLeavesItADevice() throws Exception {
        Path node = SpecialFiles.characterDevice(dir.resolve("null"), 1, 3);
        SafeTensorsException error = assertThrows(SafeTensorsException.class, () -> SafeTensors.write(node, ONE));
        assertEquals(node + ": cannot write: it is a character device; only a regular file is written or replaced", error.getMessage());
        assertEquals(FileKind.CHARACTER_DEVICE, FileKind.of(node));
    }

    @Test
    void writingThroughALinkReplacesItsTarget() throws IOException {
        Path target = dir.resolve("real.safetensors");
        SafeTensors.write(target, Map.of("old", Tensor.ofFloats(new int[] {1}, new float[] {0f})));
        Path link = Files.createSymbolicLink(dir.resolve("link.safetensors"), target);
        SafeTensors.write(link, ONE);
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(ONE, SafeTensors.read(target));
    }
}
