package org.attentionlab.cli;

import static org.attentionlab.cli.CliTest.assertInputError;
import static org.attentionlab.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.attentionlab.cli.CliTest.Result;
import org.attentionlab.model.PyTorchTwinsTest;
import org.attentionlab.model.weights.SafeTensors;
import org.attentionlab.model.weights.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Hugging Face checkpoint directory wherever a config goes, and export-hf, as a user runs them. */
class HuggingFaceCliTest {

    @TempDir
    Path tmp;

    static Path checkpoint(String name) {
        try {
            return Path.of(HuggingFaceCliTest.class.getResource("/hf-checkpoints/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aCheckpointDirectoryRunsWithItsOwnWeights() throws IOException {
        Path out = tmp.resolve("out.safetensors");
        Result r = run(checkpoint("mistral").toString(), "--input", checkpoint("mistral.io.safetensors").toString(), "--output", out.toString(),
                "--iterations", "1", "--warmup", "0", "--set", "attention_algorithm=flash");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("rnope_swa: vocab 50 -> hidden 32, 8 layers (8 sliding W=8)"), r.out());
        Map<String, Tensor> io = SafeTensors.read(checkpoint("mistral.io.safetensors"));
        PyTorchTwinsTest.assertClose(SafeTensors.read(out).get("output").floats(), io.get("output").floats(), "scripts/run on the mistral checkpoint");
    }

    @Test
    void describeReadsACheckpointDirectory() {
        Result r = run("describe", checkpoint("cohere2").toString(), "--resolved");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("\"architecture\": \"rnope_swa_hybrid\"") && r.out().contains("\"rope_pairing\": \"gptj\""), r.out());
        assertTrue(r.out().contains("\"source\": \"" + checkpoint("cohere2").resolve("config.json") + "\""), r.out());
    }

    @Test
    void anExportedCheckpointRunsAsTheConfigItCameFrom() throws IOException {
        Path config = PyTorchTwinsTest.resource("cohere2.yaml");
        Path exported = tmp.resolve("exported");
        Result written = run("export-hf", config.toString(), "--out", exported.toString());
        assertEquals(0, written.exit(), written.err());
        assertEquals("wrote " + exported + ": Hugging Face cohere2 (Cohere2ForCausalLM), 66 tensors, 63,328 parameters, from the seeded initialisation"
                + " (seed 0)\n", written.out());
        assertEquals(List.of("config.json", "model.safetensors"), Files.list(exported).map(p -> p.getFileName().toString()).sorted().toList());
        List<String> quick = List.of("--seq-len", "20", "--iterations", "1", "--warmup", "0", "--json");
        double fromYaml = CliTest.number(run(concat(config.toString(), quick)).out(), "checksum");
        double fromCheckpoint = CliTest.number(run(concat(exported.toString(), quick)).out(), "checksum");
        assertEquals(fromYaml, fromCheckpoint, "the same weights, the same model");

        Path weights = tmp.resolve("w.safetensors");
        assertEquals(0, run(config.toString(), "--set", "seed=5", "--save-weights", weights.toString(), "--iterations", "1", "--warmup", "0").exit());
        Path fromWeights = tmp.resolve("from-weights");
        Result again = run("export-hf", config.toString(), "--weights", weights.toString(), "--out", fromWeights.toString());
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().endsWith("from " + weights + "\n"), again.out());
        double seeded = CliTest.number(run(concat(config.toString(), List.of("--set", "seed=5", "--seq-len", "20", "--iterations", "1", "--warmup", "0",
                "--json"))).out(), "checksum");
        assertEquals(seeded, CliTest.number(run(concat(fromWeights.toString(), quick)).out(), "checksum"));
    }

    private static String[] concat(String first, List<String> rest) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(first), rest.stream()).toArray(String[]::new);
    }

    @Test
    void mistakesAreOneLineAndLeaveNothing() throws IOException {
        Path out = tmp.resolve("never");
        assertInputError(run("export-hf", "../configs/rnope-swa.yaml", "--out", out.toString()), "rnope-swa.yaml: vocab_size: the config reads features");
        assertInputError(run("export-hf", PyTorchTwinsTest.resource("cohere2.yaml").toString(), "--set", "norm_bias=true", "--out", out.toString()),
                "cohere2.yaml: norm_bias: true on layer 0 has no counterpart in Hugging Face's cohere2 config.json");
        assertFalse(Files.exists(out));
        Path file = Files.writeString(tmp.resolve("file"), "mine");
        assertInputError(run("export-hf", PyTorchTwinsTest.resource("cohere2.yaml").toString(), "--out", file.toString()),
                "--out " + file + ": cannot write: it is a regular file; only a new or an empty directory is written");
        assertEquals("mine", Files.readString(file));
        assertInputError(run("export-hf", PyTorchTwinsTest.resource("cohere2.yaml").toString()), "Missing required option: '--out=DIR'");
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertInputError(run(empty.toString(), "--iterations", "1"), empty + ": not a Hugging Face checkpoint directory: it has no config.json");
        Path noWeights = Files.createDirectory(tmp.resolve("no-weights"));
        Files.copy(checkpoint("mistral").resolve("config.json"), noWeights.resolve("config.json"));
        assertInputError(run(noWeights.toString(), "--iterations", "1"), noWeights + ": no model.safetensors or model.safetensors.index.json");
        assertInputError(run(checkpoint("mistral").toString(), "--set", "num_hidden_layers=9", "--iterations", "1"),
                "model.safetensors: does not fit this model: 9 missing: model.layers.8.input_layernorm.weight [32]");

        Path copy = Files.createDirectory(tmp.resolve("copy"));
        for (String name : List.of("config.json", "model.safetensors")) {
            Files.copy(checkpoint("mistral").resolve(name), copy.resolve(name));
        }
        byte[] before = Files.readAllBytes(copy.resolve("model.safetensors"));
        assertInputError(run(copy.toString(), "--iterations", "1", "--save-weights", copy.resolve("model.safetensors").toString()),
                "--save-weights " + copy.resolve("model.safetensors") + ": cannot write: it is a file of the checkpoint " + copy + " of this run");
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(copy.resolve("model.safetensors"))), "the checkpoint's weights are kept");
    }
}
