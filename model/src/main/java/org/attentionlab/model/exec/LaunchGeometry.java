package org.attentionlab.model.exec;

import java.util.Map;
import java.util.LinkedHashMap;

import org.attentionlab.kernels.AttentionLaunch;
import org.attentionlab.kernels.MatrixMultiply;
import org.attentionlab.model.InputException;

import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;

/**
 * The work-group sizes of a run's KernelContext tasks, chosen once per device: {@code groupItems} work-items per group
 * along the blocks of the matrix products ({@link MatrixMultiply#grid}) and of flash attention
 * ({@link AttentionLaunch#grid(int)}). Neither kernel uses local memory or barriers, so any size gives the same
 * results; the size only decides how work-items are packed. From the device: {@link MatrixMultiply#GPU_GROUP_ITEMS}
 * on a GPU (a warp of blocks), {@link MatrixMultiply#CPU_GROUP_ITEMS} elsewhere (an OpenCL CPU device such as PoCL
 * runs a group's items one after the other on one core: one item per group spreads the blocks over every core),
 * never more than the device's largest work-group dimension; the config's {@code work_group_items} overrides it.
 *
 * <p>{@code registerTiles} picks the kernel of the projections ({@code linear}, the fused q/k/v projection and the
 * gated feed-forward's gate and up projections; in training also the projections' gradient products,
 * {@link MatrixMultiply#productTiled}): {@link MatrixMultiply#linearTiled} / {@code LinearKernels.qkvProjectionTiled} /
 * {@link MatrixMultiply#gatedLinearTiled} on a TornadoVM device that is not a
 * GPU (an OpenCL CPU compiler such as PoCL keeps its tiles in vector registers: 1.5-2x the row blocks, measured), the
 * row-block kernels on the JVM implementation (C2 vectorizes their contiguous column loops, not the tiles) and on GPUs
 * (not measured here). Both give the same results within float rounding; {@code --json} records the choice. The same
 * flag picks flash attention's kernel ({@link #attentionKernel}).
 *
 * <p>{@code vectorLanes} (8 or 16) is the float width of the device's vector registers that the register tiles are
 * shaped for: the kernels that take it keep sums of 16 lanes on a 16-lane device and narrower tiles on an 8-lane one,
 * so that their sums stay in registers (the same results within float rounding, the same bits where a kernel says so).
 * From the config's {@code vector_lanes}, else from the host CPU ({@link HostVectors}: the register tiles run on an
 * OpenCL CPU device, which compiles for the host); {@code --json} records it with its source.
 */
public record LaunchGeometry(int groupItems, String source, String deviceType, long[] maxWorkGroupDimensions, long localMemoryBytes,
        boolean registerTiles, int parallelGroups, int vectorLanes, String vectorLanesSource) {

    public LaunchGeometry {
        if (groupItems < 1) {
            throw new IllegalArgumentException("groupItems must be >= 1, got " + groupItems);
        }
        if (parallelGroups < 1) {
            throw new IllegalArgumentException("parallelGroups must be >= 1, got " + parallelGroups);
        }
        if (vectorLanes != 8 && vectorLanes != 16) {
            throw new IllegalArgumentException("vectorLanes must be 8 or 16, got " + vectorLanes);
        }
    }

    /** A geometry for 16-lane register tiles (the kernels' shapes before {@code vector_lanes}; tests name them). */
    public LaunchGeometry(int groupItems, String source, String deviceType, long[] maxWorkGroupDimensions, long localMemoryBytes, boolean registerTiles,
            int parallelGroups) {
        this(groupItems, source, deviceType, maxWorkGroupDimensions, localMemoryBytes, registerTiles, parallelGroups, 16, source);
    }

    /**
     * A geometry whose device runs as many work-groups at once as this machine has cores
     * ({@link Runtime#availableProcessors()}): true of an OpenCL CPU device (PoCL), the only kind on which
     * {@link #normGroupRows} fuses anything.
     */
    public LaunchGeometry(int groupItems, String source, String deviceType, long[] maxWorkGroupDimensions, long localMemoryBytes, boolean registerTiles) {
        this(groupItems, source, deviceType, maxWorkGroupDimensions, localMemoryBytes, registerTiles, Runtime.getRuntime().availableProcessors());
    }

    /**
     * The geometry for {@code device} (null: TornadoVM's default device), with {@code configured} items per group when
     * not null; a configured size the device cannot run is an input error naming {@code source} (the config).
     */
    public static LaunchGeometry forDevice(TornadoDevice device, Integer configured, Integer configuredLanes, String source) {
        TornadoDevice d = device != null ? device : TornadoExecutionPlan.getDevice(0, 0);
        TornadoDeviceType type = d.getDeviceType();
        long[] dimensions = d.getDeviceMaxWorkgroupDimensions();
        long largest = dimensions == null || dimensions.length < 2 ? Integer.MAX_VALUE : Math.min(dimensions[0], dimensions[1]);
        boolean registerTiles = registerTilesFor(d);
        int lanes = configuredLanes != null ? configuredLanes : HostVectors.LANES;
        String lanesSource = configuredLanes != null ? "vector_lanes" : HostVectors.SOURCE;
        int cores = Runtime.getRuntime().availableProcessors();
        if (configured != null) {
            if (configured > largest) {
                throw new InputException(source + ": work_group_items: " + configured + " work-items per group, but " + d.getDeviceName()
                        + " allows at most " + largest + " along a dimension");
            }
            return new LaunchGeometry(configured, "work_group_items", type.name(), dimensions, d.getDeviceLocalMemorySize(), registerTiles, cores, lanes,
                    lanesSource);
        }
        int fromType = MatrixMultiply.groupItemsFor(type);
        int items = (int) Math.max(1, Math.min(fromType, largest));
        return new LaunchGeometry(items, type == TornadoDeviceType.GPU ? "GPU" : "not a GPU", type.name(), dimensions, d.getDeviceLocalMemorySize(),
                registerTiles, cores, lanes, lanesSource);
    }

    /**
     * The float lanes of this host's widest vector registers, for the register tiles of an OpenCL CPU device (PoCL
     * compiles kernels for the host CPU): 16 with AVX-512 ({@code avx512f} among /proc/cpuinfo's flags), else 8 (AVX2;
     * also where /proc/cpuinfo cannot be read, which {@code SOURCE} says). Tiles shaped for 16 lanes spill on a
     * 16-register AVX2 machine (each 16-lane sum takes two of its registers), tiles for 8 lanes leave half of an
     * AVX-512 core idle.
     */
    static final class HostVectors {
        static final int LANES;
        static final String SOURCE;

        static {
            String flags = null;
            try {
                flags = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo")).stream().filter(line -> line.startsWith("flags"))
                        .findFirst().orElse(null);
            } catch (java.io.IOException | RuntimeException e) {
                flags = null;
            }
            if (flags == null) {
                LANES = 8;
                SOURCE = "host CPU: no flags in /proc/cpuinfo, 8 assumed";
            } else {
                boolean avx512 = java.util.Arrays.asList(flags.split("\\s+")).contains("avx512f");
                LANES = avx512 ? 16 : 8;
                SOURCE = avx512 ? "host CPU: avx512f" : "host CPU: no avx512f";
            }
        }
    }

    private static boolean registerTilesFor(TornadoDevice device) {
        return registerTilesFor(device.getTornadoVMBackend(), device.getDeviceType());
    }

    /** Register tiles on a TornadoVM device that is not a GPU; row blocks on the JVM implementation and on GPUs. */
    static boolean registerTilesFor(TornadoVMBackendType backend, TornadoDeviceType type) {
        return backend != TornadoVMBackendType.JAVA && type != TornadoDeviceType.GPU;
    }

    /** The grid of a row-block matrix product ({@link MatrixMultiply#grid}) with a {@code rows x cols} output. */
    public WorkerGrid matrix(int rows, int cols) {
        return MatrixMultiply.grid(rows, cols, groupItems);
    }

    /** The grid of a projection (plain, q/k/v or gated) with a {@code rows x cols} output: of the kernel {@link #registerTiles} picks. */
    public WorkerGrid projection(int rows, int cols) {
        return registerTiles ? MatrixMultiply.tiledGrid(rows, cols, groupItems) : matrix(rows, cols);
    }

    /** The grid of a projection's gradient product with a {@code rows x cols} output: of the kernel {@link #registerTiles} picks. */
    public WorkerGrid product(int rows, int cols) {
        return registerTiles ? MatrixMultiply.productTiledGrid(rows, cols, groupItems) : matrix(rows, cols);
    }

    /**
     * Rows per work-group with which a register-tiled projection of {@code cols} outputs over {@code rows} rows
     * normalises its own input ({@link MatrixMultiply#normLinearTiled} and its siblings: one task instead of the norm's
     * and the projection's), or 0 to keep the norm a task of its own: on the row blocks (the JVM implementation, GPUs:
     * their goldens and kernels stay as they are), where a group of {@code cols / }{@value MatrixMultiply#TILE_COLUMNS}
     * items is more than the device allows, and where {@link MatrixMultiply#normGroupRows} finds too few rows to give
     * each of the device's {@code parallelGroups} cores a group.
     */
    public int normGroupRows(int rows, int cols) {
        long items = (cols + MatrixMultiply.TILE_COLUMNS - 1) / MatrixMultiply.TILE_COLUMNS;
        if (maxWorkGroupDimensions != null && maxWorkGroupDimensions.length > 0 && items > maxWorkGroupDimensions[0]) {
            return 0;
        }
        return normGroupRows(rows);
    }

    /** {@link #normGroupRows(int, int)} for projections narrow enough for one work-group. */
    private int normGroupRows(int rows) {
        return registerTiles ? MatrixMultiply.normGroupRows(rows, parallelGroups) : 0;
    }

    /** The grid of a projection that normalises its own input ({@link #normGroupRows} {@code groupRows > 0}). */
    public WorkerGrid normProjection(int rows, int cols, int groupRows) {
        return MatrixMultiply.normTiledGrid(rows, cols, groupRows);
    }

    /**
     * The kernel a layer runs for its configured attention algorithm: flash as register tiles
     * ({@link AttentionLaunch.Algorithm#FLASH_TILED}, the same function and features) where {@link #registerTiles} holds,
     * every other algorithm as itself. On the JVM implementation flash keeps its blocks (C2 leaves the tiles scalar:
     * 2.8x slower, measured); {@code --json} records the choice as {@code flash_kernel}.
     */
    public AttentionLaunch.Algorithm attentionKernel(AttentionLaunch.Algorithm configured) {
        return registerTiles && configured == AttentionLaunch.Algorithm.FLASH ? AttentionLaunch.Algorithm.FLASH_TILED : configured;
    }

    /**
     * How a forward or prefill graph lays out a layer's k and v for attention kernel {@code kernel}
     * ({@link #attentionKernel}): head-major ({@code [batch][kvHead][seqLen][headDim]}) for
     * {@link AttentionLaunch.Algorithm#FLASH_TILED}, whose blocks then read each head's rows contiguously (token-major
     * rows 2 KB apart at 8 heads x d 64 fall into few cache sets: benchmarks/README.md, "flashTiled with head-major K/V",
     * 2026-12-01); token-major, as q and every other kernel's, otherwise. The q/k/v projection stores k and v this way
     * and every task of the graph that touches them (qk-norm, RoPE, the cache fill) follows; decode steps and training
     * stay token-major. {@code --json} records it for flash as {@code kv_layout}.
     */
    public AttentionLaunch.KvLayout kvLayout(AttentionLaunch.Algorithm kernel) {
        return kernel == AttentionLaunch.Algorithm.FLASH_TILED ? AttentionLaunch.KvLayout.HEAD_MAJOR : AttentionLaunch.KvLayout.TOKEN_MAJOR;
    }

    /**
     * The kernels of a layer's attention backward in training: register tiles
     * ({@link AttentionLaunch.Backward#REGISTER_TILES}) where {@link #registerTiles} holds and the head dimension fits
     * them, the per-row kernels otherwise (on the JVM implementation C2 leaves tiles scalar, as for flash);
     * {@code train}'s {@code launch:} line counts the layers per choice as {@code attention_backward_kernels}
     * ({@link org.attentionlab.model.train.TrainingGraph#launchReport}).
     */
    public AttentionLaunch.Backward attentionBackward(AttentionLaunch launch) {
        return launch.backwardKernels(registerTiles);
    }

    /** The grid of an attention call, when its algorithm has one (flash). */
    public java.util.Optional<WorkerGrid> attention(AttentionLaunch launch) {
        return launch.grid(groupItems);
    }

    /**
     * What {@code --json} records for a run of {@code rows} rows (a batch times a sequence length): {@link #report()}
     * and whether a pre-norm's norm runs inside the projection after it, with how many rows per work-group
     * ({@link #normGroupRows}; a projection too wide for one work-group keeps its norm a task). Whether a block's attention
     * output projection joined that task also depends on the block (gated, dropout): the forward report counts the tasks
     * actually built ({@code residual_norm_projection_tasks}).
     */
    public Map<String, Object> report(int rows) {
        Map<String, Object> m = report();
        int groupRows = normGroupRows(rows);
        m.put("norm_projection_kernel", groupRows > 0 ? "fused" : "separate");
        m.put("norm_group_rows", groupRows);
        return m;
    }

    /** What {@code --json} records. */
    public Map<String, Object> report() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("group_items", groupItems);
        m.put("chosen_by", source);
        m.put("device_type", deviceType);
        m.put("max_work_group_dimensions", maxWorkGroupDimensions == null ? null : java.util.Arrays.stream(maxWorkGroupDimensions).boxed().toList());
        m.put("local_memory_bytes", localMemoryBytes);
        m.put("projection_kernel", registerTiles ? "register_tiles" : "row_blocks");
        m.put("flash_kernel", registerTiles ? "register_tiles" : "blocks");
        m.put("kv_layout", kvLayout(attentionKernel(AttentionLaunch.Algorithm.FLASH)).reportName());
        m.put("vector_lanes", registerTiles ? vectorLanes : null);
        m.put("vector_lanes_chosen_by", registerTiles ? vectorLanesSource : "unused: no register tiles on this device");
        return m;
    }
}
