package org.attentionlab.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Ctrl-C and SIGTERM for real: {@code scripts/run train}'s main class in a process of its own, signalled once it has
 * written a checkpoint. It must exit with the signal's status and leave its folder with complete checkpoints, a log
 * of whole lines and no temporary file; and the run must then resume to its end.
 */
@EnabledOnOs({ OS.LINUX, OS.MAC })
class InterruptedTrainingTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({ "INT, 130", "TERM, 143" })
    void aSignalLeavesCompleteCheckpointsAndNoPartialFile(String signal, int status, @TempDir Path tmp) throws Exception {
        Path config = TrainerTest.config(tmp);
        Path run = tmp.resolve("run");
        List<String> command = new ArrayList<>();
        if (signal.equals("INT") && sigintIgnored()) {
            // Started as a background job of a non-interactive shell, this JVM (and so its child) inherits SIGINT
            // ignored, and the JVM then leaves it ignored: Ctrl-C in a terminal never looks like that. GNU env puts the
            // default action back before it starts the run.
            command.addAll(List.of("env", "--default-signal=INT"));
        }
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("-Xss4m", "-cp", System.getProperty("java.class.path"), "org.attentionlab.cli.Main", "train", config.toString(), "--out",
                run.toString(), "--set", "train.steps=100000", "--set", "train.checkpoint_interval=1", "--set", "train.eval_lengths=[12]"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(tmp.resolve("output.txt").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(run.resolve("checkpoint-3.safetensors")) && System.nanoTime() < deadline && process.isAlive()) {
                Thread.sleep(20);
            }
            assertTrue(process.isAlive(), "the run ended early: " + Files.readString(tmp.resolve("output.txt")));
            new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the run did not stop");
        } finally {
            process.destroyForcibly();
        }
        String output = Files.readString(tmp.resolve("output.txt"));
        assertEquals(status, process.exitValue(), output);
        assertTrue(output.contains("interrupted after step"), output);

        List<Path> files;
        try (Stream<Path> entries = Files.list(run)) {
            files = entries.toList();
        }
        for (Path file : files) {
            String name = file.getFileName().toString();
            assertFalse(name.startsWith("."), "a temporary file was left: " + name);
            assertTrue(name.equals(RunDirectory.LOG) || name.equals(RunDirectory.PLOT) || name.matches("checkpoint-\\d+\\.safetensors"), name);
        }
        RunDirectory folder = RunDirectory.forResume(run);
        for (Path checkpoint : folder.checkpoints()) {
            Checkpoint.read(checkpoint);
        }
        List<String> lines = Files.readAllLines(run.resolve(RunDirectory.LOG));
        for (String line : lines) {
            assertTrue(LogLine.parse(line) != null, "a torn log line: " + line);
        }
        long last = RunDirectory.stepOf(folder.checkpoints().get(folder.checkpoints().size() - 1));
        assertEquals(last + 2, Trainer.resume(run, List.of("train.steps=" + (last + 2)), Optional.empty(), null, new TrainerTest.Recorder(), false).lastStep());
    }

    /** Whether this process ignores SIGINT (signal 2: bit 1 of the ignored-signals mask Linux reports). */
    private static boolean sigintIgnored() throws Exception {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16) & (1L << 1)) != 0;
            }
        }
        return false;
    }

}
