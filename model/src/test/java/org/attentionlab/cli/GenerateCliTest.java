package org.attentionlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/run generate as a user runs it: from a training checkpoint, from a config (seeded or --weights), and each mistake as one line with exit 2. */
class GenerateCliTest {

    /** Byte-level (vocabulary 256), Cohere2's layout at a tiny size, a window of 3 (the rolling buffers wrap). */
    static final String BYTES = """
            architecture: rnope_swa_hybrid
            vocab_size: 256
            hidden_size: 16
            num_attention_heads: 2
            num_key_value_heads: 1
            num_hidden_layers: 4
            intermediate_size: 16
            sliding_window: 3
            position_embedding: rope
            rope_pairing: gptj
            norm_position: parallel
            ffn_type: swiglu
            hidden_act: silu
            tie_word_embeddings: true
            logit_scale: 0.0625
            output: logits
            """;

    @Test
    void fromATrainingCheckpointWithAPromptOfIds(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        CliTest.Result trained = CliTest.run("train", TrainCliTest.config(tmp).toString(), "--out", run.toString());
        assertEquals(0, trained.exit(), trained.err());
        Path prompt = Files.writeString(tmp.resolve("prompt.txt"), "1 9\n2 10\n  3 11\t4\n");
        CliTest.Result r = CliTest.run("generate", run.resolve("checkpoint-2.safetensors").toString(), "--prompt-file", prompt.toString(),
                "--max-new-tokens", "9", "--verify");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("(step 2)"), r.out());
        assertTrue(r.out().contains("prompt       7 tokens"), r.out());
        assertTrue(r.out().matches("(?s).*\nids          ([0-9]+ ){8}[0-9]+\n.*"), r.out());
        assertTrue(r.out().contains("verified     the same arg-max as a full recomputation at all 9 steps"), r.out());
        assertTrue(r.out().contains("kv cache     sliding 6 layers, 24 slots, "), "the checkpoint's six sliding layers of window 4: " + r.out());

        CliTest.assertInputError(CliTest.run("generate", run.resolve("checkpoint-2.safetensors").toString(), "--prompt", "hello"), "--prompt: this model's vocabulary has 17 tokens");
        Path outside = Files.writeString(tmp.resolve("outside.txt"), "1 2\n3 17\n");
        CliTest.assertInputError(CliTest.run("generate", run.resolve("checkpoint-2.safetensors").toString(), "--prompt-file", outside.toString()),
                outside + ": line 2: token id 17 is outside the vocabulary [0, 17)");
        CliTest.assertInputError(CliTest.run("generate", run.resolve("checkpoint-2.safetensors").toString(), "--prompt-file", prompt.toString(), "--set",
                "hidden_size=8"), "--set goes with a config");
        CliTest.assertInputError(CliTest.run("generate", run.resolve("log.jsonl").toString(), "--prompt", "x"), "give a checkpoint");
    }

    @Test
    void jsonReportsTheCachesByKind(@TempDir Path tmp) throws IOException {
        Path config = Files.writeString(tmp.resolve("bytes.yaml"), BYTES);
        CliTest.Result r = CliTest.run("generate", config.toString(), "--prompt", "Grüße", "--max-new-tokens", "12", "--json");
        assertEquals(0, r.exit(), r.err());
        String json = r.out().strip();
        assertEquals(7, CliTest.number(json, "prompt_tokens"), 0, "Grüße is 7 bytes of UTF-8");
        assertTrue(json.matches("\\{.*\"generated\": \\[([0-9]+, ){11}[0-9]+\\], \"generated_text\": \".*"), json);
        // 19 positions, kv width 8, 4 bytes, keys and values: 3 sliding layers of 3 slots, 1 full layer of 19
        assertTrue(json.contains("\"kv_cache\": {\"sliding\": {\"layers\": 3, \"slots\": 9, \"bytes\": " + 9 * 8 * 8 + "}, \"full\": {\"layers\": 1, "
                + "\"slots\": 19, \"bytes\": " + 19 * 8 * 8 + "}, \"total_bytes\": " + 28 * 8 * 8 + ", \"every_position_bytes\": " + 4 * 19 * 8 * 8 + ", "), json);
        assertEquals(1 - 28.0 / 76, CliTest.number(json, "saving"), 1e-12);
        assertTrue(json.contains("{\"layer\": 3, \"kind\": \"full\", \"window\": null, \"slots\": 19, \"bytes\": " + 19 * 8 * 8 + "}"), json);
    }

    @Test
    void fromAConfigWithSavedWeightsAndAPromptFileOfText(@TempDir Path tmp) throws IOException {
        Path config = Files.writeString(tmp.resolve("bytes.yaml"), BYTES);
        Path weights = tmp.resolve("w.safetensors");
        CliTest.Result saved = CliTest.run(config.toString(), "--seq-len", "4", "--iterations", "1", "--warmup", "0", "--save-weights", weights.toString(),
                "--set", "seed=7");
        assertEquals(0, saved.exit(), saved.err());
        Path prompt = Files.write(tmp.resolve("prompt.txt"), "abc\n".getBytes(StandardCharsets.UTF_8));
        CliTest.Result seeded = CliTest.run("generate", config.toString(), "--prompt-file", prompt.toString(), "--max-new-tokens", "6", "--set", "seed=7");
        CliTest.Result loaded = CliTest.run("generate", config.toString(), "--prompt-file", prompt.toString(), "--max-new-tokens", "6", "--weights",
                weights.toString());
        assertEquals(0, seeded.exit(), seeded.err());
        assertEquals(0, loaded.exit(), loaded.err());
        assertEquals(line(seeded.out(), "ids"), line(loaded.out(), "ids"), "the saved weights are the seeded ones");
        assertTrue(seeded.out().contains("prompt       4 tokens"), seeded.out());
        assertTrue(seeded.out().contains("text         \""), seeded.out());
    }

    @Test
    void mistakesAreOneLine(@TempDir Path tmp) throws IOException {
        Path config = Files.writeString(tmp.resolve("bytes.yaml"), BYTES);
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "");
        CliTest.assertInputError(CliTest.run("generate", config.toString(), "--prompt-file", empty.toString()), empty + ": the prompt is empty");
        CliTest.assertInputError(CliTest.run("generate", config.toString(), "--prompt", ""), "--prompt: the prompt is empty");
        CliTest.assertInputError(CliTest.run("generate", config.toString()), "exactly one of --prompt TEXT and --prompt-file FILE");
        CliTest.assertInputError(CliTest.run("generate", config.toString(), "--prompt", "a", "--max-new-tokens", "0"), "--max-new-tokens must be in 1..");
        CliTest.assertInputError(CliTest.run("generate", config.toString(), "--prompt", "a", "--max-new-tokens", "1048576"),
                "the prompt's 1 tokens and --max-new-tokens 1,048,576 make 1,048,577 positions, more than the 1,048,576");
        CliTest.assertInputError(CliTest.run("generate", config.toString(), "--prompt", "a", "--temperature", "-0.5"), "--temperature");
        CliTest.assertInputError(CliTest.run("generate", config.toString(), "--prompt", "a", "--top-k", "-1"), "--top-k");
        CliTest.assertInputError(CliTest.run("generate", config.toString(), "--prompt-file", tmp.resolve("none.txt").toString()), "none.txt: no such file");
        CliTest.assertInputError(CliTest.run("generate", config.toString(), "--prompt", "a", "--set", "output=all"),
                "bytes.yaml: output: generation needs a language model");
        CliTest.assertInputError(CliTest.run("generate", config.toString(), "--prompt", "a", "--set", "causal=false"), "causal: generation needs causal attention");
        CliTest.assertInputError(CliTest.run("generate", "../configs/rnope-swa.yaml", "--prompt", "a"), "vocab_size: generation needs a language model");
        CliTest.assertInputError(CliTest.run("generate", config.toString(), "--prompt", "a", "--device", "gpu"), "unknown device 'gpu'");
    }

    private static String line(String out, String label) {
        return out.lines().filter(l -> l.startsWith(label + " ")).findFirst().orElseThrow(() -> new AssertionError("no " + label + " line in " + out));
    }
}
