package org.attentionlab.model.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.Model;
import org.attentionlab.model.PyTorchTwinsTest;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.layers.OutputHead;
import org.attentionlab.model.layers.TransformerBlock;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The rnope-swa twin (input projection, two pre-norm blocks, final LayerNorm, last position) over 2 x 64 rows, its
 * layers' tasks added as a forward pass adds them ({@link ModelExecution#addLayer}), on the JVM implementation: with
 * register tiles on 2 cores, where each block leaves its update after attention (o_proj, the feed-forward and both
 * residual adds) to the layer after it (block 1 adds block 0's as one task, {@link TransformerBlock#RESIDUAL_FEED_FORWARD_TASK};
 * the head adds block 1's without the down projection, {@link TransformerBlock#RESIDUAL_NORM_TASK}, and runs that in
 * {@link OutputHead#RESIDUAL_NORM_TASK} with the final norm and the last positions), against the same geometry on 8
 * cores, where too few rows per core keep every step a task of its own. The same output bit for bit, and the tasks
 * that were fused; also the twin without its input projection, whose first block copies the model's input into the
 * stream in its first task. The kernels' own equality is ResidualNormFusionsTest's (and, on PoCL, ResidualNormFusionsIT's).
 */
class FusedAcrossLayersTest {

    @Test
    void theLastBlockThatHandsItsDownProjectionToTheHeadGivesTheSeparateTasksOutput() throws Exception {
        Model model = FusedBlockTasksTest.twin();
        Runs runs = Runs.of(model, 11);
        Map<String, LayerTasks.Label> fusedTasks = runs.fusedTasks();
        Map<String, LayerTasks.Label> separateTasks = runs.separateTasks();
        int blocks = (int) model.layers().stream().filter(layer -> layer instanceof TransformerBlock).count();
        assertEquals(2, blocks);
        assertEquals(1, LayerTasks.layersWithTask(fusedTasks, OutputHead.RESIDUAL_NORM_TASK), fusedTasks.keySet().toString());
        assertEquals(1, LayerTasks.layersWithTask(fusedTasks, TransformerBlock.RESIDUAL_FEED_FORWARD_TASK), fusedTasks.keySet().toString());
        assertEquals(1, LayerTasks.layersWithTask(fusedTasks, TransformerBlock.RESIDUAL_NORM_TASK), fusedTasks.keySet().toString());
        assertEquals(0, LayerTasks.layersWithTask(fusedTasks, "down_proj"), "block 0's in its feed-forward task, block 1's in the head's: " + fusedTasks.keySet());
        assertFalse(fusedTasks.containsKey("g.l3_final_norm") || fusedTasks.containsKey("g.l3_last_position"), fusedTasks.keySet().toString());
        assertEquals(2, LayerTasks.layersWithTask(separateTasks, "down_proj"), separateTasks.keySet().toString());
        assertTrue(separateTasks.containsKey("g.l3_final_norm") && separateTasks.containsKey("g.l3_last_position"), separateTasks.keySet().toString());
        // Per block: the two norms and o_proj inside the projections; block 0's down projection in its feed-forward's task;
        // then block 1's down projection, the final norm and the last positions in one task.
        assertEquals(separateTasks.size() - 3 * blocks - 1 - 2, fusedTasks.size(), "fused " + fusedTasks.keySet() + ", separate " + separateTasks.keySet());
        assertArrayEquals(runs.separate(), runs.fused(), "the model's output, fused across layers against separate tasks");
    }

    @Test
    void aFirstBlockThatCopiesTheInputItselfGivesTheSeparateTasksOutput() throws Exception {
        // The twin without its input projection (embed_dim = hidden_size), seeded weights: block 0 reads the model's input.
        Model model = Model.build(ConfigLoader.load(PyTorchTwinsTest.resource("rnope-swa.yaml"), List.of("embed_dim=16")));
        Runs runs = Runs.of(model, 13);
        Map<String, LayerTasks.Label> fusedTasks = runs.fusedTasks();
        Map<String, LayerTasks.Label> separateTasks = runs.separateTasks();
        assertTrue(fusedTasks.containsKey("g.l0_" + TransformerBlock.INPUT_QKV_TASK) && !fusedTasks.containsKey("g.l0_input_copy"), fusedTasks.keySet().toString());
        assertTrue(separateTasks.containsKey("g.l0_input_copy"), separateTasks.keySet().toString());
        assertEquals(separateTasks.size() - 3 * 2 - 1 - 2 - 1, fusedTasks.size(), "fused " + fusedTasks.keySet() + ", separate " + separateTasks.keySet());
        assertArrayEquals(runs.separate(), runs.fused(), "the model's output, the input copied in block 0's first task against a copy task");
        assertArrayEquals(runs.input(), FusedBlockTasksTest.uniformInput(runs.input().length, 13), "the input as the caller wrote it");
    }

    /**
     * Flash on register tiles runs flashTiled with k and v head-major ({@link LaunchGeometry#kvLayout}): the q/k/v
     * projection stores them so, and qk-norm and RoPE on k follow. The rnope-swa twin made flash with RoPE, qk-norm and
     * GQA 4/2 (seeded weights), over 2 x 64 rows: the same output as flash's blocks on a geometry without register
     * tiles (token-major k and v), within the twins' tolerance (another kernel: not the same bits).
     */
    @Test
    void flashWithHeadMajorKeysAndValuesGivesTheTokenMajorOutput() throws Exception {
        Model model = Model.build(ConfigLoader.load(PyTorchTwinsTest.resource("rnope-swa.yaml"),
                List.of("attention_algorithm=flash", "num_key_value_heads=2", "qk_norm=true", "position_embedding=rope")));
        RunShape shape = RunShape.inference(2, 64);
        float[] input = FusedBlockTasksTest.uniformInput(shape.rows() * model.inputWidth(), 17);
        Map<String, LayerTasks.Label> tiledTasks = new HashMap<>();
        float[] headMajor = run(model.layers(), shape, input, new LaunchGeometry(1, "test", "CPU", null, 0, true, 2), tiledTasks);
        assertEquals(org.attentionlab.kernels.AttentionLaunch.KvLayout.HEAD_MAJOR,
                new LaunchGeometry(1, "test", "CPU", null, 0, true, 2).kvLayout(org.attentionlab.kernels.AttentionLaunch.Algorithm.FLASH_TILED));
        assertTrue(tiledTasks.keySet().stream().anyMatch(name -> name.endsWith("rope_k")) && tiledTasks.keySet().stream().anyMatch(name -> name.endsWith("k_norm")),
                tiledTasks.keySet().toString());
        float[] tokenMajor = run(model.layers(), shape, input, new LaunchGeometry(1, "test", "CPU", null, 0, false), new HashMap<>());
        PyTorchTwinsTest.assertClose(headMajor, tokenMajor, "rnope-swa, flash, RoPE, qk-norm, GQA 4/2: head-major k and v on register tiles against flash's blocks");
    }

    /** A model's output and tasks over 2 x 64 rows of input from {@code seed}, fused (2 cores) and separate (8 cores). */
    record Runs(float[] input, float[] fused, Map<String, LayerTasks.Label> fusedTasks, float[] separate, Map<String, LayerTasks.Label> separateTasks) {
        static Runs of(Model model, long seed) throws TornadoExecutionPlanException {
            RunShape shape = RunShape.inference(2, 64);
            float[] input = FusedBlockTasksTest.uniformInput(shape.rows() * model.inputWidth(), seed);
            Map<String, LayerTasks.Label> fusedTasks = new HashMap<>();
            float[] fused = run(model.layers(), shape, input, 2, fusedTasks);
            Map<String, LayerTasks.Label> separateTasks = new HashMap<>();
            float[] separate = run(model.layers(), shape, input, 8, separateTasks);
            return new Runs(input, fused, fusedTasks, separate, separateTasks);
        }
    }

    /** The output of the layers from {@code input}, their tasks in one graph on a register-tile geometry of {@code cores}; {@code labels}: the tasks. */
    private static float[] run(List<Layer> layers, RunShape shape, float[] input, int cores, Map<String, LayerTasks.Label> labels)
            throws TornadoExecutionPlanException {
        return run(layers, shape, input, new LaunchGeometry(1, "test", "CPU", null, 0, true, cores), labels);
    }

    /** {@link #run(List, RunShape, float[], int, Map)} on {@code geometry}. */
    private static float[] run(List<Layer> layers, RunShape shape, float[] input, LaunchGeometry geometry, Map<String, LayerTasks.Label> labels)
            throws TornadoExecutionPlanException {
        TrackedTaskGraph graph = new TrackedTaskGraph("g");
        GridScheduler grids = new GridScheduler();
        Map<String, FloatArray> scratch = new HashMap<>();
        LayerTasks.Handoff handoff = new LayerTasks.Handoff();
        FloatArray inputArray = FloatArray.fromArray(input);
        FloatArray stream = new FloatArray(input.length);
        List<Object> constants = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            constants.addAll(layers.get(i).deviceConstants());
            LayerTasks tasks = new LayerTasks(graph, shape, scratch, grids, geometry, i, labels, null, false, handoff);
            if (i == 0) {
                // As ModelExecution: the layers update a copy of the input.
                tasks.defer(new ModelExecution.InputCopy(inputArray, stream));
            }
            stream = ModelExecution.addLayer(layers.get(i), tasks, i, i == layers.size() - 1, null, stream);
        }
        TaskGraph linked = graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, constants.toArray()).transferToDevice(DataTransferMode.EVERY_EXECUTION,
                inputArray).transferToHost(DataTransferMode.EVERY_EXECUTION, stream);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(linked.snapshot())) {
            plan.withGridScheduler(grids).execute();
        }
        return stream.toHeapArray();
    }
}
