package org.attentionlab.kernels;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One call of {@link AttentionKernels}, described once: the algorithm, the shape, the mask (each head's window sides,
 * causality and global tokens), the logit bias (kind, ALiBi slopes, APE scale), the scale and the chunk length. It owns what every caller
 * would otherwise write again: the switch over the four kernels and their argument lists, the scratch size and the
 * flash kernel's worker grid. Host-side only; the arguments keep the kernels' own int codes and conventions (see
 * tornado-kernels/README.md).
 *
 * @param windows      each query head's band, {@code [numHeads * 2]} (left, right), then the attention dropout's keep
 *                     threshold and seed: {@link AttentionMasks#windows}, {@link AttentionMasks#withDropout}
 * @param causal       no query sees a later key, global tokens included (the kernels' {@code causal} = 1)
 * @param globalTokens sorted distinct positions, length >= 1 even when {@code numGlobal} is 0
 * @param slopes       ALiBi slopes, length >= {@code numHeads} for ALiBi, else >= 1
 * @param chunkSize    query chunk (chunked) or key chunk (memory_efficient) length; unused by standard and flash
 */
public record AttentionLaunch(Algorithm algorithm, int batch, int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows, boolean causal,
        IntArray globalTokens, int numGlobal, int biasKind, FloatArray slopes, float apeScale, float scale, int chunkSize) {

    /** The four kernels of {@link AttentionKernels}; all compute the same function. */
    public enum Algorithm {
        /** {@link AttentionKernels#standard}. */
        STANDARD,
        /** {@link AttentionKernels#chunked}. */
        CHUNKED,
        /** {@link AttentionKernels#memoryEfficient}. */
        MEMORY_EFFICIENT,
        /** {@link AttentionKernels#flash}, a KernelContext kernel: it runs on {@link #grid()} only. */
        FLASH,
        /**
         * {@link AttentionKernels#flashTiled}: flash with register tiles, for OpenCL CPU compilers (the same function,
         * features and grid as {@link #FLASH}; slower than it on the JVM). Not a configuration name: a model picks it
         * per device for {@code flash}.
         */
        FLASH_TILED;

        /** Whether the kernel runs on a worker grid ({@link AttentionLaunch#grid()}) and has no plain call. */
        public boolean isFlash() {
            return this == FLASH || this == FLASH_TILED;
        }
    }

    public AttentionLaunch {
        if (algorithm == null || windows == null || globalTokens == null || slopes == null) {
            throw new IllegalArgumentException("algorithm, windows, globalTokens and slopes are required");
        }
        if (algorithm == Algorithm.CHUNKED && chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be >= 1, got " + chunkSize);
        }
    }

    /**
     * Floats of scratch the kernel needs; 0 for the algorithms that need none (their scratch argument is ignored).
     * {@link ArithmeticException} when an int cannot hold them.
     */
    public int scratchSize() {
        return Math.toIntExact(scratchElements());
    }

    /** {@link #scratchSize()} in 64 bits, for checking a run's sizes before anything is allocated; exact or {@link ArithmeticException}. */
    public long scratchElements() {
        return switch (algorithm) {
        case STANDARD -> AttentionKernels.standardScratchElements(batch, numHeads, seqLen, windows, numGlobal);
        case CHUNKED -> AttentionKernels.chunkedScratchElements(batch, numHeads, chunkSize, seqLen, windows, numGlobal);
        case MEMORY_EFFICIENT, FLASH, FLASH_TILED -> 0;
        };
    }

    /** The worker grid the task must be scheduled on: {@link AttentionKernels#flashGrid} for the flash kernels, none otherwise. */
    public Optional<WorkerGrid> grid() {
        return grid(MatrixMultiply.groupItemsForDefaultDevice());
    }

    /** {@link #grid()} with {@code groupItems} query blocks per work-group (any size gives the same result). */
    public Optional<WorkerGrid> grid(int groupItems) {
        return algorithm.isFlash() ? Optional.of(AttentionKernels.flashGrid(batch, numHeads, seqLen, groupItems)) : Optional.empty();
    }

    /**
     * Adds the kernel as task {@code taskName} of {@code graph}, computing {@code out} from {@code q}, {@code k},
     * {@code v}; {@code scratch} holds at least {@link #scratchSize()} floats (it may be null when that is 0). The
     * caller registers {@link #grid()}, when there is one, under the graph's name and {@code taskName}.
     *
     * @throws IllegalArgumentException when the arrays do not fit the call
     */
    public TaskGraph addTask(TaskGraph graph, String taskName, FloatArray q, FloatArray k, FloatArray v, FloatArray out, FloatArray scratch) {
        return addTask(graph, taskName, q, k, v, out, scratch, 16);
    }

    /**
     * {@link #addTask(TaskGraph, String, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray)} for a device whose
     * vector registers hold {@code vectorLanes} floats (8 or 16): {@link AttentionKernels#flashTiled}'s register tiles
     * are sized for them (its {@code lanes}); the other kernels take no such argument and ignore it.
     *
     * @throws IllegalArgumentException when the arrays do not fit the call or {@code vectorLanes} is neither 8 nor 16
     */
    public TaskGraph addTask(TaskGraph graph, String taskName, FloatArray q, FloatArray k, FloatArray v, FloatArray out, FloatArray scratch,
            int vectorLanes) {
        return addTask(graph, taskName, q, k, v, out, scratch, vectorLanes, KvLayout.TOKEN_MAJOR);
    }

    /**
     * How the kernel reads k and v: every kernel reads them token-major ({@code [batch][seqLen][numKvHeads][headDim]},
     * as q and out); {@link AttentionKernels#flashTiled} can also read them head-major ({@code [batch][numKvHeads][seqLen][headDim]}).
     */
    public enum KvLayout {
        /** {@code [batch][seqLen][numKvHeads][headDim]}: {@link AttentionKernels#KV_TOKEN_MAJOR}. */
        TOKEN_MAJOR(AttentionKernels.KV_TOKEN_MAJOR),
        /** {@code [batch][numKvHeads][seqLen][headDim]}, each head's rows contiguous: {@link AttentionKernels#KV_HEAD_MAJOR}. */
        HEAD_MAJOR(AttentionKernels.KV_HEAD_MAJOR);

        private final int code;

        KvLayout(int code) {
            this.code = code;
        }

        /** The kernel's {@code kvLayout} argument. */
        public int code() {
            return code;
        }

        /** The name recorded in a run's report ({@code kv_layout}). */
        public String reportName() {
            return this == TOKEN_MAJOR ? "token_major" : "head_major";
        }
    }

    /**
     * The layout of k and v for this call where the caller may choose ({@code headMajorWanted}): head-major for
     * {@link Algorithm#FLASH_TILED} (the only kernel that reads it), token-major for every other kernel.
     */
    public KvLayout kvLayout(boolean headMajorWanted) {
        return headMajorWanted && algorithm == Algorithm.FLASH_TILED ? KvLayout.HEAD_MAJOR : KvLayout.TOKEN_MAJOR;
    }

    /**
     * {@link #addTask(TaskGraph, String, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, int)} with k and v
     * laid out as {@code kvLayout} says.
     *
     * @throws IllegalArgumentException also for {@link KvLayout#HEAD_MAJOR} with a kernel other than {@link Algorithm#FLASH_TILED}
     */
    public TaskGraph addTask(TaskGraph graph, String taskName, FloatArray q, FloatArray k, FloatArray v, FloatArray out, FloatArray scratch,
            int vectorLanes, KvLayout kvLayout) {
        if (vectorLanes != 8 && vectorLanes != 16) {
            throw new IllegalArgumentException("vectorLanes must be 8 or 16, got " + vectorLanes);
        }
        if (kvLayout == KvLayout.HEAD_MAJOR && algorithm != Algorithm.FLASH_TILED) {
            throw new IllegalArgumentException("only flashTiled reads k and v head-major, not " + algorithm);
        }
        check(q, k, v, out, scratch);
        return switch (algorithm) {
        case STANDARD -> graph.task(taskName, AttentionKernels::standard, q, k, v, out, scratch, globalTokens, numGlobal, slopes, batch, seqLen, numHeads,
                numKvHeads, headDim, windows, causalCode(), biasKind, apeScale, scale);
        case CHUNKED -> graph.task(taskName, AttentionKernels::chunked, q, k, v, out, scratch, globalTokens, numGlobal, slopes, batch, seqLen, numHeads,
                numKvHeads, headDim, windows, causalCode(), biasKind, apeScale, scale, chunkSize);
        case MEMORY_EFFICIENT -> graph.task(taskName, AttentionKernels::memoryEfficient, q, k, v, out, globalTokens, numGlobal, slopes, batch, seqLen,
                numHeads, numKvHeads, headDim, windows, causalCode(), biasKind, apeScale, scale, chunkSize);
        case FLASH -> graph.task(taskName, AttentionKernels::flash, new KernelContext(), q, k, v, out, globalTokens, numGlobal, slopes, batch, seqLen,
                numHeads, numKvHeads, headDim, windows, causalCode(), biasKind, apeScale, scale);
        case FLASH_TILED -> graph.task(taskName, AttentionKernels::flashTiled, new KernelContext(), q, k, v, out, globalTokens, numGlobal, slopes, batch,
                seqLen, numHeads, numKvHeads, headDim, windows, causalCode(), biasKind, apeScale, scale, vectorLanes,
                kvLayout.code());
        };
    }

    /** Floats of the backward's row statistics ({@link AttentionKernels#backwardRowStatisticsSize}). */
    public int backwardStatisticsSize() {
        return AttentionKernels.backwardRowStatisticsSize(batch, numHeads, seqLen);
    }

    /**
     * The kernels of the attention backward (tornado-kernels/README.md, "Attention backward"); both compute the same
     * gradients within float rounding.
     */
    public enum Backward {
        /** {@link AttentionKernels#rowLogSumExp}, {@link AttentionKernels#queryGradient}, {@link AttentionKernels#keyValueGradient}: a work-item per row. */
        ROWS,
        /**
         * {@link AttentionKernels#flashLogSumExp}, {@link AttentionKernels#flashQueryGradient},
         * {@link AttentionKernels#flashKeyValueGradient}: register tiles of 16 queries x 16 keys, for OpenCL CPU
         * compilers; KernelContext kernels on {@link AttentionLaunch#backwardGrids}, head dimensions up to
         * {@link AttentionKernels#FLASH_MAX_HEAD_DIM}.
         */
        REGISTER_TILES
    }

    /**
     * The backward kernels for this call where a device wants register tiles ({@code registerTiles}):
     * {@link Backward#REGISTER_TILES} if the head dimension fits them ({@link AttentionKernels#flashSupportsHeadDim}),
     * else {@link Backward#ROWS}.
     */
    public Backward backwardKernels(boolean registerTiles) {
        return registerTiles && AttentionKernels.flashSupportsHeadDim(headDim) ? Backward.REGISTER_TILES : Backward.ROWS;
    }

    /**
     * The worker grids the backward's tasks must be scheduled on, by task name suffix ({@link #addBackwardTasks}):
     * for register tiles, {@link AttentionKernels#flashGrid} over the query heads for {@code _log_sum_exp} and
     * {@code _dq} and over the kv heads for {@code _dkdv}, {@code groupItems} blocks per work-group; none for rows.
     */
    public Map<String, WorkerGrid> backwardGrids(Backward kernels, int groupItems) {
        if (kernels == Backward.ROWS) {
            return Map.of();
        }
        Map<String, WorkerGrid> grids = new LinkedHashMap<>();
        grids.put("_log_sum_exp", AttentionKernels.flashGrid(batch, numHeads, seqLen, groupItems));
        grids.put("_dq", AttentionKernels.flashGrid(batch, numHeads, seqLen, groupItems));
        grids.put("_dkdv", AttentionKernels.flashGrid(batch, numKvHeads, seqLen, groupItems));
        return grids;
    }

    /**
     * Adds the backward of this call as four tasks of {@code graph} by {@code kernels}, named {@code taskPrefix}
     * followed by {@code _log_sum_exp}, {@code _row_dot}, {@code _dq} and {@code _dkdv} (tornado-kernels/README.md,
     * "Attention backward"): from the forward's {@code q}, {@code k}, {@code v}, its output {@code out} and the output
     * gradient {@code dOut}, writes {@code dq}, {@code dk} and {@code dv}. One backward for every algorithm: they
     * compute the same function. {@code rowStatistics} holds {@link #backwardStatisticsSize()} floats. The caller
     * registers {@link #backwardGrids} under the graph's name and the tasks' names.
     */
    public TaskGraph addBackwardTasks(TaskGraph graph, String taskPrefix, Backward kernels, FloatArray q, FloatArray k, FloatArray v, FloatArray out,
            FloatArray dOut, FloatArray rowStatistics, FloatArray dq, FloatArray dk, FloatArray dv) {
        checkArrays(q, k, v, out);
        AttentionKernels.checkArguments(dq, dk, dv, dOut, globalTokens, numGlobal, slopes, batch, seqLen, numHeads, numKvHeads, headDim, windows,
                causalCode(), biasKind);
        if (rowStatistics.getSize() < backwardStatisticsSize()) {
            throw new IllegalArgumentException("rowStatistics has " + rowStatistics.getSize() + " elements, needs " + backwardStatisticsSize());
        }
        if (kernels == Backward.REGISTER_TILES && !AttentionKernels.flashSupportsHeadDim(headDim)) {
            throw new IllegalArgumentException("the register-tiled backward supports head dimensions up to " + AttentionKernels.FLASH_MAX_HEAD_DIM
                    + ", got " + headDim);
        }
        if (kernels == Backward.ROWS) {
            return graph
                    .task(taskPrefix + "_log_sum_exp", AttentionKernels::rowLogSumExp, q, k, rowStatistics, globalTokens, numGlobal, slopes, batch,
                            seqLen, numHeads, numKvHeads, headDim, windows, causalCode(), biasKind, apeScale, scale)
                    .task(taskPrefix + "_row_dot", AttentionKernels::rowOutputGradientDot, out, dOut, rowStatistics, batch, seqLen, numHeads, headDim)
                    .task(taskPrefix + "_dq", AttentionKernels::queryGradient, q, k, v, dOut, rowStatistics, dq, globalTokens, numGlobal, slopes,
                            batch, seqLen, numHeads, numKvHeads, headDim, windows, causalCode(), biasKind, apeScale, scale)
                    .task(taskPrefix + "_dkdv", AttentionKernels::keyValueGradient, q, k, v, dOut, rowStatistics, dk, dv, globalTokens, numGlobal,
                            slopes, batch, seqLen, numHeads, numKvHeads, headDim, windows, causalCode(), biasKind, apeScale, scale);
        }
        return graph
                .task(taskPrefix + "_log_sum_exp", AttentionKernels::flashLogSumExp, new KernelContext(), q, k, rowStatistics, globalTokens, numGlobal,
                        slopes, batch, seqLen, numHeads, numKvHeads, headDim, windows, causalCode(), biasKind, apeScale, scale)
                .task(taskPrefix + "_row_dot", AttentionKernels::rowOutputGradientDot, out, dOut, rowStatistics, batch, seqLen, numHeads, headDim)
                .task(taskPrefix + "_dq", AttentionKernels::flashQueryGradient, new KernelContext(), q, k, v, dOut, rowStatistics, dq, globalTokens,
                        numGlobal, slopes, batch, seqLen, numHeads, numKvHeads, headDim, windows, causalCode(), biasKind, apeScale, scale)
                .task(taskPrefix + "_dkdv", AttentionKernels::flashKeyValueGradient, new KernelContext(), q, k, v, dOut, rowStatistics, dk, dv,
                        globalTokens, numGlobal, slopes, seqLen, numHeads, numKvHeads, headDim, windows, causalCode(), biasKind, apeScale, scale);
    }

    /** Floats of the decode step's {@code scores} ({@link CachedAttention#scoresSize}) against a cache of {@code capacity} slots. */
    public int cachedScoresSize(int capacity) {
        return CachedAttention.scoresSize(batch, numHeads, capacity);
    }

    /**
     * Adds the decode step of this call against a key/value cache as four tasks of {@code graph}, named
     * {@code taskPrefix} followed by {@code _scores}, {@code _softmax}, {@code _values} and {@code _store}
     * (tornado-kernels/README.md, "Cached attention (decoding)"): the query {@code q} of position {@code position[0]}
     * ({@code [batch, numHeads, headDim]}; the record's {@code seqLen} is not used) attends to the keys and values
     * before it in {@code keyCache} and {@code valueCache} ({@code capacity} slots) and to its own {@code k} and
     * {@code v}, into {@code out}; then {@code k} and {@code v} are appended to the caches. The algorithm does not
     * matter (one query row); the mask must be causal, so that no earlier position changes as the sequence grows
     * (global tokens are fine: one attends to the keys before it and is seen by the queries after it); the caches
     * must be sized by {@link CachedAttention#capacity(IntArray, int, int, int)}. {@code scores} holds
     * {@link #cachedScoresSize} floats.
     */
    public TaskGraph addCachedTasks(TaskGraph graph, String taskPrefix, FloatArray q, FloatArray k, FloatArray v, FloatArray keyCache, FloatArray valueCache,
            FloatArray out, FloatArray scores, IntArray position, int capacity) {
        if (!causal) {
            throw new IllegalArgumentException("a key/value cache serves causal attention only: with bidirectional attention a later token would "
                    + "change the earlier positions");
        }
        AttentionMasks.checkWindows(windows, numHeads);
        CachedAttention.checkArguments(q, k, v, keyCache, valueCache, out, scores, position, slopes, batch, numHeads, numKvHeads, headDim, capacity,
                biasKind);
        return graph
                .task(taskPrefix + "_scores", CachedAttention::scores, q, k, keyCache, scores, position, globalTokens, numGlobal, slopes, batch, numHeads,
                        numKvHeads, headDim, capacity, windows, biasKind, apeScale, scale)
                .task(taskPrefix + "_softmax", CachedAttention::softmax, scores, position, globalTokens, numGlobal, batch, numHeads, capacity, windows)
                .task(taskPrefix + "_values", CachedAttention::weightedValues, v, valueCache, scores, out, position, globalTokens, numGlobal, batch,
                        numHeads, numKvHeads, headDim, capacity, windows)
                .task(taskPrefix + "_store", CachedAttention::store, k, v, keyCache, valueCache, position, batch, numKvHeads * headDim, capacity);
    }

    /**
     * Calls a {@code @Parallel} kernel directly, as plain Java (its loops run sequentially).
     *
     * @throws IllegalStateException for flash, which needs a worker grid: use {@link #addTask}
     */
    public void call(FloatArray q, FloatArray k, FloatArray v, FloatArray out, FloatArray scratch) {
        check(q, k, v, out, scratch);
        switch (algorithm) {
        case STANDARD -> AttentionKernels.standard(q, k, v, out, scratch, globalTokens, numGlobal, slopes, batch, seqLen, numHeads, numKvHeads, headDim,
                windows, causalCode(), biasKind, apeScale, scale);
        case CHUNKED -> AttentionKernels.chunked(q, k, v, out, scratch, globalTokens, numGlobal, slopes, batch, seqLen, numHeads, numKvHeads, headDim,
                windows, causalCode(), biasKind, apeScale, scale, chunkSize);
        case MEMORY_EFFICIENT -> AttentionKernels.memoryEfficient(q, k, v, out, globalTokens, numGlobal, slopes, batch, seqLen, numHeads, numKvHeads,
                headDim, windows, causalCode(), biasKind, apeScale, scale, chunkSize);
        case FLASH, FLASH_TILED -> throw new IllegalStateException("the flash kernels need a worker grid: add them to a TaskGraph with addTask");
        }
    }

    private void check(FloatArray q, FloatArray k, FloatArray v, FloatArray out, FloatArray scratch) {
        checkArrays(q, k, v, out);
        int needed = scratchSize();
        if (needed > 0 && (scratch == null || scratch.getSize() < needed)) {
            throw new IllegalArgumentException("scratch has " + (scratch == null ? 0 : scratch.getSize()) + " elements, needs " + needed);
        }
    }

    /** The kernels' {@code causal} argument. */
    private int causalCode() {
        return causal ? 1 : 0;
    }

    private void checkArrays(FloatArray q, FloatArray k, FloatArray v, FloatArray out) {
        AttentionKernels.checkArguments(q, k, v, out, globalTokens, numGlobal, slopes, batch, seqLen, numHeads, numKvHeads, headDim, windows,
                causalCode(), biasKind);
    }
}
