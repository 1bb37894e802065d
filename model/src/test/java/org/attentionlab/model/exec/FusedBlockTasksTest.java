package org.attentionlab.model.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.attentionlab.model.Model;
import org.attentionlab.model.PyTorchTwinsTest;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.layers.TransformerBlock;
import org.attentionlab.model.weights.SafeTensors;
import org.attentionlab.model.weights.Tensor;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A pre-norm block's tasks with the norms, o_proj and down_proj fused into the projections (register tiles, rows enough
 * for a group per core: {@code l0_attn_norm_qkv_proj} and {@code l0_o_proj_and_ffn}) and with every step a task of
 * its own (the same geometry on 8 cores: too few rows per core to fuse; four tasks more), run on the JVM implementation with the rnope-swa
 * twin's weights over 128 rows: the same residual stream bit for bit. The model's wiring of the fused kernels (their
 * arguments, buffers and grids) is what this checks; the kernels' own equality is ResidualNormLinearTest's and
 * NormProjectionsTest's (and, on PoCL, their ITs: the twins' 22 rows are too few to fuse on the device).
 */
class FusedBlockTasksTest {

    /** The rnope-swa PyTorch twin with its weights. */
    static Model twin() throws Exception {
        Model model = Model.build(ConfigLoader.load(PyTorchTwinsTest.resource("rnope-swa.yaml")));
        Map<String, Tensor> weights = new LinkedHashMap<>(SafeTensors.read(PyTorchTwinsTest.resource("rnope-swa.safetensors")));
        weights.remove("input");
        weights.remove("output");
        model.parameters().loadFrom("rnope-swa", weights);
        return model;
    }

    /** {@code size} values uniform in [-2, 2) from {@code seed}. */
    static float[] uniformInput(int size, long seed) {
        float[] x = new float[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-2, 2);
        }
        return x;
    }

    @Test
    void theFusedBlockGivesTheSeparateTasksStream() throws Exception {
        Model model = twin();
        Layer block = model.layers().stream().filter(layer -> layer.describe().startsWith("block")).findFirst().orElseThrow();
        RunShape shape = RunShape.inference(2, 64);
        float[] x = uniformInput(shape.rows() * block.outputWidth(), 5);
        TrackedTaskGraph fusedGraph = new TrackedTaskGraph("g");
        float[] fused = run(block, shape, x, 2, "l0_" + TransformerBlock.RESIDUAL_FEED_FORWARD_TASK, fusedGraph);
        TrackedTaskGraph separateGraph = new TrackedTaskGraph("g");
        float[] separate = run(block, shape, x, 8, "l0_o_proj", separateGraph);
        assertEquals(separateGraph.size() - 4, fusedGraph.size(), "two norms, o_proj and down_proj inside the projections");
        assertArrayEquals(separate, fused, "the block's output stream, fused against separate tasks");
    }

    /** The block's output stream from {@code x}, its tasks in {@code graph} on a register-tile geometry of {@code cores}, {@code task} among them. */
    private static float[] run(Layer block, RunShape shape, float[] x, int cores, String task, TrackedTaskGraph graph) throws TornadoExecutionPlanException {
        LaunchGeometry geometry = new LaunchGeometry(1, "test", "CPU", null, 0, true, cores);
        FloatArray stream = FloatArray.fromArray(x);
        GridScheduler grids = new GridScheduler();
        block.addTasks(new LayerTasks(graph, shape, new HashMap<>(), grids, geometry, 0, new HashMap<>(), null, false), stream);
        assertNotNull(grids.get("g." + task), task + " on " + cores + " cores");
        List<Object> constants = block.deviceConstants();
        TaskGraph linked = graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, constants.toArray()).transferToDevice(DataTransferMode.EVERY_EXECUTION,
                stream).transferToHost(DataTransferMode.EVERY_EXECUTION, stream);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(linked.snapshot())) {
            plan.withGridScheduler(grids).execute();
        }
        return stream.toHeapArray();
    }
}
