package org.attentionlab.model.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.kernels.AttentionKernels;
import org.attentionlab.kernels.AttentionLaunch;
import org.attentionlab.kernels.AttentionMasks;
import org.attentionlab.kernels.MatrixMultiply;
import org.attentionlab.kernels.PositionalBiases;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.layers.TransformerBlock;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Which projection and flash attention kernels {@link LaunchGeometry} picks per device, and that the grid and
 * {@code --json} follow the pick: register tiles on an OpenCL CPU (PoCL), row blocks on the JVM implementation and on a GPU.
 */
class LaunchGeometryTest {

    @Test
    void registerTilesOnlyOnTornadoDevicesThatAreNotGpus() {
        assertTrue(LaunchGeometry.registerTilesFor(TornadoVMBackendType.OPENCL, TornadoDeviceType.CPU));
        assertTrue(LaunchGeometry.registerTilesFor(TornadoVMBackendType.OPENCL, TornadoDeviceType.ACCELERATOR));
        assertFalse(LaunchGeometry.registerTilesFor(TornadoVMBackendType.JAVA, TornadoDeviceType.CPU));
        assertFalse(LaunchGeometry.registerTilesFor(TornadoVMBackendType.OPENCL, TornadoDeviceType.GPU));
        assertFalse(LaunchGeometry.registerTilesFor(TornadoVMBackendType.PTX, TornadoDeviceType.GPU));
    }

    @Test
    void theGridAndTheReportFollowTheChoice() {
        LaunchGeometry tiles = new LaunchGeometry(2, "test", "CPU", null, 0, true);
        LaunchGeometry rowBlocks = new LaunchGeometry(2, "test", "CPU", null, 0, false);
        assertArrayEquals(MatrixMultiply.tiledGrid(300, 40, 2).getGlobalWork(), tiles.projection(300, 40).getGlobalWork());
        assertArrayEquals(MatrixMultiply.grid(300, 40, 2).getGlobalWork(), rowBlocks.projection(300, 40).getGlobalWork());
        assertArrayEquals(MatrixMultiply.productTiledGrid(300, 40, 2).getGlobalWork(), tiles.product(300, 40).getGlobalWork());
        assertArrayEquals(MatrixMultiply.grid(300, 40, 2).getGlobalWork(), rowBlocks.product(300, 40).getGlobalWork());
        assertArrayEquals(MatrixMultiply.grid(300, 40, 2).getGlobalWork(), tiles.matrix(300, 40).getGlobalWork(), "product keeps row blocks");
        assertEquals("register_tiles", tiles.report().get("projection_kernel"));
        assertEquals("row_blocks", rowBlocks.report().get("projection_kernel"));
    }

    /** The gated feed-forward's gate and up projections follow the same choice ({@code MatrixMultiply.gatedLinearTiled}). */
    @Test
    void aGatedFeedForwardFollowsTheChoice() {
        Model model = Model.build(ConfigLoader.load(LayerBuffersTest.TWINS.resolve("rnope-swa-geglu.yaml")));
        RunShape shape = RunShape.inference(1, 40);
        for (boolean registerTiles : new boolean[] { true, false }) {
            // 4 cores: 40 rows are too few to give each a group, so the norm stays a task of its own.
            LaunchGeometry geometry = new LaunchGeometry(2, "test", "CPU", null, 0, registerTiles, 4);
            GridScheduler grids = new GridScheduler();
            Layer block = model.layers().stream().filter(layer -> layer.describe().contains("geglu")).findFirst().orElseThrow();
            block.addTasks(new LayerTasks(new TaskGraph("g"), shape, new HashMap<>(), grids, geometry, 0, new HashMap<>(), null, false),
                    new uk.ac.manchester.tornado.api.types.arrays.FloatArray(shape.rows() * block.outputWidth()));
            WorkerGrid gated = grids.get("g.l0_gate_up_proj");
            int hidden = 24; // the twin's intermediate_size
            WorkerGrid expected = registerTiles ? MatrixMultiply.tiledGrid(shape.rows(), hidden, 2) : MatrixMultiply.grid(shape.rows(), hidden, 2);
            assertArrayEquals(expected.getGlobalWork(), gated.getGlobalWork(), "register tiles " + registerTiles);
        }
    }

    /**
     * A pre-norm block on register tiles with rows enough for every core's group runs its norms inside the q/k/v and
     * gated up projections, on their grids; on row blocks, or with too few rows, the norm tasks stay.
     */
    @Test
    void preNormsRunInsideTheProjectionsWhereTheGeometryAllows() {
        Model model = Model.build(ConfigLoader.load(LayerBuffersTest.TWINS.resolve("rnope-swa-geglu.yaml")));
        Layer block = model.layers().stream().filter(layer -> layer.describe().contains("geglu")).findFirst().orElseThrow();
        RunShape shape = RunShape.inference(2, 64);
        int qkv = 3 * block.outputWidth();
        int hidden = 24; // the twin's intermediate_size
        for (int cores : new int[] { 2, 8 }) {
            for (boolean registerTiles : new boolean[] { true, false }) {
                LaunchGeometry geometry = new LaunchGeometry(1, "test", "CPU", null, 0, registerTiles, cores);
                GridScheduler grids = new GridScheduler();
                TaskGraph graph = new TaskGraph("g");
                block.addTasks(new LayerTasks(graph, shape, new HashMap<>(), grids, geometry, 0, new HashMap<>(), null, false), new FloatArray(shape.rows() * block.outputWidth()));
                boolean fused = registerTiles && cores == 2;
                assertEquals(fused ? 64 : 0, geometry.normGroupRows(shape.rows(), qkv), cores + " cores, register tiles " + registerTiles);
                assertEquals(fused ? "fused" : "separate", geometry.report(shape.rows()).get("norm_projection_kernel"));
                if (fused) {
                    assertArrayEquals(MatrixMultiply.normTiledGrid(128, qkv, 64).getLocalWork(), grids.get("g.l0_attn_norm_qkv_proj").getLocalWork());
                    assertArrayEquals(MatrixMultiply.normTiledGrid(128, hidden, 64).getGlobalWork(), grids.get("g.l0_ffn_norm_gate_up_proj").getGlobalWork());
                    assertEquals(null, grids.get("g.l0_qkv_proj"));
                } else {
                    assertTrue(grids.get("g.l0_qkv_proj") != null && grids.get("g.l0_gate_up_proj") != null);
                    assertEquals(null, grids.get("g.l0_attn_norm_qkv_proj"));
                }
            }
        }
    }

    /**
     * An ungated pre-norm block runs o_proj, its residual add, ffn_norm, the up projection, down_proj and its residual add
     * as one task where the norms fuse (a block alone, with no layer after it to hand the task to), over the wider of
     * o_proj and up_proj; elsewhere (row blocks, too few rows) o_proj stays a task and so does
     * the norm or the norm projection; a gated block keeps o_proj a task (its fused kernel would take too many arguments).
     */
    @Test
    void oProjJoinsTheFeedForwardNormProjectionWhereTheNormsFuse() {
        RunShape shape = RunShape.inference(2, 64);
        for (String twin : new String[] { "rnope-swa.yaml", "rnope-swa-geglu.yaml" }) {
            Model model = Model.build(ConfigLoader.load(LayerBuffersTest.TWINS.resolve(twin)));
            Layer block = model.layers().stream().filter(layer -> layer.describe().startsWith("block")).findFirst().orElseThrow();
            boolean gated = twin.contains("geglu");
            int width = block.outputWidth();
            int hidden = gated ? 24 : 32; // the twins' intermediate_size
            for (int cores : new int[] { 2, 8 }) {
                for (boolean registerTiles : new boolean[] { true, false }) {
                    LaunchGeometry geometry = new LaunchGeometry(1, "test", "CPU", null, 0, registerTiles, cores);
                    GridScheduler grids = new GridScheduler();
                    Map<String, LayerTasks.Label> labels = new HashMap<>();
                    block.addTasks(new LayerTasks(new TaskGraph("g"), shape, new HashMap<>(), grids, geometry, 0, labels, null, false),
                            new FloatArray(shape.rows() * width));
                    boolean fused = registerTiles && cores == 2 && !gated;
                    String what = twin + ", " + cores + " cores, register tiles " + registerTiles;
                    // What forward --json reports: counted from the tasks built, so a gated block is not reported fused.
                    assertEquals(fused ? 1 : 0, LayerTasks.layersWithTask(labels, TransformerBlock.RESIDUAL_FEED_FORWARD_TASK), what);
                    assertEquals(0, LayerTasks.layersWithTask(labels, TransformerBlock.RESIDUAL_NORM_TASK), what);
                    if (fused) {
                        assertArrayEquals(MatrixMultiply.normTiledGrid(128, Math.max(width, hidden), 64).getGlobalWork(),
                                grids.get("g.l0_" + TransformerBlock.RESIDUAL_FEED_FORWARD_TASK).getGlobalWork(), what);
                        assertEquals(null, grids.get("g.l0_o_proj"), what);
                        assertEquals(null, grids.get("g.l0_ffn_norm_up_proj"), what);
                        assertFalse(labels.containsKey("g.l0_down_proj"), what);
                    } else {
                        assertTrue(grids.get("g.l0_o_proj") != null, what);
                        assertEquals(null, grids.get("g.l0_" + TransformerBlock.RESIDUAL_FEED_FORWARD_TASK), what);
                    }
                }
            }
        }
    }

    @Test
    void flashRunsAsRegisterTilesWhereTheProjectionsDoAndEveryOtherAlgorithmAsItself() {
        LaunchGeometry tiles = new LaunchGeometry(1, "test", "CPU", null, 0, true);
        LaunchGeometry blocks = new LaunchGeometry(1, "test", "CPU", null, 0, false);
        assertEquals(AttentionLaunch.Algorithm.FLASH_TILED, tiles.attentionKernel(AttentionLaunch.Algorithm.FLASH));
        assertEquals(AttentionLaunch.Algorithm.FLASH, blocks.attentionKernel(AttentionLaunch.Algorithm.FLASH));
        for (AttentionLaunch.Algorithm other : new AttentionLaunch.Algorithm[] { AttentionLaunch.Algorithm.STANDARD, AttentionLaunch.Algorithm.CHUNKED,
                AttentionLaunch.Algorithm.MEMORY_EFFICIENT }) {
            assertEquals(other, tiles.attentionKernel(other));
            assertEquals(other, blocks.attentionKernel(other));
        }
        assertEquals("register_tiles", tiles.report().get("flash_kernel"));
        assertEquals("blocks", blocks.report().get("flash_kernel"));
    }

    /** Training's attention backward runs register tiles where the projections do, if the head dimension fits them; rows otherwise. */
    @Test
    void theAttentionBackwardFollowsTheChoice() {
        LaunchGeometry tiles = new LaunchGeometry(1, "test", "CPU", null, 0, true);
        LaunchGeometry rows = new LaunchGeometry(1, "test", "CPU", null, 0, false);
        for (int headDim : new int[] { 1, 45, AttentionKernels.FLASH_MAX_HEAD_DIM, AttentionKernels.FLASH_MAX_HEAD_DIM + 1 }) {
            AttentionLaunch launch = new AttentionLaunch(AttentionLaunch.Algorithm.FLASH, 2, 20, 4, 2, headDim, AttentionMasks.windows(4,
                    AttentionMasks.Window.causal()), true, IntArray.fromArray(new int[] { 0 }), 0, PositionalBiases.NONE,
                    FloatArray.fromArray(new float[] { 0f }), 0f, 1f, 8);
            boolean fits = headDim <= AttentionKernels.FLASH_MAX_HEAD_DIM;
            assertEquals(fits ? AttentionLaunch.Backward.REGISTER_TILES : AttentionLaunch.Backward.ROWS, tiles.attentionBackward(launch), "head_dim " + headDim);
            assertEquals(AttentionLaunch.Backward.ROWS, rows.attentionBackward(launch), "head_dim " + headDim);
            assertEquals(List.of("_log_sum_exp", "_dq", "_dkdv"), List.copyOf(launch.backwardGrids(AttentionLaunch.Backward.REGISTER_TILES, 1).keySet()));
            assertArrayEquals(AttentionKernels.flashGrid(2, 2, 20, 1).getGlobalWork(),
                    launch.backwardGrids(AttentionLaunch.Backward.REGISTER_TILES, 1).get("_dkdv").getGlobalWork(), "dk/dv over the kv heads");
            assertTrue(launch.backwardGrids(AttentionLaunch.Backward.ROWS, 1).isEmpty());
        }
        // The choice depends on the layer's head dimension too, so the geometry does not report one: the step counts them.
        assertFalse(tiles.report().containsKey("attention_backward_kernel"));
    }

    /** The register tiles' vector width is recorded with where it came from; without register tiles it is not used. */
    @Test
    void theReportRecordsTheVectorLanesOfRegisterTiles() {
        LaunchGeometry narrow = new LaunchGeometry(1, "test", "CPU", null, 0, true, 2, 8, "vector_lanes");
        LaunchGeometry rowBlocks = new LaunchGeometry(1, "test", "GPU", null, 0, false, 2, 16, "host CPU: avx512f");
        assertEquals(8, narrow.report().get("vector_lanes"));
        assertEquals("vector_lanes", narrow.report().get("vector_lanes_chosen_by"));
        assertEquals(null, rowBlocks.report().get("vector_lanes"));
        assertEquals("unused: no register tiles on this device", rowBlocks.report().get("vector_lanes_chosen_by"));
        assertThrows(IllegalArgumentException.class, () -> new LaunchGeometry(1, "test", "CPU", null, 0, true, 2, 12, "test"));
    }

    /** 16 lanes exactly where this machine's /proc/cpuinfo lists AVX-512 Foundation among a CPU's flags (read here apart). */
    @Test
    void theHostsLanesFollowItsAvx512Flag() throws java.io.IOException {
        java.nio.file.Path cpuinfo = java.nio.file.Path.of("/proc/cpuinfo");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isReadable(cpuinfo), "no /proc/cpuinfo here");
        boolean avx512 = java.util.regex.Pattern.compile("(?m)^flags\\s*:.*\\bavx512f\\b").matcher(java.nio.file.Files.readString(cpuinfo)).find();
        assertEquals(avx512 ? 16 : 8, LaunchGeometry.HostVectors.LANES, LaunchGeometry.HostVectors.SOURCE);
        assertEquals(avx512 ? "host CPU: avx512f" : "host CPU: no avx512f", LaunchGeometry.HostVectors.SOURCE);
    }

    /** A config's {@code vector_lanes} reaches the run's options; unset, the device decides. */
    @Test
    void aConfigCanSetTheVectorLanes() throws Exception {
        java.nio.file.Path config = LayerBuffersTest.TWINS.resolve("rnope-swa-geglu.yaml");
        assertEquals(8, Model.build(ConfigLoader.load(config, List.of("vector_lanes=8"))).executionOptions().vectorLanes());
        assertEquals(16, Model.build(ConfigLoader.load(config, List.of("vector_lanes=16"))).executionOptions().vectorLanes());
        assertEquals(null, Model.build(ConfigLoader.load(config)).executionOptions().vectorLanes());
    }
}
