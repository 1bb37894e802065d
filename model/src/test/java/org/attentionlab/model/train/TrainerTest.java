package org.attentionlab.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs of the trainer: a resumed run is the uninterrupted one bit for bit; what a run writes. */
class TrainerTest {

    /** A small run: dropout and gradient accumulation on, so that both must resume exactly too. */
    static final String CONFIG = """
            architecture: rnope_swa
            vocab_size: 17
            hidden_size: 8
            num_attention_heads: 2
            num_hidden_layers: 2
            intermediate_size: 16
            sliding_window: 4
            dropout: 0.2
            output: logits
            layers:
              1: {position_embedding: rope}
            train:
              task: associative_recall
              pairs: 2
              keys: 8
              values: 8
              steps: 6
              batch_size: 3
              seq_len: 12
              learning_rate: 0.01
              warmup_steps: 2
              grad_accumulation: 2
              grad_clip: 0.5
              eval_lengths: [12, 20]
              eval_batches: 2
              log_interval: 1
              checkpoint_interval: 2
            """;

    /** Keeps what a run reports, for assertions. */
    static final class Recorder implements Trainer.Listener {
        final List<String> notes = new ArrayList<>();

        @Override
        public void started(String description) {
        }

        @Override
        public void stepped(long step, long steps, double loss, double accuracy, double learningRate, double tokensPerSecond, double etaSeconds,
                boolean logged) {
        }

        @Override
        public void evaluated(long step, int length, double loss, double accuracy) {
        }

        @Override
        public void note(String message) {
            notes.add(message);
        }
    }

    static Path config(Path folder) throws IOException {
        Path file = folder.resolve("small.yaml");
        Files.writeString(file, CONFIG);
        return file;
    }

    @Test
    void aResumedRunIsTheUninterruptedRunBitForBit(@TempDir Path tmp) throws IOException {
        Path whole = tmp.resolve("whole");
        Recorder first = new Recorder();
        Trainer.Outcome outcome = Trainer.start(config(tmp), List.of(), whole, false, Optional.empty(), null, first, false);
        assertEquals(6, outcome.lastStep());
        // The run says which projection kernels its device got: the JVM implementation keeps the row blocks.
        assertTrue(first.notes.stream().anyMatch(n -> n.startsWith("launch: {") && n.contains("\"projection_kernel\": \"row_blocks\"")), first.notes.toString());
        // And the attention backward its layers chose, counted once per layer (2 layers, each in 2 micro-batches).
        assertTrue(first.notes.stream().anyMatch(n -> n.startsWith("launch: {") && n.contains("\"attention_backward_kernels\": {\"rows\": 2}")),
                first.notes.toString());
        // A run that stopped after its checkpoint at step 2 (its log already has later lines, as after a kill).
        Path resumed = tmp.resolve("resumed");
        Files.createDirectories(resumed);
        Files.copy(whole.resolve("checkpoint-2.safetensors"), resumed.resolve("checkpoint-2.safetensors"));
        Files.copy(whole.resolve(RunDirectory.LOG), resumed.resolve(RunDirectory.LOG));
        Files.writeString(resumed.resolve(RunDirectory.LOG), "{\"step\": 5, \"lo", java.nio.file.StandardOpenOption.APPEND);
        assertEquals(6, Trainer.resume(resumed, List.of(), Optional.empty(), null, new Recorder(), false).lastStep());

        for (int step : new int[] { 4, 6 }) {
            String name = "checkpoint-" + step + ".safetensors";
            assertArrayEquals(Files.readAllBytes(whole.resolve(name)), Files.readAllBytes(resumed.resolve(name)), name);
        }
        List<LogLine> expected = new RunDirectory.Reader(whole).log();
        List<LogLine> actual = new RunDirectory.Reader(resumed).log();
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            LogLine e = expected.get(i);
            LogLine a = actual.get(i);
            assertEquals(List.of(e.step(), e.evalLength(), e.loss(), e.accuracy(), e.learningRate(), e.gradientNorm()),
                    List.of(a.step(), a.evalLength(), a.loss(), a.accuracy(), a.learningRate(), a.gradientNorm()), "log line " + i);
        }
        assertEquals(6 + 3 * 2, expected.size());
        assertTrue(Files.size(whole.resolve(RunDirectory.PLOT)) > 0);
    }

    @Test
    void aFinishedRunHasNothingToResume(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        Trainer.start(config(tmp), List.of("train.steps=2"), run, false, Optional.empty(), null, new Recorder(), false);
        Recorder recorder = new Recorder();
        assertEquals(2, Trainer.resume(run, List.of(), Optional.empty(), null, recorder, false).lastStep());
        assertTrue(recorder.notes.get(0).startsWith("nothing to do: the run already reached step 2 of 2"), recorder.notes.toString());
        // Raising the steps continues it.
        assertEquals(3, Trainer.resume(run, List.of("train.steps=3"), Optional.empty(), null, new Recorder(), false).lastStep());
        assertTrue(Files.exists(run.resolve("checkpoint-3.safetensors")));
    }
}
