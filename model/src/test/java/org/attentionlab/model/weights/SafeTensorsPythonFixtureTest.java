package org.attentionlab.model.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reads the file that scripts/goldens/make_safetensors_fixture.py wrote with PyTorch, and compares with the values
 * PyTorch itself computed (python-fixture.expected.txt).
 */
class SafeTensorsPythonFixtureTest {

    private static final Path DIR = Path.of("src", "test", "resources", "weights");

    @Test
    void readsWhatPyTorchWrote() throws IOException {
        Map<String, Tensor> tensors = SafeTensors.read(DIR.resolve("python-fixture.safetensors"));
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(DIR.resolve("python-fixture.expected.txt"))) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] fields = line.split(" ");
            String name = fields[0];
            names.add(name);
            Tensor tensor = tensors.get(name);
            assertEquals(DType.valueOf(fields[1]), tensor.dtype(), name);
            int[] shape = fields[2].equals("-") ? new int[0]
                    : Arrays.stream(fields[2].split(",")).mapToInt(Integer::parseInt).toArray();
            assertArrayEquals(shape, tensor.shape(), name);
            String[] values = Arrays.copyOfRange(fields, 3, fields.length);
            if (tensor.isFloatingPoint()) {
                int[] expectedBits = Arrays.stream(values).mapToInt(hex -> Integer.parseUnsignedInt(hex, 16)).toArray();
                float[] floats = tensor.floats();
                int[] actualBits = new int[floats.length];
                for (int i = 0; i < floats.length; i++) {
                    actualBits[i] = Float.floatToRawIntBits(floats[i]);
                }
                assertArrayEquals(expectedBits, actualBits, name);
            } else {
                int[] expected = Arrays.stream(values).mapToInt(Integer::parseInt).toArray();
                assertArrayEquals(expected, tensor.ints(), name);
            }
        }
        assertEquals(names, new ArrayList<>(tensors.keySet()), "tensors come back in header order");
        assertEquals(6, names.size());
    }

    @Test
    void metadataAndHeaderOnly() throws IOException {
        Path file = DIR.resolve("python-fixture.safetensors");
        assertEquals(Map.of("format", "pt", "writer", "scripts/goldens/make_safetensors_fixture.py"),
                SafeTensors.readMetadata(file));
        SafeTensors.Header header = SafeTensors.readHeader(file);
        SafeTensors.TensorInfo embed = header.tensors().get("embed.weight");
        assertEquals(DType.F32, embed.dtype());
        assertArrayEquals(new int[] {2, 3}, embed.shape());
        assertEquals(24, embed.end() - embed.begin());
        assertEquals(0, header.dataStart() % 8, "the writer pads the header to 8 bytes");
        assertEquals(0, header.tensors().get("token_ids").begin(), "I64 data comes first in the file");
    }
}
