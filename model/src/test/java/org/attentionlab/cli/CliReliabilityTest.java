package org.attentionlab.cli;

import static org.attentionlab.cli.CliTest.CONFIGS;
import static org.attentionlab.cli.CliTest.assertInputError;
import static org.attentionlab.cli.CliTest.number;
import static org.attentionlab.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.attentionlab.cli.CliTest.Result;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.io.FileKind;
import org.attentionlab.model.io.SpecialFiles;
import org.attentionlab.model.weights.Parameters;
import org.attentionlab.model.weights.SafeTensors;
import org.attentionlab.model.weights.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against hostile or unlucky input: output paths, sizes that overflow or do not fit, values that are not
 * finite, small usability promises. Every refusal is one line; exit 2 for input, 1 for a run that went wrong.
 */
class CliReliabilityTest {

    static final String RNOPE = CONFIGS.resolve("rnope-swa.yaml").toString();
    static final String[] QUICK = { "--seq-len", "4", "--iterations", "1", "--warmup", "0" };

    @TempDir
    Path dir;

    static String[] args(String... first) {
        return Stream.concat(Arrays.stream(first), Arrays.stream(QUICK)).toArray(String[]::new);
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ------------------------------------------------------------------------------------------- output paths

    @Test
    void everyOutputPathIsCheckedBeforeTheModelIsBuilt() {
        Path missing = dir.resolve("no-such-folder").resolve("out.safetensors");
        for (String option : List.of("--output", "--save-weights", "--save-input")) {
            // a config that does not exist shows the output was refused first: the config was never read
            assertInputError(run(args("no-such-config.yaml", option, missing.toString())), option + " " + missing,
                    "the folder " + missing.getParent() + " does not exist");
        }
        assertInputError(run(args(RNOPE, "--output", dir.toString())), "--output " + dir, "it is a directory");
    }

    @Test
    void twoOutputsNamingOneFileAreRefused() throws IOException {
        Path out = dir.resolve("same.safetensors");
        Path link = Files.createSymbolicLink(dir.resolve("alias.safetensors"), out);
        assertInputError(run(args(RNOPE, "--output", out.toString(), "--save-input", link.toString())),
                "--output and --save-input both write " + dir.toRealPath().resolve("same.safetensors"));
    }

    @Test
    void aDeviceNodeAsOutputStaysADeviceAndALinkToItToo() throws Exception {
        Path node = SpecialFiles.characterDevice(dir.resolve("null"), 1, 3);
        Path link = Files.createSymbolicLink(dir.resolve("out.safetensors"), node);
        assertInputError(run(args(RNOPE, "--output", node.toString())), "it is a character device");
        assertInputError(run(args(RNOPE, "--save-weights", link.toString())), "it is a character device");
        assertEquals(FileKind.CHARACTER_DEVICE, FileKind.of(node));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(List.of("null", "out.safetensors"), listing());
    }

    @Test
    void aFifoAsOutputIsRefusedAndStaysAFifo() throws Exception {
        Path fifo = SpecialFiles.fifo(dir.resolve("pipe"));
        assertInputError(run(args(RNOPE, "--output", fifo.toString())), "it is a FIFO");
        assertEquals(FileKind.FIFO, FileKind.of(fifo));
    }

    @Test
    void outputsAreWrittenThroughLinksAndKeepTheirMode() throws IOException {
        Path target = dir.resolve("kept.safetensors");
        Files.writeString(target, "old");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
        Path link = Files.createSymbolicLink(dir.resolve("link.safetensors"), target);
        Result r = run(args(RNOPE, "--output", link.toString()));
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        assertEquals(List.of(1, 256), Arrays.stream(SafeTensors.read(target).get("output").shape()).boxed().toList());
    }

    // ------------------------------------------------------------------------------------------- sizes

    @Test
    void sizesThatOverflowAreRefusedWithWhatToReduce() {
        assertInputError(run(RNOPE, "--seq-len", "1000000000"), "the input [1, 1000000000, 256] has 256,000,000,000 elements",
                "reduce --seq-len or --batch");
        assertInputError(run(RNOPE, "--batch", "65536", "--seq-len", "65536"), "4,294,967,296 positions", "reduce --seq-len or --batch");
        assertInputError(run("describe", RNOPE, "--seq-len", "100000000"), "the input [1, 100000000, 256]", "reduce --seq-len or --batch");
        assertInputError(run(RNOPE, "--seq-len", "3000000"), "layer 0 'block 0", "reduce --seq-len or --batch");
        assertInputError(run(RNOPE, "--seq-len", "200000", "--set", "sliding_window=20000"), "the attention scratch of layer 0",
                "use attention_algorithm=flash or memory_efficient");
    }

    @Test
    void aRunThatCannotFitTheHeapIsRefusedBeforeItAllocates() {
        // rnope-swa with flash holds (3 * 256 + 2 * 256 + 2 * 256 + 1024) floats per position in each of its 6 layers:
        // twice the heap in activations alone, while each layer stays under the int-indexed arrays' limit
        long perPosition = 4L * 2816 * 6;
        long positions = 2 * Runtime.getRuntime().maxMemory() / perPosition;
        assumeTrue(positions * 2816 < Integer.MAX_VALUE, "the heap is too large to pass with int-sized layers");
        Result r = run(RNOPE, "--seq-len", Long.toString(positions), "--set", "attention_algorithm=flash");
        assertInputError(r, "out of memory for batch 1 x seq " + positions, "but the heap holds at most", "ATTENTION_LAB_JAVA_OPTS=-Xmx");
    }

    @Test
    void aParameterTooLargeForOneArrayIsRefusedByName() {
        assertInputError(run(args(CONFIGS.resolve("ape.yaml").toString(), "--set", "vocab_size=16777216", "--set", "hidden_size=256")),
                "parameter ", "has more than 2147483647 elements");
    }

    // ------------------------------------------------------------------------------------------- values

    private Path weightsOf(String config, float value, int poisonAt) throws IOException {
        Model model = Model.build(ConfigLoader.load(Path.of(config)));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        int i = 0;
        for (Parameters.Parameter p : model.parameters().all()) {
            float[] values = p.data().toHeapArray();
            if (i++ == poisonAt) {
                Arrays.fill(values, value);
            }
            tensors.put(p.name(), Tensor.ofFloats(p.shape(), values));
        }
        Path file = dir.resolve("w-" + poisonAt + ".safetensors");
        SafeTensors.write(file, tensors);
        return file;
    }

    @Test
    void nonFiniteWeightsAndInputAreRefusedByTensorUnlessAllowed() throws IOException {
        Path weights = weightsOf(RNOPE, Float.NaN, 3);
        Model model = Model.build(ConfigLoader.load(Path.of(RNOPE)));
        String poisoned = model.parameters().all().get(3).name();
        assertInputError(run(args(RNOPE, "--weights", weights.toString())), "tensor '" + poisoned + "': element 0 is NaN",
                "--allow-nonfinite");
        Path input = dir.resolve("in.safetensors");
        float[] x = new float[2 * 256];
        x[300] = Float.NEGATIVE_INFINITY;
        SafeTensors.write(input, Map.of("input", Tensor.ofFloats(new int[] { 1, 2, 256 }, x)));
        assertInputError(run(RNOPE, "--input", input.toString(), "--iterations", "1", "--warmup", "0"), "tensor 'input': element 300 is -Infinity");

        Result allowed = run(args(RNOPE, "--weights", weights.toString(), "--allow-nonfinite", "--json"));
        assertEquals(0, allowed.exit(), allowed.err());
        assertTrue(allowed.out().contains("\"checksum\": null"), allowed.out());
    }

    @Test
    void anOutputThatIsNotFiniteIsAFailedRun() throws IOException {
        Path huge = weightsOf(RNOPE, 3e38f, 2); // finite weights whose products overflow
        Path out = dir.resolve("out.safetensors");
        Result r = run(args(RNOPE, "--weights", huge.toString(), "--output", out.toString()));
        assertEquals(1, r.exit(), r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n") || err.contains("Exception"), err);
        assertTrue(err.startsWith("error: the output is not finite: element "), err);
        assertFalse(Files.exists(out), "a failed run writes no output");
    }

    // ------------------------------------------------------------------------------------------- save-input

    @Test
    void saveInputWritesTheSyntheticInputThatReproducesTheRun() throws IOException {
        Path weights = dir.resolve("w.safetensors");
        Path input = dir.resolve("in.safetensors");
        Path output = dir.resolve("out.safetensors");
        Result first = run(RNOPE, "--json", "--seq-len", "6", "--batch", "2", "--seed", "7", "--iterations", "1", "--warmup", "0", "--save-weights",
                weights.toString(), "--save-input", input.toString(), "--output", output.toString());
        assertEquals(0, first.exit(), first.err());
        Tensor saved = SafeTensors.read(input).get("input");
        assertArrayEquals(new int[] { 2, 6, 256 }, saved.shape());
        Result again = run(RNOPE, "--json", "--weights", weights.toString(), "--input", input.toString(), "--iterations", "1", "--warmup", "0");
        assertEquals(0, again.exit(), again.err());
        assertEquals(number(first.out(), "checksum"), number(again.out(), "checksum"), 0.0);

        Path ids = dir.resolve("ids.safetensors");
        Result tokens = run(CONFIGS.resolve("ape.yaml").toString(), "--seq-len", "5", "--iterations", "1", "--warmup", "0", "--save-input", ids.toString());
        assertEquals(0, tokens.exit(), tokens.err());
        Tensor tokenIds = SafeTensors.read(ids).get("input");
        assertArrayEquals(new int[] { 1, 5 }, tokenIds.shape());
        assertFalse(tokenIds.isFloatingPoint());
    }

    // ------------------------------------------------------------------------------------------- small promises

    @Test
    void everySubcommandPrintsTheVersion() {
        for (String command : List.of("forward", "describe", "devices")) {
            Result r = run(command, "-V");
            assertEquals(0, r.exit(), r.err());
            assertEquals(Main.VERSION, r.out().strip(), command);
        }
    }

    @Test
    void everySubcommandAcceptsTheVerboseItsErrorsSuggest() {
        assertEquals(0, run("describe", RNOPE, "--verbose").exit());
        assertEquals(0, run("devices", "--verbose").exit());
    }

    @Test
    void aMalformedTornadoDeviceIsCalledMalformed() {
        assertInputError(run(args(RNOPE, "--device", "tornado:0:0:0")), "malformed device 'tornado:0:0:0'");
        assertInputError(run(args(RNOPE, "--device", "tornado:99999999999:0")), "malformed device");
    }

    @Test
    void aMissingInputTensorListsAFewNamesAndHowMany() throws IOException {
        Path weights = weightsOf(RNOPE, 0f, -1);
        Result r = run(args(RNOPE, "--input", weights.toString()));
        assertInputError(r, "no tensor named 'input' (it holds 98 tensors: ", " and 95 more)");
        assertTrue(r.err().length() < 300, r.err());
    }

    @Test
    void progressGoesToStderrOnlyAndNeverIntoJson() {
        Result r = run(args(RNOPE, "--json", "--progress"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().strip().startsWith("{") && !r.out().strip().contains("\n"), r.out());
        assertTrue(r.err().contains("progress: building the model"), r.err());
        assertTrue(r.err().contains("progress: timed run 1 of 1"), r.err());
        Result quiet = run(args(RNOPE));
        assertEquals("", quiet.err(), "no progress where stderr is not a terminal unless asked");
    }
}
