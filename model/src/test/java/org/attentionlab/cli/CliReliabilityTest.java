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
    void anOutputNeverReplacesTheConfigOrAFileTheRunReadsAsSomethingElse() throws IOException {
        Path config = dir.resolve("own.yaml");
        Files.writeString(config, "architecture: rnope_swa\nembed_dim: 16\nnum_attention_heads: 2\n");
        Path weights = dir.resolve("w.safetensors");
        assertEquals(0, run(args(config.toString(), "--save-weights", weights.toString())).exit());
        byte[] saved = Files.readAllBytes(weights);
        assertInputError(run(args(config.toString(), "--output", config.toString())), "--output " + config, "it is the config of this run");
        assertInputError(run(args(config.toString(), "--weights", weights.toString(), "--save-input", weights.toString())),
                "--save-input " + weights, "it is --weights of this run");
        assertTrue(Files.readString(config).startsWith("architecture: rnope_swa"));
        assertArrayEquals(saved, Files.readAllBytes(weights));
        Result back = run(args(config.toString(), "--weights", weights.toString(), "--save-weights", weights.toString()));
        assertEquals(0, back.exit(), "weights written back where they were read: " + back.err());
        assertArrayEquals(saved, Files.readAllBytes(weights));
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
        assertInputError(run(RNOPE, "--seq-len", "3000000"), "layer 0 'block 0", "its buffer 'ffn_hidden' needs 3,072,000,000 elements",
                "reduce --seq-len or --batch");
        // 4 heads x 200,000 queries x 20,000 keys of the standard kernel's scratch
        assertInputError(run(RNOPE, "--seq-len", "200000", "--set", "sliding_window=20000"), "layer 0 'block 0",
                "its buffer 'scores' needs 16,000,000,000 elements", "use attention_algorithm=flash or memory_efficient");
        assertInputError(run("describe", RNOPE, "--seq-len", "200000", "--set", "sliding_window=20000"), "its buffer 'scores' needs 16,000,000,000");
    }

    /** embed_dim = hidden_size 8192, 16 pre-norm layers with an FFN of 32768: 51 GB of weights. */
    static String bigModel(Path dir) throws IOException {
        Path big = dir.resolve("big.yaml");
        Files.writeString(big, "architecture: rnope_swa\nembed_dim: 8192\nhidden_size: 8192\nnum_hidden_layers: 16\nintermediate_size: 32768\n"
                + "num_attention_heads: 64\n");
        return big.toString();
    }

    @Test
    void describeAllocatesNoWeights() throws IOException {
        Result r = run("describe", bigModel(dir), "--json");
        assertEquals(0, r.exit(), r.err());
        long h = 8192;
        long f = 32768;
        long perLayer = 2 * h + 4 * (h * h + h) + 2 * h + (h * f + f) + (f * h + h);
        assertEquals(16 * perLayer + 2 * h, (long) number(r.out(), "parameters"), r.out());
        assertEquals(4.0 * (16 * perLayer + 2 * h), number(r.out(), "weight_bytes"), r.out());
        assertTrue(number(r.out(), "jvm_heap_bytes") > 2 * number(r.out(), "weight_bytes"), "host and simulated device copies: " + r.out());
        assertTrue(number(r.out(), "device_bytes") > number(r.out(), "weight_bytes"), r.out());
    }

    @Test
    void describeRefusesWhatARunRefuses() {
        assertInputError(run("describe", RNOPE, "--set", "global_tokens=[100]", "--seq-len", "10"), "global_tokens: position 100 is outside a sequence of 10");
    }

    @Test
    void aModelWhoseWeightsCannotFitIsRefusedBeforeItIsBuilt() throws IOException {
        assertInputError(run(args(bigModel(dir))), "out of memory: the weights alone need about ", "but the heap holds at most",
                "make the model smaller", "scripts/run describe ");
    }

    @Test
    void aRunThatCannotFitTheHeapIsRefusedBeforeItAllocates() {
        // rnope-swa with flash holds (256 + 3 * 256 + 256 + 1024) floats per position in buffers its 6 layers share,
        // once on the host and once on the (simulated) device: twice the heap in activations alone, while each buffer
        // stays under the int-indexed arrays' limit
        long perPosition = 4L * 2304 * 2;
        long positions = 2 * Runtime.getRuntime().maxMemory() / perPosition;
        assumeTrue(positions * 1024 < Integer.MAX_VALUE, "the heap is too large to pass with int-sized buffers");
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
    void devicesChecksOneDevice() {
        Result jvm = run("devices", "--device", "jvm");
        assertEquals(0, jvm.exit(), jvm.err());
        assertTrue(jvm.out().startsWith("jvm ") && jvm.out().strip().lines().count() == 1, jvm.out());
        assertInputError(run("devices", "--device", "gpu"), "unknown device 'gpu'");
        assertInputError(run("devices", "--device", "tornado:0:0:0"), "malformed device 'tornado:0:0:0'");
        assertInputError(run("devices", "--device", "tornado:0:0"), "needs a TornadoVM SDK");
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
