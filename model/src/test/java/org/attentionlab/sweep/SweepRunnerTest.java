package org.attentionlab.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.attentionlab.model.spec.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/** The runner on the JVM: rows per cell, resume after a crash, failures recorded and the sweep going on, shards. */
class SweepRunnerTest {

    @TempDir
    Path dir;

    static final class JvmOnly implements SweepRunner.Devices {
        @Override
        public boolean runsHere(Device device) {
            return device.isJvm();
        }

        @Override
        public TornadoDevice resolve(Device device) {
            return null;
        }

        @Override
        public String describe(Device device) {
            return device.toString();
        }

        @Override
        public String tornadoVersion() {
            return null;
        }
    }

    SweepPlan plan(String grid) throws IOException {
        Files.writeString(dir.resolve("base.yaml"), SweepPlanTest.BASE);
        Path file = dir.resolve("sweep.yaml");
        Files.writeString(file, "base: base.yaml\nset: {num_hidden_layers: 2}\n" + grid + "speed: {lengths: [8, 16], iterations: 1, warmup: 0}\n"
                + "analyses: {length: 12, batch: 1, shift: 4}\n");
        return SweepPlan.read(file);
    }

    int run(SweepPlan plan, Path out, int shard, int shards) throws Exception {
        SweepRunner runner = new SweepRunner(plan, new SweepRunner.Options(out, shard, shards, Optional.empty(), false, Path.of("..")), new JvmOnly(),
                new PrintWriter(new StringWriter()));
        return runner.run();
    }

    @Test
    void oneRowPerCellAndARerunAddsNothing() throws Exception {
        SweepPlan plan = plan("grid: {position_embedding: [none, alibi]}\n");
        Path out = dir.resolve("out");
        assertEquals(0, run(plan, out, 0, 1));
        List<Map<String, Object>> rows = ResultsFile.read(out.resolve("results.jsonl"));
        assertEquals(plan.cells().stream().map(SweepPlan.Cell::id).toList(), rows.stream().map(r -> r.get("cell")).toList());
        Map<String, Object> row = rows.get(1);
        assertEquals("ok", row.get("status"));
        assertEquals(Map.of("position_embedding", "alibi"), row.get("axes"));
        assertEquals(List.of("num_hidden_layers=2", "position_embedding=alibi"), row.get("overrides"));
        assertEquals(2, ((List<?>) row.get("speed")).size());
        assertTrue(((Map<?, ?>) row.get("analyses")).keySet().containsAll(List.of("attention_entropy", "attention_distance", "shift_sensitivity")));
        assertTrue(((Map<?, ?>) row.get("versions")).containsKey("java"));
        long size = Files.size(out.resolve("results.jsonl"));
        assertEquals(0, run(plan, out, 0, 1));
        assertEquals(size, Files.size(out.resolve("results.jsonl")), "a finished sweep runs nothing again");
    }

    @Test
    void aTornRowIsRunAgainAndNothingIsDuplicated() throws Exception {
        SweepPlan plan = plan("grid: {position_embedding: [none, alibi, rope]}\n");
        Path out = dir.resolve("out");
        Path file = out.resolve("results.jsonl");
        assertEquals(0, run(plan, out, 0, 1));
        List<String> lines = Files.readAllLines(file);
        // as if killed while writing the third row: two whole lines and half of the third
        Files.writeString(file, lines.get(0) + "\n" + lines.get(1) + "\n" + lines.get(2).substring(0, 40), StandardCharsets.UTF_8);
        List<Map<String, Object>> before = ResultsFile.read(file);
        assertEquals(0, run(plan, out, 0, 1));
        List<Map<String, Object>> rows = ResultsFile.read(file);
        assertEquals(plan.cells().stream().map(SweepPlan.Cell::id).toList(), rows.stream().map(r -> r.get("cell")).toList());
        assertEquals(3, Files.readAllLines(file).size());
        assertEquals(withoutTiming(before.get(0)), withoutTiming(rows.get(0)), "the rows a rerun keeps are untouched");
        assertEquals(((Map<?, ?>) withoutTiming(rows.get(2))).keySet(), ((Map<?, ?>) withoutTiming(before.get(0))).keySet());
    }

    /** A row without SweepRunner.TIMING_FIELDS, at any depth. */
    static Object withoutTiming(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> out = new java.util.LinkedHashMap<>();
            map.forEach((k, v) -> {
                if (!SweepRunner.TIMING_FIELDS.contains(k)) {
                    out.put(k, withoutTiming(v));
                }
            });
            return out;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(SweepRunnerTest::withoutTiming).toList();
        }
        return value;
    }

    @Test
    void theShellChecksStripTheSameTimingFields() throws IOException {
        String script = Files.readString(Path.of("..", "scripts", "lib", "rows-without-timing.py"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("TIMING = \\{([^}]*)\\}").matcher(script);
        assertTrue(m.find(), "rows-without-timing.py names its fields");
        java.util.Set<String> fields = new java.util.TreeSet<>();
        for (String quoted : m.group(1).split(",")) {
            fields.add(quoted.strip().replace("\"", ""));
        }
        assertEquals(new java.util.TreeSet<>(SweepRunner.TIMING_FIELDS), fields);
    }

    @Test
    void aFailingCellIsRecordedAndTheSweepGoesOn() throws Exception {
        // global token 40 is outside the 8- and 16-position runs: the cell fails when it runs, not when it resolves
        SweepPlan plan = plan("grid: {global_tokens: [[40], []]}\n");
        Path out = dir.resolve("out");
        assertEquals(1, run(plan, out, 0, 1));
        List<Map<String, Object>> rows = ResultsFile.read(out.resolve("results.jsonl"));
        assertEquals(List.of("failed", "ok"), rows.stream().map(r -> r.get("status")).toList());
        assertTrue(String.valueOf(rows.get(0).get("error")).contains("global_tokens: position 40 is outside"), String.valueOf(rows.get(0).get("error")));
    }

    @Test
    void shardsSplitTheCellsAndMergeToTheWhole() throws Exception {
        SweepPlan plan = plan("grid: {position_embedding: [none, alibi, rope]}\n");
        Path out = dir.resolve("out");
        assertEquals(0, run(plan, out, 1, 2));
        assertEquals(List.of(plan.cells().get(1).id()), ResultsFile.read(out.resolve("results.1of2.jsonl")).stream().map(r -> r.get("cell")).toList());
        assertEquals(0, run(plan, out, 0, 2));
        assertEquals(3, ResultsFile.readAll(out).size());
    }

    @Test
    void cellsTrainOnceEvaluateEveryDeviceAndResumeFromTheLastCheckpoint() throws Exception {
        Files.writeString(dir.resolve("base.yaml"), SweepPlanTest.TRAINABLE);
        Path file = dir.resolve("sweep.yaml");
        Files.writeString(file, "base: base.yaml\ndevices: [jvm, jvm]\neval: {lengths: [32, 48], batches: 1}\nspeed: {lengths: [16], iterations: 1}\n");
        SweepPlan plan = SweepPlan.read(file);
        Path out = dir.resolve("out");
        assertEquals(0, run(plan, out, 0, 1));
        List<Map<String, Object>> rows = ResultsFile.read(out.resolve("results.jsonl"));
        assertEquals(2, rows.size());
        assertEquals(rows.get(0).get("train"), rows.get(1).get("train"), "the second device loads the first one's checkpoint");
        assertEquals(rows.get(0).get("eval"), rows.get(1).get("eval"));
        Map<?, ?> train = (Map<?, ?>) rows.get(0).get("train");
        assertEquals(4L, train.get("steps"));
        assertEquals(4, ((List<?>) train.get("loss_curve")).size());
        assertEquals(List.of(32L, 48L), ((List<?>) rows.get(0).get("eval")).stream().map(e -> ((Map<?, ?>) e).get("length")).toList());
        Path folder = out.resolve((String) train.get("folder"));
        try (var runs = Files.list(out.resolve("train"))) {
            assertEquals(1, runs.count(), "one training for both devices");
        }
        // as if killed after checkpoint 2: the last checkpoint and every row gone; the rerun resumes and gets the same figures
        Files.delete(folder.resolve("checkpoint-4.safetensors"));
        Files.delete(out.resolve("results.jsonl"));
        assertEquals(0, run(plan, out, 0, 1));
        List<Map<String, Object>> again = ResultsFile.read(out.resolve("results.jsonl"));
        assertEquals(rows.get(0).get("eval"), again.get(0).get("eval"), "a resumed run continues exactly");
        assertEquals(rows.get(0).get("train"), again.get(0).get("train"));
    }
}
