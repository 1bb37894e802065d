package org.attentionlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.attentionlab.model.ExampleConfigs;
import org.attentionlab.model.weights.SafeTensors;
import org.attentionlab.model.weights.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The CLI as a user runs it (in process): outputs, options, and one-line errors with exit code 2. */
class CliTest {

    static final Path CONFIGS = Path.of("..", "configs");

    record Result(int exit, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(exit, out.toString(), err.toString());
    }

    static Stream<Path> exampleConfigs() {
        return ExampleConfigs.examples().stream();
    }

    @ParameterizedTest
    @MethodSource("exampleConfigs")
    void everyExampleConfigRuns(Path config) {
        Result r = run(config.toString(), "--seq-len", "9", "--batch", "2", "--iterations", "1", "--warmup", "0");
        assertEquals(0, r.exit(), r.err());
        for (String line : List.of("config ", "device ", "parameters ", "output ", "checksum ", "latency ", "throughput ", "peak heap ")) {
            assertTrue(r.out().contains(line), "missing '" + line.strip() + "' in:\n" + r.out());
        }
        assertFalse(r.out().contains("NaN"), r.out());
    }

    static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (-?[0-9.Ee+-]+)").matcher(json);
        assertTrue(m.find(), key + " missing in " + json);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void jsonHasTheAdvertisedFields() {
        Result r = run(CONFIGS.resolve("rnope-swa.yaml").toString(), "--json", "--seq-len", "16", "--batch", "3", "--iterations", "2", "--warmup", "1");
        assertEquals(0, r.exit(), r.err());
        String json = r.out().strip();
        assertTrue(json.startsWith("{") && json.endsWith("}") && !json.contains("\n"), json);
        assertTrue(json.contains("\"output_shape\": [3, 256]"), json);
        assertTrue(json.contains("\"device\": \"jvm\""), json);
        for (String key : List.of("checksum", "median", "p90", "tokens_per_s", "peak_heap_mb", "parameters")) {
            assertTrue(Double.isFinite(number(json, key)), key);
        }
        assertTrue(number(json, "p90") >= number(json, "median"));
    }

    @Test
    void runsAreDeterministicAndTheSeedMatters() {
        String config = CONFIGS.resolve("multihead-sliding-window.yaml").toString();
        double a = number(run(config, "--json", "--seq-len", "12", "--iterations", "1", "--warmup", "0").out(), "checksum");
        double b = number(run(config, "--json", "--seq-len", "12", "--iterations", "1", "--warmup", "0").out(), "checksum");
        double c = number(run(config, "--json", "--seq-len", "12", "--iterations", "1", "--warmup", "0", "--seed", "5").out(), "checksum");
        assertEquals(a, b, 0.0);
        assertTrue(a != c);
    }

    @Test
    void savedWeightsAndInputReproduceTheRun(@TempDir Path dir) throws IOException {
        String config = CONFIGS.resolve("rnope-swa.yaml").toString();
        Path weights = dir.resolve("w.safetensors");
        Path output = dir.resolve("out.safetensors");
        Result first = run(config, "--json", "--seq-len", "10", "--iterations", "1", "--warmup", "0", "--save-weights", weights.toString(), "--output",
                output.toString());
        assertEquals(0, first.exit(), first.err());
        Map<String, Tensor> saved = SafeTensors.read(weights);
        assertTrue(saved.containsKey("layers.0.attn.q_proj.weight") && saved.containsKey("final_norm.bias"), saved.keySet().toString());
        assertEquals(List.of(256, 256), List.of(saved.get("layers.5.attn.o_proj.weight").shape()[0], saved.get("layers.5.attn.o_proj.weight").shape()[1]));
        Tensor out = SafeTensors.read(output).get("output");
        double weighted = 0;
        float[] values = out.floats();
        for (int i = 0; i < values.length; i++) {
            weighted += values[i] * (1.0 + (i % 7) / 7.0);
        }
        assertEquals(number(first.out(), "checksum"), weighted, 1e-9);

        // the same weights loaded into a model with another init seed give the same output
        Result second = run(config, "--json", "--seq-len", "10", "--iterations", "1", "--warmup", "0", "--weights", weights.toString(), "--set", "seed=99");
        assertEquals(0, second.exit(), second.err());
        assertEquals(number(first.out(), "checksum"), number(second.out(), "checksum"), 0.0);
        Result reseeded = run(config, "--json", "--seq-len", "10", "--iterations", "1", "--warmup", "0", "--set", "seed=99");
        assertTrue(number(first.out(), "checksum") != number(reseeded.out(), "checksum"));
    }

    @Test
    void describeShowsLayersParametersFlopsAndMemory() {
        Result r = run("describe", CONFIGS.resolve("rnope-swa-hybrid.yaml").toString(), "--seq-len", "8192");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("full_attention"), r.out());
        assertTrue(r.out().contains("sliding_attention"), r.out());
        for (String line : List.of("parameters", "FLOPs per token", "memory estimate", "output_size")) {
            assertTrue(r.out().contains(line), line + " missing:\n" + r.out());
        }
    }

    @Test
    void describeResolvedPrintsTheResolvedConfigAsOneJsonObject() throws Exception {
        Path ablation = CONFIGS.resolve("ablations/rnope-swa-rope.yaml");
        Result r = run("describe", ablation.toString(), "--resolved", "--set", "num_hidden_layers=2");
        assertEquals(0, r.exit(), r.err());
        assertEquals(1, r.out().strip().lines().count(), r.out());
        assertEquals(org.attentionlab.model.weights.Json.write(org.attentionlab.model.config.ResolvedConfig.of(
                org.attentionlab.model.config.ConfigLoader.load(ablation, List.of("num_hidden_layers=2")))), r.out().strip());
        assertTrue(r.out().startsWith("{\"format\": \"attention-lab resolved config 1\""), r.out());
        assertTrue(r.out().contains("\"num_hidden_layers\": 2,") && r.out().contains("\"rope\": {\"theta\": 10000.0, \"pairing\": \"neox\"}"), r.out());
    }

    @Test
    void devicesListsTheJvm() {
        Result r = run("devices");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("jvm"), r.out());
    }

    static void assertInputError(Result r, String... fragments) {
        assertEquals(2, r.exit(), "exit code; stderr: " + r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line expected:\n" + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace expected:\n" + err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "'" + f + "' missing in: " + err);
        }
    }

    @Test
    void badInputsGetOneLineAndExitCode2(@TempDir Path dir) throws IOException {
        String config = CONFIGS.resolve("rnope-swa.yaml").toString();
        assertInputError(run("no/such/config.yaml"), "no/such/config.yaml");
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, "architecture: rnope_swa\nembed_dim: [1,\n");
        assertInputError(run(broken.toString()), "broken.yaml:");
        Path typo = dir.resolve("typo.yaml");
        Files.writeString(typo, "architecture: rnope_swa\nembed_dim: 8\nslidng_window: 4\n");
        assertInputError(run(typo.toString()), "typo.yaml:3:1", "slidng_window", "did you mean sliding_window");
        assertInputError(run(config, "--no-such-option"), "--no-such-option");
        assertInputError(run(config, "--device", "gpu"), "unknown device 'gpu'");
        assertInputError(run(config, "--device", "tornado:0:0"), "TornadoVM");
        assertInputError(run(config, "--batch", "0"), "--batch");
        assertInputError(run(config, "--set", "slidng_window=3"), "--set slidng_window=3", "did you mean sliding_window");
        assertInputError(run(config, "--weights", dir.resolve("missing.safetensors").toString()), "missing.safetensors");
        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, new byte[] { 8, 0, 0, 0, 0, 0, 0, 0, '{', '}' });
        assertInputError(run(config, "--weights", truncated.toString()), "truncated.safetensors");
    }

    @Test
    void weightsOfAnotherModelAreRejectedWithEveryMismatch(@TempDir Path dir) {
        Path weights = dir.resolve("small.safetensors");
        Result save = run(CONFIGS.resolve("rnope-swa.yaml").toString(), "--set", "num_hidden_layers=1", "--set", "hidden_size=128", "--seq-len", "4",
                "--iterations", "1", "--warmup", "0", "--save-weights", weights.toString());
        assertEquals(0, save.exit(), save.err());
        assertInputError(run(CONFIGS.resolve("rnope-swa.yaml").toString(), "--weights", weights.toString()), "small.safetensors",
                "80 missing: layers.1.attn_norm.weight [256]", "17 with another shape: layers.0.attn_norm.weight has shape [128], expected [256]",
                "2 unexpected: input_proj.weight, input_proj.bias");
    }

    @Test
    void aBadInputFileLeavesNoOutputBehind(@TempDir Path dir) throws IOException {
        Path input = dir.resolve("in.safetensors");
        SafeTensors.write(input, Map.of("input", Tensor.ofFloats(new int[] { 1, 4, 7 }, new float[28])));
        Path output = dir.resolve("out.safetensors");
        assertInputError(run(CONFIGS.resolve("rnope-swa.yaml").toString(), "--input", input.toString(), "--output", output.toString()),
                "expected floats [batch, seq, 256]");
        assertFalse(Files.exists(output));
    }

    @Test
    void aGivenInputDecidesTheShape(@TempDir Path dir) throws IOException {
        Path input = dir.resolve("in.safetensors");
        float[] x = new float[2 * 5 * 256];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        SafeTensors.write(input, Map.of("input", Tensor.ofFloats(new int[] { 2, 5, 256 }, x)));
        Result r = run(CONFIGS.resolve("rnope-swa.yaml").toString(), "--json", "--input", input.toString(), "--iterations", "1", "--warmup", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("\"batch\": 2") && r.out().contains("\"seq_len\": 5"), r.out());
    }

    @Test
    void tokenIdInputsForTheApeModel(@TempDir Path dir) throws IOException {
        String config = CONFIGS.resolve("ape.yaml").toString();
        Path ids = dir.resolve("ids.safetensors");
        SafeTensors.write(ids, Map.of("input", Tensor.ofInts(new int[] { 2, 3 }, new int[] { 1, 2, 3, 99, 0, 7 })));
        Result r = run(config, "--json", "--input", ids.toString(), "--iterations", "1", "--warmup", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("\"output_shape\": [2, 3, 64]"), r.out());
        Path outOfVocabulary = dir.resolve("oov.safetensors");
        SafeTensors.write(outOfVocabulary, Map.of("input", Tensor.ofInts(new int[] { 1, 2 }, new int[] { 5, 100 })));
        assertInputError(run(config, "--input", outOfVocabulary.toString()), "oov.safetensors", "token id 100 is outside the vocabulary [0, 100)");
        assertInputError(run(CONFIGS.resolve("rnope-swa.yaml").toString(), "--input", ids.toString()), "expected floats [batch, seq, 256]");
    }
}
