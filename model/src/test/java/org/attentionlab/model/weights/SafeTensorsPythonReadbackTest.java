package org.attentionlab.model.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written by {@link SafeTensors#write} read in PyTorch (scripts/goldens/_read_safetensors.py, which parses the
 * format by hand). Skipped where /usr/bin/python3 with torch is not installed.
 */
class SafeTensorsPythonReadbackTest {

    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SCRIPT = Path.of("..", "scripts", "goldens", "_read_safetensors.py");

    @TempDir
    Path dir;

    @Test
    void pytorchReadsWhatJavaWrote() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(PYTHON), "no /usr/bin/python3");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("layers.0.mlp.weight", Tensor.ofFloats(new int[] {2, 3},
                new float[] {1f, -0f, Float.NaN, Float.NEGATIVE_INFINITY, 1e-40f, 3.4e38f}));
        tensors.put("scalar", Tensor.ofFloats(new int[0], new float[] {0.25f}));
        tensors.put("empty", Tensor.ofFloats(new int[] {3, 0}, new float[0]));
        tensors.put("ids", Tensor.ofInts(new int[] {4}, new int[] {0, -7, Integer.MAX_VALUE, Integer.MIN_VALUE}));
        Path file = dir.resolve("java.safetensors");
        SafeTensors.write(file, tensors, Map.of("written_by", "java"));

        Path errors = dir.resolve("stderr.txt");
        Process process = new ProcessBuilder(PYTHON.toString(), SCRIPT.toString(), file.toString())
                .redirectError(errors.toFile()).start();
        byte[] output = process.getInputStream().readAllBytes();
        assertEquals(true, process.waitFor(120, TimeUnit.SECONDS));
        assumeTrue(process.exitValue() != 3, "PyTorch is not installed for /usr/bin/python3");
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), text + Files.readString(errors));

        List<String> expected = new ArrayList<>();
        for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
            Tensor tensor = entry.getValue();
            StringBuilder line = new StringBuilder(entry.getKey()).append(' ')
                    .append(tensor.isFloatingPoint() ? "F32" : "I32").append(' ');
            List<String> dims = new ArrayList<>();
            for (int dim : tensor.shape()) {
                dims.add(Integer.toString(dim));
            }
            line.append(dims.isEmpty() ? "-" : String.join(",", dims));
            if (tensor.isFloatingPoint()) {
                for (float value : tensor.floats()) {
                    line.append(' ').append(String.format("%08x", Float.floatToRawIntBits(value)));
                }
            } else {
                for (int value : tensor.ints()) {
                    line.append(' ').append(value);
                }
            }
            expected.add(line.toString());
        }
        assertEquals(expected, text.lines().toList());
    }
}
