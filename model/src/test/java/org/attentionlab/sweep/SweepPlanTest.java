package org.attentionlab.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.PositionEmbedding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sweep files: cells from grids, zips, repeats and devices, values applied as --set, mistakes at the sweep's line and column. */
class SweepPlanTest {

    static final String BASE = """
            architecture: rnope_swa
            embed_dim: 16
            hidden_size: 16
            num_attention_heads: 2
            num_hidden_layers: 4
            sliding_window: 8
            intermediate_size: 32
            """;

    @TempDir
    Path dir;

    SweepPlan plan(String sweep) throws IOException {
        Files.writeString(dir.resolve("base.yaml"), BASE);
        Path file = dir.resolve("sweep.yaml");
        Files.writeString(file, sweep);
        return SweepPlan.read(file);
    }

    ConfigException error(String sweep) {
        return assertThrows(ConfigException.class, () -> plan(sweep));
    }

    @Test
    void gridAndZipCrossWithRepeatsAndDevices() throws IOException {
        SweepPlan plan = plan("""
                base: base.yaml
                grid:
                  position_embedding: [none, rope, alibi]
                  sliding_window: [4, 8]
                zip:
                  - num_attention_heads: [2, 4]
                    head_dim: [8, 4]
                repeats: 2
                devices: [jvm, jvm]
                speed: {lengths: [8]}
                """);
        assertEquals(3 * 2 * 2 * 2 * 2, plan.cells().size());
        assertEquals(plan.cells().size(), plan.cells().stream().map(SweepPlan.Cell::id).distinct().count(), "ids are distinct");
        SweepPlan.Cell last = plan.cells().get(plan.cells().size() - 1);
        assertEquals(PositionEmbedding.ALIBI, last.spec().blocks().get(0).positionEmbedding());
        assertEquals(8, last.spec().blocks().get(0).window());
        assertEquals(4, last.spec().blocks().get(0).attention().heads());
        assertEquals(1, last.spec().seed(), "repeat 1 adds 1 to the config's seed");
        assertEquals(1, last.deviceOccurrence());
        assertEquals(Map.of("position_embedding", "alibi", "sliding_window", 8L, "num_attention_heads", 4L, "head_dim", 4L, "seed", 1L), last.axisValues(0));
    }

    @Test
    void idsAreStableAndDependOnResolvedSettingsOnly() throws IOException {
        String sweep = """
                base: base.yaml
                grid: {sliding_window: [4, 8]}
                speed: {lengths: [8]}
                """;
        List<String> first = plan(sweep).cells().stream().map(SweepPlan.Cell::id).toList();
        List<String> again = plan(sweep).cells().stream().map(SweepPlan.Cell::id).toList();
        assertEquals(first, again);
        // the same settings written another way give the same id
        List<String> other = plan(sweep.replace("grid:", "set: {intermediate_size: 32}\ngrid:")).cells().stream().map(SweepPlan.Cell::id).toList();
        assertEquals(first, other);
        List<String> longer = plan(sweep.replace("[8]}", "[8, 16]}")).cells().stream().map(SweepPlan.Cell::id).toList();
        assertNotEquals(first.get(0), longer.get(0), "what a cell measures is part of its id");
    }

    @Test
    void perLayerAxesAndLayerPatterns() throws IOException {
        SweepPlan plan = plan("""
                base: base.yaml
                grid:
                  layers.3.position_embedding: [rope, none]
                zip:
                  - sliding_window_pattern: [SSSF, SF]
                speed: {lengths: [8]}
                """);
        assertEquals(4, plan.cells().size());
        List<BlockSpec> blocks = plan.cells().get(0).spec().blocks();
        assertEquals(PositionEmbedding.ROPE, blocks.get(3).positionEmbedding());
        assertEquals(PositionEmbedding.NONE, blocks.get(2).positionEmbedding());
        assertEquals(List.of(LayerType.SLIDING, LayerType.SLIDING, LayerType.SLIDING, LayerType.FULL), plan.cells().get(0).spec().layerTypes());
        assertEquals(List.of(LayerType.SLIDING, LayerType.FULL, LayerType.SLIDING, LayerType.FULL), plan.cells().get(1).spec().layerTypes());
        assertEquals("layers={3: {position_embedding: rope}}", plan.cells().get(0).assignments().get(0).setArgument());
    }

    @Test
    void anAxisValueThatBreaksTheConfigIsReportedAtThatValue() {
        ConfigException e = error("""
                base: base.yaml
                grid:
                  position_embedding: [none, ropey]
                speed: {lengths: [8]}
                """);
        assertTrue(e.getMessage().startsWith(dir.resolve("sweep.yaml") + ":3:30: grid.position_embedding[1]: unknown value 'ropey'"), e.getMessage());
        e = error("""
                base: base.yaml
                grid:
                  num_attention_heads: [2, 3]
                speed: {lengths: [8]}
                """);
        assertTrue(e.getMessage().startsWith(dir.resolve("sweep.yaml") + ":3:28: "), e.getMessage());
        assertTrue(e.getMessage().contains("not divisible by num_attention_heads 3"), e.getMessage());
    }

    @Test
    void anUnknownConfigKeyIsReportedAtTheAxisKey() {
        ConfigException e = error("""
                base: base.yaml
                grid:
                  slidng_window: [4]
                speed: {lengths: [8]}
                """);
        assertEquals(dir.resolve("sweep.yaml") + ":3:3: grid.slidng_window: unknown key (did you mean sliding_window?)", e.getMessage());
    }

    @Test
    void malformedSweepFilesFailWithFileLineAndColumn() {
        assertEquals(dir.resolve("sweep.yaml") + ":2:1: gird: unknown key (did you mean grid?)", error("""
                base: base.yaml
                gird: {sliding_window: [4]}
                speed: {lengths: [8]}
                """).getMessage());
        assertTrue(error("""
                base: base.yaml
                zip:
                  - sliding_window: [4, 8]
                    num_attention_heads: [2]
                speed: {lengths: [8]}
                """).getMessage().startsWith(dir.resolve("sweep.yaml") + ":4:5: zip[0].num_attention_heads: has 1 values, but sliding_window"));
        assertTrue(error("""
                base: base.yaml
                grid: {sliding_window: 4}
                speed: {lengths: [8]}
                """).getMessage().startsWith(dir.resolve("sweep.yaml") + ":2:24: grid.sliding_window: expected the list of values"));
        assertTrue(error("""
                base: base.yaml
                devices: [jvm, gpu]
                speed: {lengths: [8]}
                """).getMessage().startsWith(dir.resolve("sweep.yaml") + ":2:16: devices[1]: expected jvm or tornado"));
        assertTrue(error("""
                base: base.yaml
                speed: {lengths: [0]}
                """).getMessage().startsWith(dir.resolve("sweep.yaml") + ":2:19: speed.lengths[0]: must be at least 1"));
        assertTrue(error("""
                base: base.yaml
                analyses: {metrics: [attention_entropi]}
                """).getMessage().contains("did you mean attention_entropy?"));
        assertTrue(error("base: missing.yaml\nspeed: {lengths: [8]}\n").getMessage().contains("missing.yaml does not exist"));
        assertTrue(error("grid: {sliding_window: [4]}\nspeed: {lengths: [8]}\n").getMessage().contains("base: required key is missing"));
        assertTrue(error("base: base.yaml\n").getMessage().contains("the sweep measures nothing"));
        assertTrue(error("base: base.yaml\nspeed: {lengths: [8]\n").getMessage().startsWith(dir.resolve("sweep.yaml") + ":3:1: yaml: "));
    }

    @Test
    void anAxisValueWithoutEffectIsReported() {
        ConfigException e = error("""
                base: base.yaml
                grid:
                  sliding_window_pattern: [SF, 2]
                speed: {lengths: [8]}
                """);
        assertTrue(e.getMessage().startsWith(dir.resolve("sweep.yaml") + ":3:32: "), e.getMessage());
        assertTrue(e.getMessage().contains("resolves to the same config as sliding_window_pattern=SF"), e.getMessage());
    }

    @Test
    void evaluationNeedsATrainBlockAndTrainAxesGoThroughSet() throws IOException {
        ConfigException e = error("""
                base: base.yaml
                eval: {lengths: [64, 128]}
                """);
        assertTrue(e.getMessage().startsWith(dir.resolve("sweep.yaml") + ":2:7: eval: needs a trained model: the config has no train: block"), e.getMessage());
        Files.writeString(dir.resolve("base.yaml"), TRAINABLE);
        Path file = dir.resolve("train-sweep.yaml");
        Files.writeString(file, """
                base: base.yaml
                grid:
                  train.seq_len: [32, 64]
                  position_embedding: [none, alibi]
                eval: {lengths: [64, 128]}
                """);
        SweepPlan plan = SweepPlan.read(file);
        assertEquals(4, plan.cells().size());
        assertEquals(64, plan.cells().get(3).train().orElseThrow().seqLen());
        assertEquals(2, plan.cells().stream().map(SweepPlan.Cell::trainingId).filter(plan.cells().get(0).trainingId()::equals).count() + 1,
                "the training id depends on the model and train: block only");
        Files.writeString(file, "base: base.yaml\ngrid:\n  train.stepz: [10]\nspeed: {lengths: [8]}\n");
        e = assertThrows(ConfigException.class, () -> SweepPlan.read(file));
        assertTrue(e.getMessage().startsWith(file + ":3:3: grid.train.stepz: "), e.getMessage());
    }

    static final String TRAINABLE = """
            architecture: rnope_swa
            vocab_size: 65
            hidden_size: 16
            num_attention_heads: 2
            num_hidden_layers: 1
            sliding_window: 8
            intermediate_size: 32
            dropout: 0
            output: logits
            train:
              task: associative_recall
              pairs: 2
              keys: 32
              values: 32
              steps: 4
              batch_size: 2
              seq_len: 32
              eval_lengths: [32]
              log_interval: 1
              checkpoint_interval: 2
            """;
}
