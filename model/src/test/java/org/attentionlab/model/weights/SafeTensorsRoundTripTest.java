package org.attentionlab.model.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsRoundTripTest {

    @TempDir
    Path dir;

    private static Map<String, Tensor> sample() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("layers.0.attn.q_proj.weight", Tensor.ofFloats(new int[] {2, 3},
                new float[] {1f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -Float.MAX_VALUE}));
        tensors.put("scalar", Tensor.ofFloats(new int[0], new float[] {0.5f}));
        tensors.put("empty", Tensor.ofFloats(new int[] {0, 4}, new float[0]));
        tensors.put("token_ids",
                Tensor.ofInts(new int[] {5}, new int[] {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 7}));
        tensors.put("naïve ✓ \"quoted\" \\ name", Tensor.ofFloats(new int[] {1}, new float[] {3f}));
        return tensors;
    }

    @Test
    void roundTripKeepsNamesOrderShapesAndBits() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Map<String, Tensor> written = sample();
        SafeTensors.write(file, written, Map.of("config", "rnope-swa.yaml"));
        Map<String, Tensor> read = SafeTensors.read(file);
        assertEquals(new ArrayList<>(written.keySet()), new ArrayList<>(read.keySet()));
        assertEquals(written, read);
        float[] original = written.get("layers.0.attn.q_proj.weight").floats();
        float[] back = read.get("layers.0.attn.q_proj.weight").floats();
        for (int i = 0; i < original.length; i++) {
            assertEquals(Float.floatToRawIntBits(original[i]), Float.floatToRawIntBits(back[i]));
        }
        assertEquals(DType.I32, read.get("token_ids").dtype());
        assertEquals(Map.of("config", "rnope-swa.yaml"), SafeTensors.readMetadata(file));
    }

    @Test
    void randomTensorsRoundTrip() throws IOException {
        Random random = new Random(20261123);
        for (int trial = 0; trial < 20; trial++) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            int count = random.nextInt(6);
            for (int t = 0; t < count; t++) {
                int[] shape = new int[random.nextInt(4)];
                int size = 1;
                for (int d = 0; d < shape.length; d++) {
                    shape[d] = random.nextInt(5);
                    size *= shape[d];
                }
                if (random.nextBoolean()) {
                    float[] data = new float[size];
                    for (int i = 0; i < size; i++) {
                        data[i] = Float.intBitsToFloat(random.nextInt());
                    }
                    tensors.put("t" + t, Tensor.ofFloats(shape, data));
                } else {
                    tensors.put("t" + t, Tensor.ofInts(shape, random.ints(size).toArray()));
                }
            }
            Path file = dir.resolve("random.safetensors");
            SafeTensors.write(file, tensors);
            Map<String, Tensor> read = SafeTensors.read(file);
            assertEquals(tensors.keySet(), read.keySet());
            for (String name : tensors.keySet()) {
                Tensor a = tensors.get(name);
                Tensor b = read.get(name);
                assertArrayEquals(a.shape(), b.shape());
                if (a.isFloatingPoint()) {
                    float[] x = a.floats();
                    float[] y = b.floats();
                    for (int i = 0; i < x.length; i++) {
                        assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]),
                                name + "[" + i + "]");
                    }
                } else {
                    assertArrayEquals(a.ints(), b.ints());
                }
            }
        }
    }

    @Test
    void writtenLayoutFollowsTheFormat() throws IOException {
        Path file = dir.resolve("layout.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b", Tensor.ofFloats(new int[] {2}, new float[] {1.5f, -2f}));
        tensors.put("a", Tensor.ofInts(new int[] {1}, new int[] {258}));
        SafeTensors.write(file, tensors);
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong();
        assertEquals(0, (8 + headerLength) % 8, "header padded to 8 bytes");
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertEquals("{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]}}", header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
        buffer.position((int) (8 + headerLength));
        assertEquals(1.5f, buffer.getFloat());
        assertEquals(-2f, buffer.getFloat());
        assertEquals(258, buffer.getInt());
        assertEquals(bytes.length, buffer.position());
    }

    @Test
    void halfPrecisionInputIsWrittenBackAsF32() throws IOException {
        Path half = dir.resolve("half.safetensors");
        Files.write(half, RawSafeTensors.file("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}",
                RawSafeTensors.shorts((short) 0x3C00, (short) 0xC000)));
        Map<String, Tensor> read = SafeTensors.read(half);
        Path again = dir.resolve("again.safetensors");
        SafeTensors.write(again, read);
        Tensor back = SafeTensors.read(again).get("h");
        assertEquals(DType.F32, back.dtype());
        assertArrayEquals(new float[] {1f, -2f}, back.floats());
    }

    @Test
    void overwritingReplacesTheOldFileAndLeavesNoTemporaries() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, Map.of("old", Tensor.ofFloats(new int[] {1}, new float[] {1f})));
        SafeTensors.write(file, Map.of("new", Tensor.ofFloats(new int[] {1}, new float[] {2f})));
        assertEquals(List.of("new"), new ArrayList<>(SafeTensors.read(file).keySet()));
        try (Stream<Path> listing = Files.list(dir)) {
            assertEquals(List.of(file), listing.toList());
        }
    }

    @Test
    void aFailedMoveLeavesTheTargetAndNoTemporaryBehind() throws IOException {
        Path target = dir.resolve("occupied");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "keep");
        SafeTensorsException error = assertThrows(SafeTensorsException.class, () -> SafeTensors.write(target,
                Map.of("w", Tensor.ofFloats(new int[] {1}, new float[] {1f}))));
        assertTrue(error.getMessage().startsWith(target + ": cannot write: "), error.getMessage());
        try (Stream<Path> listing = Files.list(dir)) {
            assertEquals(List.of(target), listing.toList(), "the temporary file was removed");
        }
        assertEquals("keep", Files.readString(target.resolve("keep.txt")));
    }

    @Test
    void writingIntoAMissingDirectoryFails() {
        Path file = dir.resolve("no-such-dir").resolve("w.safetensors");
        SafeTensorsException error = assertThrows(SafeTensorsException.class,
                () -> SafeTensors.write(file, Map.of()));
        assertTrue(error.getMessage().equals(file + ": cannot write: the folder " + file.getParent() + " does not exist"), error.getMessage());
    }

    @Test
    void reservedAndEmptyNamesAreRefusedBeforeAnythingIsWritten() throws IOException {
        Path file = dir.resolve("bad.safetensors");
        SafeTensorsException reserved = assertThrows(SafeTensorsException.class, () -> SafeTensors.write(file,
                Map.of("__metadata__", Tensor.ofFloats(new int[] {1}, new float[] {1f}))));
        assertEquals(file + ": tensor '__metadata__': is not a usable tensor name", reserved.getMessage());
        assertThrows(SafeTensorsException.class, () -> SafeTensors.write(file,
                Map.of("", Tensor.ofFloats(new int[] {1}, new float[] {1f}))));
        try (Stream<Path> listing = Files.list(dir)) {
            assertEquals(0, listing.count());
        }
    }

    @Test
    void emptyFileOfTensorsRoundTrips() throws IOException {
        Path file = dir.resolve("none.safetensors");
        SafeTensors.write(file, Map.of());
        assertEquals(Map.of(), SafeTensors.read(file));
    }

    @Test
    void tensorChecksItsShapeAndCopies() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats(new int[] {2, 2}, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofInts(new int[] {-1}, new int[0]));
        float[] data = {1f, 2f};
        Tensor tensor = Tensor.ofFloats(new int[] {2}, data);
        data[0] = 9f;
        tensor.floats()[1] = 9f;
        assertArrayEquals(new float[] {1f, 2f}, tensor.floats());
        assertThrows(IllegalStateException.class, tensor::ints);
        assertEquals("F32[2]", tensor.toString());
    }
}
