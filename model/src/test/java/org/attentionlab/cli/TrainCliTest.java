package org.attentionlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.attentionlab.model.tasks.AssociativeRecall;
import org.attentionlab.model.tasks.Batch;
import org.attentionlab.model.weights.SafeTensors;
import org.attentionlab.model.weights.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/run train and eval as a user runs them: a short run end to end, and each mistake as one line with exit code 2. */
class TrainCliTest {

    static final String CONFIG = """
            architecture: rnope_swa
            vocab_size: 17
            hidden_size: 8
            num_attention_heads: 2
            intermediate_size: 16
            sliding_window: 4
            output: logits
            train:
              task: associative_recall
              pairs: 2
              keys: 8
              values: 8
              steps: 2
              batch_size: 2
              seq_len: 12
              eval_lengths: [12]
              eval_batches: 1
              checkpoint_interval: 1
              log_interval: 1
            """;

    static Path config(Path tmp) throws IOException {
        Path file = tmp.resolve("small.yaml");
        Files.writeString(file, CONFIG);
        return file;
    }

    static void assertInputError(CliTest.Result r, String message) {
        assertEquals(2, r.exit(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(message), "expected '" + message + "' in: " + r.err());
    }

    @Test
    void trainThenEvaluate(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        CliTest.Result trained = CliTest.run("train", config(tmp).toString(), "--out", run.toString());
        assertEquals(0, trained.exit(), trained.err());
        assertTrue(trained.out().contains("trained to step 2: " + run), trained.out());
        assertTrue(trained.err().contains("step 2/2 loss "), trained.err());
        assertEquals(2, Files.readAllLines(run.resolve("log.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count());

        Path checkpoint = run.resolve("checkpoint-2.safetensors");
        CliTest.Result table = CliTest.run("eval", checkpoint.toString(), "--lengths", "12,40", "--batches", "2");
        assertEquals(0, table.exit(), table.err());
        assertTrue(table.out().contains("(step 2)"), table.out());
        assertTrue(table.out().lines().anyMatch(l -> l.strip().startsWith("40 ")), table.out());
        CliTest.Result json = CliTest.run("eval", checkpoint.toString(), "--lengths", "12", "--json");
        assertEquals(0, json.exit(), json.err());
        assertTrue(json.out().strip().startsWith("{\"checkpoint\": ") && json.out().contains("\"results\": [{\"length\": 12, \"loss\": "), json.out());
        assertTrue(Double.isFinite(CliTest.number(json.out(), "accuracy")));
    }

    /**
     * --profile prints milliseconds per step by kernel for the steps after the first, whose sum is the "all kernels"
     * line and fits in a step; it changes no result: the checkpoint is the unprofiled run's byte for byte.
     */
    @Test
    void aProfiledRunPrintsTimePerKernelAndTrainsTheSame(@TempDir Path tmp) throws IOException {
        Path plain = tmp.resolve("plain");
        Path profiled = tmp.resolve("profiled");
        CliTest.Result unprofiled = CliTest.run("train", config(tmp).toString(), "--out", plain.toString(), "--set", "train.steps=3");
        assertEquals(0, unprofiled.exit(), unprofiled.err());
        assertFalse(unprofiled.err().contains("profile:"), unprofiled.err());
        CliTest.Result r = CliTest.run("train", config(tmp).toString(), "--out", profiled.toString(), "--set", "train.steps=3", "--profile");
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(Files.readAllBytes(plain.resolve("checkpoint-3.safetensors")), Files.readAllBytes(profiled.resolve("checkpoint-3.safetensors")));

        List<String> lines = r.err().lines().toList();
        int heading = lines.indexOf(lines.stream().filter(l -> l.startsWith("profile: ms per step by kernel, mean of steps 2-3")).findFirst()
                .orElseThrow(() -> new AssertionError(r.err())));
        Pattern row = Pattern.compile("\\s+([0-9.]+) ms\\s+([0-9.]+) %  (.+)");
        Map<String, Double> kernels = new LinkedHashMap<>();
        double allKernels = Double.NaN;
        double stepWall = Double.NaN;
        for (String line : lines.subList(heading + 1, lines.size())) {
            Matcher m = row.matcher(line);
            if (!m.matches()) {
                break;
            }
            if (m.group(3).startsWith("all kernels, of ")) {
                allKernels = Double.parseDouble(m.group(1));
                stepWall = Double.parseDouble(m.group(3).replaceAll("all kernels, of ([0-9.]+) ms .*", "$1"));
            } else {
                kernels.put(m.group(3), Double.parseDouble(m.group(1)));
            }
        }
        // The step's kernels, by the names TornadoVM's profiler gives them: the forward, the backward, the optimizer.
        assertTrue(kernels.keySet().containsAll(Set.of("LinearKernels.embedding", "Normalization.layerNorm", "Normalization.layerNormBackward",
                "AttentionKernels.queryGradient", "Losses.crossEntropyRows", "AdamW.update")), kernels.keySet().toString());
        assertEquals(allKernels, kernels.values().stream().mapToDouble(Double::doubleValue).sum(), 1e-3 * kernels.size(), r.err());
        assertTrue(allKernels > 0 && allKernels <= stepWall, r.err());
        assertTrue(new ArrayList<>(kernels.values()).equals(kernels.values().stream().sorted(Comparator.reverseOrder()).toList()), r.err());
    }

    /** A run started with --text resumes on that text without --text, exactly as the run that did not stop. */
    @Test
    void aRunStartedWithTextResumesOnTheSameText(@TempDir Path tmp) throws IOException {
        Path config = tmp.resolve("text.yaml");
        Files.writeString(config, CONFIG.substring(0, CONFIG.indexOf("train:")).replace("vocab_size: 17", "vocab_size: 256")
                + "train:\n  task: text\n  steps: 2\n  batch_size: 2\n  seq_len: 12\n  eval_lengths: [12]\n  eval_batches: 1\n"
                + "  checkpoint_interval: 1\n  log_interval: 1\n");
        Path text = tmp.resolve("book.txt");
        Files.writeString(text, "the quick brown fox jumps over the lazy dog; ".repeat(20));
        Path whole = tmp.resolve("whole");
        CliTest.Result uninterrupted = CliTest.run("train", config.toString(), "--out", whole.toString(), "--text", text.toString());
        assertEquals(0, uninterrupted.exit(), uninterrupted.err());
        // The same run stopped after step 1: its folder without the last checkpoint.
        Path cut = tmp.resolve("cut");
        Files.createDirectories(cut);
        for (String name : new String[] { "log.jsonl", "checkpoint-1.safetensors" }) {
            Files.copy(whole.resolve(name), cut.resolve(name));
        }
        CliTest.Result resumed = CliTest.run("train", "--resume", cut.toString());
        assertEquals(0, resumed.exit(), resumed.err());
        assertArrayEquals(Files.readAllBytes(whole.resolve("checkpoint-2.safetensors")), Files.readAllBytes(cut.resolve("checkpoint-2.safetensors")));
    }

    @Test
    void aNewRunNeedsAFolderWhoseParentExists(@TempDir Path tmp) throws IOException {
        assertInputError(CliTest.run("train", config(tmp).toString()), "a new run needs --out DIR");
        assertInputError(CliTest.run("train", config(tmp).toString(), "--out", tmp.resolve("missing/run").toString()),
                "its parent folder " + tmp.resolve("missing") + " does not exist");
        Files.writeString(tmp.resolve("file"), "x");
        assertInputError(CliTest.run("train", config(tmp).toString(), "--out", tmp.resolve("file").toString()), "exists and is not a folder");
    }

    @Test
    void anotherRunIsNeverReplacedUnlessForced(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        assertEquals(0, CliTest.run("train", config(tmp).toString(), "--out", run.toString(), "--set", "train.steps=1").exit());
        byte[] before = Files.readAllBytes(run.resolve("checkpoint-1.safetensors"));
        assertInputError(CliTest.run("train", config(tmp).toString(), "--out", run.toString()),
                "holds another run (log.jsonl, 1 checkpoint, loss.png): continue it with --resume");
        assertEquals(Arrays.hashCode(before), Arrays.hashCode(Files.readAllBytes(run.resolve("checkpoint-1.safetensors"))));
        CliTest.Result forced = CliTest.run("train", config(tmp).toString(), "--out", run.toString(), "--force");
        assertEquals(0, forced.exit(), forced.err());
        assertTrue(Files.exists(run.resolve("checkpoint-2.safetensors")));
    }

    @Test
    void mistakesAreOneLine(@TempDir Path tmp) throws IOException {
        Path config = config(tmp);
        assertInputError(CliTest.run("train", config.toString(), "--out", tmp.resolve("a").toString(), "--resume", tmp.toString()),
                "give either CONFIG --out DIR (a new run) or --resume DIR");
        Files.createDirectories(tmp.resolve("empty"));
        assertInputError(CliTest.run("train", "--resume", tmp.resolve("empty").toString()), "holds no checkpoint-<step>.safetensors to resume from");
        assertInputError(CliTest.run("train", config.toString(), "--out", tmp.resolve("b").toString(), "--set", "train.stepz=3"),
                "--set train.stepz=3:2:3: train.stepz: unknown train key (did you mean steps?)");
        assertFalse(Files.exists(tmp.resolve("b")), "a refused run created its folder");
        Path text = tmp.resolve("text.yaml");
        Files.writeString(text, CONFIG.substring(0, CONFIG.indexOf("train:")).replace("vocab_size: 17", "vocab_size: 256") + "train:\n  task: text\n");
        assertInputError(CliTest.run("train", text.toString(), "--out", tmp.resolve("c").toString()),
                "train.text_file: task text needs a file to model: give text_file here or scripts/run train --text FILE");
        assertInputError(CliTest.run("train", text.toString(), "--out", tmp.resolve("c").toString(), "--text", tmp.resolve("none.txt").toString()),
                "--text " + tmp.resolve("none.txt") + ": no such file");
        assertInputError(CliTest.run("eval", config.toString(), "--lengths", "12"), config + ": header length");
        Path weights = tmp.resolve("weights.safetensors");
        assertEquals(0, CliTest.run(config.toString(), "--iterations", "1", "--warmup", "0", "--save-weights", weights.toString()).exit());
        assertInputError(CliTest.run("eval", weights.toString(), "--lengths", "12"), "not a training checkpoint of scripts/run train (metadata format is missing)");
        Path run = tmp.resolve("run");
        assertEquals(0, CliTest.run("train", config.toString(), "--out", run.toString(), "--set", "train.steps=1").exit());
        assertInputError(CliTest.run("eval", run.resolve("checkpoint-1.safetensors").toString(), "--lengths", "12,3"),
                "--lengths: associative_recall (2 pairs, keys 1-8, values 9-16) cannot draw sequences of 3 positions (from 5)");
    }

    /**
     * scripts/run batches writes what a run trains on: micro-batch m of step s is row (s - 1) k + m, the task's batch of
     * that index; its mistakes are one line.
     */
    @Test
    void batchesAreTheRunsBatches(@TempDir Path tmp) throws IOException {
        Path config = config(tmp);
        Path out = tmp.resolve("batches.safetensors");
        CliTest.Result written = CliTest.run("batches", config.toString(), "--steps", "3", "--set", "train.grad_accumulation=2", "--out", out.toString());
        assertEquals(0, written.exit(), written.err());
        Map<String, Tensor> tensors = SafeTensors.read(out);
        assertEquals(Set.of("input", "target"), tensors.keySet());
        assertArrayEquals(new int[] { 6, 2, 12 }, tensors.get("input").shape());
        AssociativeRecall task = new AssociativeRecall(2, 8, 8);
        for (int row = 0; row < 6; row++) {
            Batch.Tokens expected = (Batch.Tokens) task.draw(0, row, 2, 12);
            assertArrayEquals(expected.inputs(), Arrays.copyOfRange(tensors.get("input").ints(), row * 24, row * 24 + 24));
            assertArrayEquals(expected.targets(), Arrays.copyOfRange(tensors.get("target").ints(), row * 24, row * 24 + 24));
        }
        assertEquals("3", SafeTensors.readMetadata(out).get("steps"));
        assertInputError(CliTest.run("batches", config.toString(), "--steps", "0", "--out", out.toString()), "--steps must be at least 1");
        assertInputError(CliTest.run("batches", config.toString(), "--out", config.toString()), "it is the config of this run");
        Path untrained = tmp.resolve("model.yaml");
        Files.writeString(untrained, CONFIG.substring(0, CONFIG.indexOf("train:")));
        assertInputError(CliTest.run("batches", untrained.toString(), "--out", out.toString()), "has no train: block");
    }

    /** A regression (delayed recall through a score head): its loss is the masked mean squared error, with no accuracy. */
    @Test
    void aRegressionHasNoAccuracy(@TempDir Path tmp) throws IOException {
        Path config = tmp.resolve("delay.yaml");
        Files.writeString(config, """
                architecture: rnope_swa
                embed_dim: 6
                hidden_size: 8
                num_attention_heads: 2
                sliding_window: 4
                output: all
                num_labels: 3
                train:
                  task: delayed_recall
                  delay: 2
                  steps: 2
                  batch_size: 2
                  seq_len: 10
                  log_interval: 1
                """);
        Path run = tmp.resolve("run");
        CliTest.Result trained = CliTest.run("train", config.toString(), "--out", run.toString());
        assertEquals(0, trained.exit(), trained.err());
        assertTrue(Files.readString(run.resolve("log.jsonl")).contains("\"accuracy\": null"), Files.readString(run.resolve("log.jsonl")));
        CliTest.Result table = CliTest.run("eval", run.resolve("checkpoint-2.safetensors").toString(), "--lengths", "10,40");
        assertEquals(0, table.exit(), table.err());
        assertTrue(table.out().lines().anyMatch(l -> l.matches(" +40 +[0-9.]+ +- +[0-9]+")), table.out());
    }
}
