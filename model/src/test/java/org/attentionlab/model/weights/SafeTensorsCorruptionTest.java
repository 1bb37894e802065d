package org.attentionlab.model.weights;

import static org.attentionlab.model.weights.RawSafeTensors.file;
import static org.attentionlab.model.weights.RawSafeTensors.floats;
import static org.attentionlab.model.weights.RawSafeTensors.longs;
import static org.attentionlab.model.weights.RawSafeTensors.zeros;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** Every way a safetensors file can be broken is an exception with an exact one-line message; never garbage. */
class SafeTensorsCorruptionTest {

    @TempDir
    Path dir;

    private record Case(String name, byte[] bytes, String expectedProblem) {
    }

    private static final String A8 = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";

    private static Case json(String name, String header, byte[] data, String expected) {
        return new Case(name, file(header, data), expected);
    }

    private static List<Case> cases() {
        byte[] headerOk = "{}".getBytes(StandardCharsets.UTF_8);
        return List.of(
                new Case("empty file", new byte[0], "file is 0 bytes, too short for the 8-byte header length"),
                new Case("five bytes", new byte[5], "file is 5 bytes, too short for the 8-byte header length"),
                new Case("header length beyond the file", file(1000, headerOk, zeros(90)),
                        "header length 1000 runs past the end of the file (100 bytes)"),
                new Case("header length over the limit", file(200_000_000L, headerOk, zeros(0)),
                        "header length 200000000 exceeds the limit of 100000000 bytes"),
                new Case("header length negative as signed", file(-1L, headerOk, zeros(0)),
                        "header length 18446744073709551615 exceeds the limit of 100000000 bytes"),
                new Case("header not UTF-8", file(4, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}, zeros(0)),
                        "header is not valid UTF-8"),
                json("header not an object", "[1, 2]", zeros(0), "header does not start with '{'"),
                json("header with leading space", " {}", zeros(0), "header does not start with '{'"),
                json("trailing comma", "{" + A8 + "[0,8],}}", zeros(8),
                        "bad JSON header: expected a string key but found '}' at character 53"),
                json("missing colon", "{\"a\" {}}", zeros(0),
                        "bad JSON header: expected ':' but found '{' at character 5"),
                json("unterminated string", "{\"a", zeros(0), "bad JSON header: unterminated string at character 3"),
                json("garbage after the object", "{}x", zeros(0),
                        "bad JSON header: unexpected 'x' after the JSON value at character 2"),
                json("NaN in JSON", "{\"a\":NaN}", zeros(0),
                        "bad JSON header: expected a value but found 'N' at character 5"),
                json("duplicate tensor", "{" + A8 + "[0,8]}," + A8 + "[8,16]}}", zeros(16),
                        "bad JSON header: duplicate key \"a\" at character 54"),
                json("unknown dtype", "{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", zeros(8),
                        "tensor 'w': unsupported dtype \"F64\" (supported: F32, F16, BF16, I32, I64)"),
                json("dtype not a string", "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4),
                        "tensor 'w': dtype must be a string, got 4"),
                json("missing shape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", zeros(4),
                        "tensor 'w': missing \"shape\""),
                json("extra key", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"strides\":[1]}}",
                        zeros(4), "tensor 'w': unexpected key \"strides\" (allowed: dtype, shape, data_offsets)"),
                json("entry not an object", "{\"w\":[1,2]}", zeros(0),
                        "tensor 'w': expected an object with dtype, shape and data_offsets, got a list"),
                json("negative dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                        zeros(4), "tensor 'w': shape must hold non-negative integers, got -1"),
                json("fractional dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,4]}}",
                        zeros(4), "tensor 'w': shape must hold non-negative integers, got 2.5"),
                json("huge dimension",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999],\"data_offsets\":[0,4]}}", zeros(4),
                        "tensor 'w': shape dimension 99999999999 is too large"),
                json("three offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", zeros(4),
                        "tensor 'w': data_offsets must be [begin, end], got 3 numbers"),
                json("reversed offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", zeros(4),
                        "tensor 'w': data_offsets [4, 0] end before they begin"),
                json("wrong data size", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}",
                        zeros(20), "tensor 'w': data_offsets [0, 20] hold 20 bytes, but F32 [2, 3] needs 24"),
                json("wrong data size for I64", "{\"w\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,12]}}",
                        zeros(12), "tensor 'w': data_offsets [0, 12] hold 12 bytes, but I64 [3] needs 24"),
                json("truncated data", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}",
                        zeros(16), "tensor 'w': data_offsets [0, 24] run past the end of the data section (16 bytes;"
                                + " is the file truncated?)"),
                json("overlapping tensors", "{" + A8 + "[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
                        + "\"data_offsets\":[4,12]}}", zeros(12),
                        "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]"),
                json("same range twice", "{" + A8 + "[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
                        + "\"data_offsets\":[0,8]}}", zeros(8),
                        "tensor 'b': data_offsets [0, 8] overlap tensor 'a' [0, 8]"),
                json("gap between tensors", "{" + A8 + "[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
                        + "\"data_offsets\":[12,20]}}", zeros(20),
                        "tensor 'b': data_offsets [12, 20] leave bytes 8 to 12 of the data section unused"),
                json("data not starting at zero", "{" + A8 + "[4,12]}}", zeros(12),
                        "tensor 'a': data_offsets [4, 12] leave bytes 0 to 4 of the data section unused"),
                json("trailing bytes", "{" + A8 + "[0,8]}}", zeros(12),
                        "the data section has 12 bytes, but the tensors cover only 8"),
                json("metadata not an object", "{\"__metadata__\":[\"x\"]}", zeros(0),
                        "__metadata__ must be an object of strings, got a list"),
                json("metadata value not a string", "{\"__metadata__\":{\"epoch\":3}}", zeros(0),
                        "__metadata__ value for \"epoch\" must be a string, got 3"),
                json("I64 beyond int", "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}",
                        longs(7, 1L << 32), "tensor 'ids': I64 element 1 is 4294967296, which does not fit in a"
                                + " 32-bit int"),
                json("trailing bytes after a valid tensor", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                        + "\"data_offsets\":[0,4]}}", floats(1f, 2f),
                        "the data section has 8 bytes, but the tensors cover only 4"));
    }

    @TestFactory
    Stream<DynamicTest> everyCorruptionHasItsExactMessage() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path path = dir.resolve(c.name().replace(' ', '-') + ".safetensors");
            Files.write(path, c.bytes());
            SafeTensorsException error = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(path));
            String expected = path + ": " + c.expectedProblem();
            assertEquals(expected, error.getMessage());
            assertFalse(error.getMessage().contains("\n"));
            if (!c.name().equals("I64 beyond int")) {
                SafeTensorsException headerError = assertThrows(SafeTensorsException.class,
                        () -> SafeTensors.readHeader(path));
                assertEquals(expected, headerError.getMessage(), "readHeader checks the same");
            }
        }));
    }

    @Test
    void controlCharactersInNamesAreEscapedInMessages() throws IOException {
        Path path = dir.resolve("control.safetensors");
        Files.write(path, file("{\"a\\nb\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", zeros(8)));
        SafeTensorsException error = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(path));
        assertEquals(path + ": tensor 'a\\u000ab': data_offsets [0, 8] hold 8 bytes, but F32 [1] needs 4",
                error.getMessage());
        assertEquals("a\nb", error.tensor());
    }

    @Test
    void everyTruncationOfAGoodFileIsAnError() throws IOException {
        Path good = dir.resolve("good.safetensors");
        SafeTensors.write(good, java.util.Map.of("w", Tensor.ofFloats(new int[] {3}, new float[] {1, 2, 3})));
        byte[] bytes = Files.readAllBytes(good);
        for (int length = 0; length < bytes.length; length++) {
            Path cut = dir.resolve("cut.safetensors");
            Files.write(cut, Arrays.copyOf(bytes, length));
            assertThrows(SafeTensorsException.class, () -> SafeTensors.read(cut), "truncated to " + length);
        }
        assertEquals(3, SafeTensors.read(good).get("w").size());
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = dir.resolve("missing.safetensors");
        SafeTensorsException error = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(missing));
        assertEquals(missing + ": cannot read: no such file", error.getMessage());
        SafeTensorsException directory = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(dir));
        assertEquals(dir + ": cannot read: it is a directory, not a regular file", directory.getMessage());
    }

    @Test
    void deeplyNestedJsonIsRefused() throws IOException {
        Path path = dir.resolve("deep.safetensors");
        String header = "{\"__metadata__\":" + "[".repeat(100) + "]".repeat(100) + "}";
        Files.write(path, file(header, zeros(0)));
        SafeTensorsException error = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(path));
        assertEquals(path + ": bad JSON header: nesting deeper than 64 at character 79", error.getMessage());
    }
}
