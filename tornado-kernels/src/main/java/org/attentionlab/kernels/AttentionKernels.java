package org.attentionlab.kernels;

import static org.attentionlab.kernels.Float16Lanes.broadcast;
import static org.attentionlab.kernels.Float16Lanes.load;
import static org.attentionlab.kernels.Float16Lanes.multiplyAdd;
import static org.attentionlab.kernels.Float16Lanes.store;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.vectors.Float16;

/**
 * Scaled dot-product attention, {@code out = softmax(scale * Q K^T + bias, masked) V}, by four algorithms that
 * compute the same function (see tornado-kernels/README.md, "Attention algorithms"):
 * {@link #standard}, {@link #chunked}, {@link #memoryEfficient} and {@link #flash}.
 *
 * <p>Layouts: q and out are {@code [batch, seqLen, numHeads, headDim]}, k and v {@code [batch, seqLen, numKvHeads,
 * headDim]}, row-major; query head {@code h} reads kv head {@code h / (numHeads / numKvHeads)} (grouped-query
 * attention; {@code numKvHeads} divides {@code numHeads}). The mask is {@link AttentionMasks}' rule given by
 * {@code windows} (each query head's band, {@code [numHeads * 2]}: left, right; then the attention dropout's keep
 * threshold and seed, {@link AttentionMasks}, "Attention dropout"), {@code causal} (1: no query sees a
 * later key, global tokens included) and the global tokens; the bias is {@link PositionalBiases}' kind
 * {@code biasKind} with {@code slopes} (ALiBi, length {@code >= numHeads}, else length {@code >= 1}) and
 * {@code apeScale} (APE). {@code scale} multiplies {@code q . k} (usually {@code 1 / sqrt(headDim)}).
 *
 * <p>Every kernel visits only the keys a query can see: its head's band {@code [i - windowLeft, i + windowRight]}
 * plus the global tokens outside it (a global query visits all keys up to its causal limit), so a sliding window of
 * W keys costs O(L W), never O(L^2) with a mask. The softmax subtracts the row maximum and never forms an infinity,
 * so logits of any finite size give finite results; every row sees at least its own key, so the normaliser is >= 1.
 * With dropout in {@code windows}, every algorithm computes {@code out_i = sum_j m_ij P_ij v_j} with the same mask
 * {@code m_ij} ({@link AttentionMasks#dropoutFactor}), the normaliser taking every visible key (PyTorch's
 * {@code dropout(softmax(S)) @ V}); without it (threshold {@link AttentionMasks#DROPOUT_OFF}) nothing is multiplied.
 *
 * <p>Argument order, shared by all four (the flash kernel takes a {@link KernelContext} first and no scratch;
 * {@code chunkSize} is last where there is one):
 * {@code q, k, v, out, [scratch], globalTokens, numGlobal, slopes, batch, seqLen, numHeads, numKvHeads, headDim,
 * windows, causal, biasKind, apeScale, scale, [chunkSize]}.
 */
public final class AttentionKernels {

    /** The largest key chunk of {@link #memoryEfficient}: its per-row scores live in a private array of this size. */
    public static final int MEMORY_EFFICIENT_MAX_CHUNK = 128;
    /** Query rows per work-item of {@link #flash}: {@link MatrixMultiply}'s block rows. */
    public static final int FLASH_BLOCK_Q = MatrixMultiply.BLOCK_ROWS;
    /** Keys per tile of {@link #flash}: {@link MatrixMultiply}'s block columns. */
    public static final int FLASH_TILE_K = MatrixMultiply.BLOCK_COLUMNS;
    /** The largest head dimension {@link #flash} supports (its output block's columns); larger ones make it write NaN. */
    public static final int FLASH_MAX_HEAD_DIM = MatrixMultiply.BLOCK_COLUMNS;
    private static final int FLASH_BLOCK = FLASH_BLOCK_Q * FLASH_TILE_K;
    /** Keys per tile of {@link #flashTiled}: two register tiles of scores. */
    public static final int FLASH_TILED_KEYS = 16;
    /**
     * The most keys per chunk of {@link #flashTiled}: the softmax's two passes and the output's registers span a chunk
     * (chunks also end where the keys every row of the block sees begin and end).
     */
    public static final int FLASH_CHUNK_KEYS = 256;
    private static final float LOG2_E = 1.4426950408889634f;
    /** Cephes' exp2f coefficients on [-0.5, 0.5] times {@code 2^-30} (exact: a power of two), for {@link #exp2}. */
    private static final float TWO_TO_MINUS_30 = 0x1p-30f;
    private static final float EXP2_C1 = 6.931472028550421e-1f * TWO_TO_MINUS_30;
    private static final float EXP2_C2 = 2.402264791363012e-1f * TWO_TO_MINUS_30;
    private static final float EXP2_C3 = 5.550332471162809e-2f * TWO_TO_MINUS_30;
    private static final float EXP2_C4 = 9.618437357674640e-3f * TWO_TO_MINUS_30;
    private static final float EXP2_C5 = 1.339887440266574e-3f * TWO_TO_MINUS_30;
    private static final float EXP2_C6 = 1.535336188319500e-4f * TWO_TO_MINUS_30;
    /** Keys per register tile of scores, and head dimensions per register tile of output, in {@link #flashTiled}. */
    public static final int FLASH_REGISTER_STEP = 8;
    /** Keys per register tile of scores, and head dimensions per register tile of output, in {@link #flashTiled} on 8-lane devices. */
    private static final int FLASH_NARROW_STEP = 4;
    /**
     * The most keys per chunk of {@link #flashTiled} on 8-lane devices: a chunk's weights (16 rows) and its rows of v
     * (a cache line per key and pass) stay within a 32 KB L1 (with 256 keys, 16 KB each, they did not).
     */
    public static final int FLASH_NARROW_CHUNK_KEYS = 64;
    /** {@link #flashTiled}'s {@code kvLayout}: k and v rows {@code [batch][seqLen][numKvHeads][headDim]}, as q and out (every other kernel's layout). */
    public static final int KV_TOKEN_MAJOR = 0;
    /**
     * {@link #flashTiled}'s {@code kvLayout}: k and v {@code [batch][numKvHeads][seqLen][headDim]}, each head's rows
     * contiguous (q and out stay token-major).
     */
    public static final int KV_HEAD_MAJOR = 1;
    /** {@link #flashTiled}'s per-row state, rows of {@link #FLASH_BLOCK_Q} lanes: running max, running sum, the tile's correction, new max, sum. */
    private static final int SUM = 1;
    private static final int CORRECTION = 2;
    private static final int NEW_MAX = 3;
    private static final int TILE_SUM = 4;
    private static final int ROW_STATE = 5;
    /** {@link #flashBlock}'s ints: where a flash work-item's block reads and writes, and the keys it visits. */
    private static final int BLOCK_HEAD = 0;
    private static final int BLOCK_LAST_ROW = 1;
    private static final int BLOCK_QUERY_BASE = 2;
    private static final int BLOCK_KV_BASE = 3;
    private static final int BLOCK_KEYS_START = 4;
    private static final int BLOCK_KEYS_END = 5;
    private static final int BLOCK_GLOBALS_BEFORE = 6;
    private static final int BLOCK_GLOBALS_THROUGH = 7;
    private static final int BLOCK_KEY_COUNT = 8;
    private static final int FLASH_BLOCK_INTS = 9;

    /** The logit given to masked keys: exp(MASKED - anything finite) is exactly 0, with no infinity involved. */
    private static final float MASKED = -Float.MAX_VALUE;

    private AttentionKernels() {
    }

    // ---------------------------------------------------------------------------------------------------------
    // Kernels.
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Textbook attention, one row at a time: the row's logits go to {@code scratch}, then max, exponentials and
     * their sum, then the weighted sum of V. {@code scratch} holds {@link #standardScratchSize} floats: a row of
     * {@link AttentionMasks#maxVisibleKeys} per (batch, head, query), so O(L W) for a sliding window and O(L^2)
     * with global tokens or without a window.
     */
    public static void standard(FloatArray q, FloatArray k, FloatArray v, FloatArray out, FloatArray scratch, IntArray globalTokens, int numGlobal,
            FloatArray slopes, int batch, int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows, int causal, int biasKind,
            float apeScale, float scale) {
        int stride = AttentionMasks.maxVisibleKeys(seqLen, windows, numHeads, numGlobal);
        for (@Parallel int bh = 0; bh < batch * numHeads; bh++) {
            for (@Parallel int i = 0; i < seqLen; i++) {
                int scratchBase = (bh * seqLen + i) * stride;
                float rowMax = logitsRowThroughScratch(q, k, scratch, scratchBase, globalTokens, numGlobal, slopes, bh, i, seqLen, numHeads, numKvHeads,
                        headDim, windows, causal, biasKind, apeScale, scale);
                float inverseSum = weightsRowThroughScratch(scratch, scratchBase, globalTokens, numGlobal, bh, i, seqLen, numHeads, windows, causal, rowMax);
                valuesRowFromScratch(v, out, scratch, scratchBase, globalTokens, numGlobal, bh, i, seqLen, numHeads, numKvHeads, headDim, windows, causal,
                        inverseSum);
            }
        }
    }

    /**
     * Attention by query chunks (Edifice's {@code chunked_attention}): work-item (bh, r) computes the rows
     * {@code r, r + chunkSize, r + 2 chunkSize, ...} one chunk after another, reusing one scratch row, so the
     * scratch is {@link #chunkedScratchSize} = {@code batch * numHeads * chunkSize * maxVisibleKeys} floats, the
     * peak memory of one chunk of queries instead of all of them. Same results as {@link #standard}.
     */
    public static void chunked(FloatArray q, FloatArray k, FloatArray v, FloatArray out, FloatArray scratch, IntArray globalTokens, int numGlobal,
            FloatArray slopes, int batch, int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows, int causal, int biasKind,
            float apeScale, float scale, int chunkSize) {
        int stride = AttentionMasks.maxVisibleKeys(seqLen, windows, numHeads, numGlobal);
        for (@Parallel int bh = 0; bh < batch * numHeads; bh++) {
            for (@Parallel int r = 0; r < chunkSize; r++) {
                int scratchBase = (bh * chunkSize + r) * stride;
                for (int chunkStart = 0; chunkStart < seqLen; chunkStart += chunkSize) {
                    int i = chunkStart + r;
                    if (i < seqLen) {
                        float rowMax = logitsRowThroughScratch(q, k, scratch, scratchBase, globalTokens, numGlobal, slopes, bh, i, seqLen, numHeads,
                                numKvHeads, headDim, windows, causal, biasKind, apeScale, scale);
                        float inverseSum = weightsRowThroughScratch(scratch, scratchBase, globalTokens, numGlobal, bh, i, seqLen, numHeads, windows, causal,
                                rowMax);
                        valuesRowFromScratch(v, out, scratch, scratchBase, globalTokens, numGlobal, bh, i, seqLen, numHeads, numKvHeads, headDim, windows,
                                causal, inverseSum);
                    }
                }
            }
        }
    }

    /**
     * Memory-efficient attention (Rabe and Staats): each row walks its visible keys in chunks of
     * {@code min(max(chunkSize, 1), MEMORY_EFFICIENT_MAX_CHUNK)}, keeping a running maximum and normaliser and
     * rescaling the partial output (accumulated in {@code out} itself) once per chunk. Extra memory: one private
     * array of {@link #MEMORY_EFFICIENT_MAX_CHUNK} floats per row. Unlike Edifice's version it honours the window
     * and the global tokens. No head_dim limit.
     */
    public static void memoryEfficient(FloatArray q, FloatArray k, FloatArray v, FloatArray out, IntArray globalTokens, int numGlobal, FloatArray slopes,
            int batch, int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows, int causal, int biasKind, float apeScale, float scale,
            int chunkSize) {
        int chunk = TornadoMath.min(TornadoMath.max(chunkSize, 1), MEMORY_EFFICIENT_MAX_CHUNK);
        for (@Parallel int bh = 0; bh < batch * numHeads; bh++) {
            for (@Parallel int i = 0; i < seqLen; i++) {
                float[] chunkScores = new float[MEMORY_EFFICIENT_MAX_CHUNK];
                int b = bh / numHeads;
                int h = bh - b * numHeads;
                int kvHead = h / (numHeads / numKvHeads);
                int queryBase = ((b * seqLen + i) * numHeads + h) * headDim;
                boolean queryIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, i);
                int start = AttentionMasks.keysStart(i, queryIsGlobal, AttentionMasks.windowLeft(windows, h));
                int end = AttentionMasks.keysEnd(i, queryIsGlobal, AttentionMasks.windowRight(windows, h), causal, seqLen);
                int before = AttentionMasks.globalsBelow(globalTokens, numGlobal, start);
                int through = AttentionMasks.globalsBelow(globalTokens, numGlobal, end);
                int count = AttentionMasks.visibleKeyCount(start, end, 0, before, through,
                        AttentionMasks.globalsBelow(globalTokens, numGlobal, AttentionMasks.keyLimit(i, causal, seqLen)));

                for (int d = 0; d < headDim; d++) {
                    out.set(queryBase + d, 0.0f);
                }
                int keepThreshold = AttentionMasks.dropoutKeepThreshold(windows, numHeads);
                float keptScale = AttentionMasks.dropoutKeptScale(keepThreshold);
                int rowKey = AttentionMasks.dropoutRowKey(AttentionMasks.dropoutMaskSeed(windows, numHeads), bh * seqLen + i);
                float runningMax = MASKED;
                float runningSum = 0.0f;
                for (int chunkStart = 0; chunkStart < count; chunkStart += chunk) {
                    int n = TornadoMath.min(chunk, count - chunkStart);
                    float chunkMax = MASKED;
                    for (int c = 0; c < n; c++) {
                        int key = AttentionMasks.visibleKey(chunkStart + c, start, end, globalTokens, 0, before, through);
                        int keyBase = ((b * seqLen + key) * numKvHeads + kvHead) * headDim;
                        float dot = 0.0f;
                        for (int d = 0; d < headDim; d++) {
                            dot += q.get(queryBase + d) * k.get(keyBase + d);
                        }
                        float logit = dot * scale + PositionalBiases.logitBias(biasKind, slopes, h, i, key, seqLen, apeScale);
                        chunkScores[c] = logit;
                        chunkMax = TornadoMath.max(chunkMax, logit);
                    }
                    float newMax = TornadoMath.max(runningMax, chunkMax);
                    float correction = TornadoMath.exp(runningMax - newMax);
                    float chunkSum = 0.0f;
                    for (int c = 0; c < n; c++) {
                        float weight = TornadoMath.exp(chunkScores[c] - newMax);
                        chunkSum += weight;
                        if (keepThreshold < AttentionMasks.DROPOUT_OFF) {
                            weight *= AttentionMasks.dropoutFactor(rowKey,
                                    AttentionMasks.visibleKey(chunkStart + c, start, end, globalTokens, 0, before, through), keepThreshold, keptScale);
                        }
                        chunkScores[c] = weight;
                    }
                    runningSum = runningSum * correction + chunkSum;
                    for (int d = 0; d < headDim; d++) {
                        float acc = out.get(queryBase + d) * correction;
                        for (int c = 0; c < n; c++) {
                            int key = AttentionMasks.visibleKey(chunkStart + c, start, end, globalTokens, 0, before, through);
                            acc += chunkScores[c] * v.get(((b * seqLen + key) * numKvHeads + kvHead) * headDim + d);
                        }
                        out.set(queryBase + d, acc);
                    }
                    runningMax = newMax;
                }
                float inverseSum = 1.0f / runningSum;
                for (int d = 0; d < headDim; d++) {
                    out.set(queryBase + d, out.get(queryBase + d) * inverseSum);
                }
            }
        }
    }

    /**
     * Tiled flash-style attention over {@link #flashGrid}: a work-item takes a block of {@link #FLASH_BLOCK_Q}
     * consecutive query rows of one (batch, head) (x: block, y: batch * numHeads + head) and walks the keys any of
     * its rows can see (the union of their bands plus the global tokens outside it; all keys if one of its rows is a
     * global token) in tiles of up to {@link #FLASH_TILE_K}. Per tile, both products are {@link MatrixMultiply}'s
     * blocked product: the scores {@code Q_block K_tile^T} (inner dimension headDim), then the running output
     * {@code += P V_tile} (inner dimension the tile's keys); between them each row masks its scores by its own band,
     * adds the bias and rescales its online softmax once. Work per row: O(W + block) keys for a sliding window. No
     * barrier and no local memory: any local size is correct. {@code headDim} must be at most
     * {@link #FLASH_MAX_HEAD_DIM} (otherwise the rows are written as NaN).
     */
    public static void flash(KernelContext context, FloatArray q, FloatArray k, FloatArray v, FloatArray out, IntArray globalTokens, int numGlobal,
            FloatArray slopes, int batch, int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows, int causal, int biasKind,
            float apeScale, float scale) {
        int block = context.globalIdx;
        int first = block * FLASH_BLOCK_Q;
        int bh = context.globalIdy;
        float[] scores = new float[FLASH_BLOCK];
        float[] acc = new float[FLASH_BLOCK];
        float[] staged = new float[MatrixMultiply.DEPTH_STEP * FLASH_TILE_K];
        float[] rowValues = new float[FLASH_BLOCK_Q * MatrixMultiply.DEPTH_STEP];
        int[] tileKeys = new int[FLASH_TILE_K];
        float[] runningMax = new float[FLASH_BLOCK_Q];
        float[] runningSum = new float[FLASH_BLOCK_Q];
        int[] geometry = new int[FLASH_BLOCK_INTS];
        // Bounded by the block count, not by "first < seqLen": for a sequence shorter than a block TornadoVM 5.2.1 then
        // knows the block is 0, where with "first < seqLen" it half-knew first and failed to compile some shapes
        // ("logic node LogicConstantNode"; L = 5..16 with a window, seen in the model's device tests).
        if (block < (seqLen + FLASH_BLOCK_Q - 1) / FLASH_BLOCK_Q && bh < batch * numHeads) {
            int dims = headDim <= FLASH_MAX_HEAD_DIM ? headDim : 0;
            flashBlock(geometry, globalTokens, numGlobal, windows, first, bh, seqLen, numHeads, numKvHeads, headDim, causal);
            int h = geometry[BLOCK_HEAD];
            int lastRow = geometry[BLOCK_LAST_ROW];
            int queryBase = geometry[BLOCK_QUERY_BASE];
            int queryRowStride = numHeads * headDim;
            int kvBase = geometry[BLOCK_KV_BASE];
            int kvRowStride = numKvHeads * headDim;

            int keepThreshold = AttentionMasks.dropoutKeepThreshold(windows, numHeads);
            int dropoutSeed = AttentionMasks.dropoutMaskSeed(windows, numHeads);

            MatrixMultiply.clear(acc);
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                runningMax[i] = MASKED;
                runningSum[i] = 0.0f;
            }
            for (int tileStart = 0; tileStart < geometry[BLOCK_KEY_COUNT]; tileStart += FLASH_TILE_K) {
                int width = TornadoMath.min(FLASH_TILE_K, geometry[BLOCK_KEY_COUNT] - tileStart);
                for (int c = 0; c < width; c++) {
                    tileKeys[c] = blockKey(geometry, globalTokens, tileStart + c);
                }
                // Rows past the sequence's end repeat the last row (clamped in gatherRowValues); never stored.
                MatrixMultiply.clear(scores);
                for (int d = 0; d < dims; d += MatrixMultiply.DEPTH_STEP) {
                    int lastDepth = TornadoMath.min(MatrixMultiply.DEPTH_STEP, dims - d) - 1;
                    stageTileRows(staged, k, tileKeys, kvBase + d, kvRowStride, lastDepth, width);
                    MatrixMultiply.gatherRowValues(rowValues, q, queryBase + d, queryRowStride, 1, lastDepth, lastRow);
                    MatrixMultiply.updateFirstRows(scores, staged, rowValues, width);
                    MatrixMultiply.updateLastRows(scores, staged, rowValues, width);
                }
                for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                    softmaxTileRow(scores, acc, runningMax, runningSum, i, first + TornadoMath.min(i, lastRow), tileKeys, width, dims,
                            globalTokens, numGlobal, slopes, h, seqLen, windows, causal, biasKind, apeScale, scale, keepThreshold,
                            AttentionMasks.dropoutRowKey(dropoutSeed, bh * seqLen + first + TornadoMath.min(i, lastRow)));
                }
                for (int t = 0; t < width; t += MatrixMultiply.DEPTH_STEP) {
                    int lastKey = TornadoMath.min(MatrixMultiply.DEPTH_STEP, width - t) - 1;
                    stageTileValues(staged, v, tileKeys, kvBase, kvRowStride, t, lastKey, dims);
                    for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                        rowValues[i * MatrixMultiply.DEPTH_STEP] = scores[i * FLASH_TILE_K + t];
                        rowValues[i * MatrixMultiply.DEPTH_STEP + 1] = scores[i * FLASH_TILE_K + t + TornadoMath.min(1, lastKey)];
                        rowValues[i * MatrixMultiply.DEPTH_STEP + 2] = scores[i * FLASH_TILE_K + t + TornadoMath.min(2, lastKey)];
                        rowValues[i * MatrixMultiply.DEPTH_STEP + 3] = scores[i * FLASH_TILE_K + t + lastKey];
                    }
                    MatrixMultiply.updateFirstRows(acc, staged, rowValues, dims);
                    MatrixMultiply.updateLastRows(acc, staged, rowValues, dims);
                }
            }
            for (int i = 0; i <= lastRow; i++) {
                float inverseSum = 1.0f / runningSum[i];
                int at = queryBase + i * queryRowStride;
                for (int d = 0; d < headDim; d++) {
                    out.set(at + d, dims == headDim ? acc[i * FLASH_TILE_K + d] * inverseSum : Float.NaN);
                }
            }
        }
    }

    /**
     * Where a flash work-item's block of {@link #FLASH_BLOCK_Q} rows from {@code first} of (batch, head) {@code bh}
     * reads and writes, into {@code geometry} ({@link #FLASH_BLOCK_INTS} ints, indexed by the {@code BLOCK_} constants): its
     * head, last row (rows past the sequence repeat it), first q/out and k/v offsets, and the keys it visits: the union
     * of its rows' runs of keys, from the first row's start to the last row's end (no row's limit passes the last
     * row's; all keys up to the causal limit if a row of the block is global), as {@link AttentionMasks#visibleKey}'s
     * band and the globals before and through it, and their count with the global tokens outside the band.
     */
    private static void flashBlock(int[] geometry, IntArray globalTokens, int numGlobal, IntArray windows, int first, int bh, int seqLen, int numHeads,
            int numKvHeads, int headDim, int causal) {
        int b = bh / numHeads;
        int h = bh - b * numHeads;
        int lastRow = TornadoMath.min(FLASH_BLOCK_Q, seqLen - first) - 1;
        int blockLast = first + lastRow;
        boolean blockHasGlobalQuery = AttentionMasks.globalsBelow(globalTokens, numGlobal, blockLast + 1)
                > AttentionMasks.globalsBelow(globalTokens, numGlobal, first);
        int start = AttentionMasks.keysStart(first, blockHasGlobalQuery, AttentionMasks.windowLeft(windows, h));
        int end = AttentionMasks.keysEnd(blockLast, blockHasGlobalQuery, AttentionMasks.windowRight(windows, h), causal, seqLen);
        int before = AttentionMasks.globalsBelow(globalTokens, numGlobal, start);
        int through = AttentionMasks.globalsBelow(globalTokens, numGlobal, end);
        geometry[BLOCK_HEAD] = h;
        geometry[BLOCK_LAST_ROW] = lastRow;
        geometry[BLOCK_QUERY_BASE] = ((b * seqLen + first) * numHeads + h) * headDim;
        geometry[BLOCK_KV_BASE] = (b * seqLen * numKvHeads + h / (numHeads / numKvHeads)) * headDim;
        geometry[BLOCK_KEYS_START] = start;
        geometry[BLOCK_KEYS_END] = end;
        geometry[BLOCK_GLOBALS_BEFORE] = before;
        geometry[BLOCK_GLOBALS_THROUGH] = through;
        geometry[BLOCK_KEY_COUNT] = AttentionMasks.visibleKeyCount(start, end, 0, before, through,
                AttentionMasks.globalsBelow(globalTokens, numGlobal, AttentionMasks.keyLimit(blockLast, causal, seqLen)));
    }

    /** The {@code t}-th key a flash block visits ({@link #flashBlock}). */
    private static int blockKey(int[] geometry, IntArray globalTokens, int t) {
        return AttentionMasks.visibleKey(t, geometry[BLOCK_KEYS_START], geometry[BLOCK_KEYS_END], globalTokens, 0, geometry[BLOCK_GLOBALS_BEFORE],
                geometry[BLOCK_GLOBALS_THROUGH]);
    }

    /** {@code staged[j][c] = k[base + tileKeys[c] * rowStride + j]} for j up to lastDepth, zero rows beyond: K^T rows of the tile. */
    private static void stageTileRows(float[] staged, FloatArray k, int[] tileKeys, int base, int rowStride, int lastDepth, int width) {
        for (int c = 0; c < width; c++) {
            int at = base + tileKeys[c] * rowStride;
            staged[c] = k.get(at);
            staged[FLASH_TILE_K + c] = lastDepth >= 1 ? k.get(at + 1) : 0.0f;
            staged[2 * FLASH_TILE_K + c] = lastDepth >= 2 ? k.get(at + 2) : 0.0f;
            staged[3 * FLASH_TILE_K + c] = lastDepth >= 3 ? k.get(at + 3) : 0.0f;
        }
    }

    /** {@code staged[j][d] = v[base + tileKeys[t + j] * rowStride + d]} for j up to lastKey, zero rows beyond: four value rows of the tile. */
    private static void stageTileValues(float[] staged, FloatArray v, int[] tileKeys, int base, int rowStride, int t, int lastKey, int dims) {
        int row0 = base + tileKeys[t] * rowStride;
        int row1 = base + tileKeys[t + TornadoMath.min(1, lastKey)] * rowStride;
        int row2 = base + tileKeys[t + TornadoMath.min(2, lastKey)] * rowStride;
        int row3 = base + tileKeys[t + lastKey] * rowStride;
        for (int d = 0; d < dims; d++) {
            staged[d] = v.get(row0 + d);
            staged[FLASH_TILE_K + d] = lastKey >= 1 ? v.get(row1 + d) : 0.0f;
            staged[2 * FLASH_TILE_K + d] = lastKey >= 2 ? v.get(row2 + d) : 0.0f;
            staged[3 * FLASH_TILE_K + d] = lastKey >= 3 ? v.get(row3 + d) : 0.0f;
        }
    }

    /**
     * Row i of a {@link #flash} tile: masks the row's scores by the query's visibility, adds scale and bias, and
     * turns them into softmax weights against the row's running maximum (rescaling its running sum and output once),
     * then drops weights by the dropout mask (after the running sum has taken them: the normaliser is not masked).
     * A row that sees no key of the tile gets zero weights.
     */
    private static void softmaxTileRow(float[] scores, float[] acc, float[] runningMax, float[] runningSum, int i, int query, int[] tileKeys, int width,
            int dims, IntArray globalTokens, int numGlobal, FloatArray slopes, int h, int seqLen, IntArray windows,
            int causal, int biasKind, float apeScale, float scale, int keepThreshold, int rowKey) {
        boolean queryIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, query);
        int rowStart = AttentionMasks.bandStart(query, AttentionMasks.windowLeft(windows, h));
        int rowEnd = AttentionMasks.bandEnd(query, AttentionMasks.windowRight(windows, h), seqLen);
        int row = i * FLASH_TILE_K;
        float tileMax = MASKED;
        for (int c = 0; c < width; c++) {
            int key = tileKeys[c];
            boolean visible = (causal == 0 || key <= query)
                    && (queryIsGlobal || (key >= rowStart && key < rowEnd) || AttentionMasks.isGlobal(globalTokens, numGlobal, key));
            float logit = visible ? scores[row + c] * scale + PositionalBiases.logitBias(biasKind, slopes, h, query, key, seqLen, apeScale) : MASKED;
            scores[row + c] = logit;
            tileMax = TornadoMath.max(tileMax, logit);
        }
        if (tileMax > MASKED) {
            float newMax = TornadoMath.max(runningMax[i], tileMax);
            float correction = TornadoMath.exp(runningMax[i] - newMax);
            for (int d = 0; d < dims; d++) {
                acc[row + d] = acc[row + d] * correction;
            }
            float keptScale = AttentionMasks.dropoutKeptScale(keepThreshold);
            float sum = 0.0f;
            for (int c = 0; c < width; c++) {
                float logit = scores[row + c];
                float weight = logit > MASKED ? TornadoMath.exp(logit - newMax) : 0.0f;
                sum += weight;
                if (keepThreshold < AttentionMasks.DROPOUT_OFF) {
                    weight *= AttentionMasks.dropoutFactor(rowKey, tileKeys[c], keepThreshold, keptScale);
                }
                scores[row + c] = weight;
            }
            runningSum[i] = runningSum[i] * correction + sum;
            runningMax[i] = newMax;
        } else {
            for (int c = 0; c < width; c++) {
                scores[row + c] = 0.0f;
            }
        }
    }

    /**
     * {@link #flash} with register tiles, for OpenCL CPU compilers (PoCL): the same function and grid
     * ({@link #flashGrid}), every mask, bias, GQA and dropout feature of {@link #flash}, within float rounding of it
     * (tornado-kernels/README.md, "Register tiles for flash attention"). A work-item takes {@link #FLASH_BLOCK_Q}
     * query rows of one (batch, head) and keeps them in the lanes of its tiles: Q is staged transposed once
     * ({@code queriesT[d][row]}), and per chunk of up to {@link #FLASH_CHUNK_KEYS} keys the scores {@code S^T = K Q^T} are
     * {@link #FLASH_REGISTER_STEP} keys x {@link #FLASH_BLOCK_Q} rows of sums held across the whole head dimension
     * (a broadcast key value times a row of {@code queriesT}), all of the chunk's into a private buffer; the softmax
     * runs in two passes over the chunk on whole rows of lanes ({@link #maskedLogits}: mask (none in a chunk of keys
     * that every row of the block sees: the chunks end at the edges of that run), scale, bias and the rows'
     * maxima; {@link #chunkWeights}: all the chunk's {@link #exp2}s at once, the running sums and the corrections);
     * and {@code O^T += V^T P^T} holds {@link #FLASH_REGISTER_STEP} dimensions x {@link #FLASH_BLOCK_Q} rows across
     * the chunk's keys (a broadcast value times a row of weights), the running output {@code outputT[d][row]} leaving
     * the registers and taking the rows' corrections once per chunk. In both products a key's or a dimension's 16 row
     * sums are one {@link Float16}
     * ({@link #wideScores}, {@link #wideOutput}): 512-bit registers on PoCL, which keeps its own vectors at 256 bits.
     * The loops over a chunk's keys have variable trip counts (the chunk's keys, padded to whole register tiles); the
     * loops over the 16 lanes are constant, so TornadoVM unrolls them and LLVM vectorizes each row of lanes. No
     * barrier, no local memory: any local size is correct.
     *
     * <p>{@code kvLayout}: how k and v are laid out, {@link #KV_TOKEN_MAJOR} ({@code [b][t][kvHead][d]}, as q and out)
     * or {@link #KV_HEAD_MAJOR} ({@code [b][kvHead][t][d]}); only the addresses of k's and v's rows change (their base
     * and stride), so both give the same bits on the same values. Head-major because with token-major rows 2 KB apart
     * (8 heads x d 64) a block's window of K and V falls into few cache sets: the coordinator's JMH on PoCL, Zen 3,
     * L = 4096, W = 256, d 64, 8-lane path (2026-12-01), the same FLOPs as 1 head x batch 8 (each head's rows 256 B
     * apart) 38.4-38.5 ms against 47.5-47.6 ms as 8 heads x batch 1. (A separate argument, the one slot left under
     * TornadoVM's 20 task parameters, rather than a bit of {@code lanes}: the 16-lane tests of {@code lanes} stay as they were.)
     *
     * <p>{@code lanes}: the float width of the device's vector registers (8 or 16; a model's
     * {@code LaunchGeometry.vectorLanes()}). 16 runs the tiles described above, unchanged. 8 (AVX2: 16 ymm registers,
     * a Float16 takes two) runs the same algorithm with tiles of 4 keys ({@link #scoresOfFourKeys}) and 4 dimensions
     * ({@link #outputOfFourDims}) x 16 rows, 8 ymm of sums: the 8-key and 8-dimension tiles (16 ymm of sums) spilled to
     * the stack inside both products (perf annotate on Zen 3). It also takes chunks of at most
     * {@link #FLASH_NARROW_CHUNK_KEYS} keys. (Until stop 27 it also packed each chunk's rows of v into a private array,
     * so that token-major rows 2 KB apart stayed in L1 across the output's passes; with head-major K/V, and measured
     * without it on Zen 4 with 8 lanes, JMH on PoCL, L = 4096, W = 256, 8 heads, d 64, 2026-12-01: head-major
     * 27.3-27.8 -> 18.8 ms, token-major 34.9 -> 20.2 ms, so v is read in place.) The sums are the same in the same order, so the two paths give the same bits
     * where their chunks agree (a block seeing at most 64 keys); beyond that the online softmax's rescaling points
     * differ and so may the last bits. PoCL, Zen 3 (2 cores, AVX2), L = 4096, W = 256, 8 heads, d 64, JMH medians
     * (2026-11-30, benchmarks/README.md "flashTiled on 8 lanes"): main's 16-lane tiles 51-61 ms; 4-key/4-dimension
     * tiles alone 53 ms; with chunks of 128 keys 47.5-48.7 ms, of 64 keys 43-48 ms; with v packed 43-46 ms.
     * What holds the 8-lane path near 45-47 ms (33-35 % of the peer's sgemm, 127-141; 50 % needs 29-33 ms), measured the same way
     * (2026-11-30, helper flash9, benchmarks/README.md "flashTiled's 8-lane products"): not the separate vector multiply
     * and add. Written as scalar {@code a * b + c} over a private 4 x 16 tile, both products compile to
     * {@code vfmadd231ps} (scores: 2 loads, 4 broadcasts, 8 fma, 14 instructions a step, no spills), and neither
     * that, nor K packed like v, nor 6 dimensions x 16 rows of output (12 ymm of sums, no spills) moved the JMH
     * medians beyond the noise, nor the products' share of the samples (scores 34-36 %, output 26-29 %, packing v
     * 13-15 %). Zen 3 runs the two forms at the same rate (multiplies on the two FMA pipes, adds on the two add
     * pipes); a C loop of the output product's exact mix on data in L1 takes 5.2-6.0 cycles per 8 multiply-adds
     * fused or not (the pipes' bound is 4), where this kernel's loops take about 8 (output) and 10 (scores), so the
     * tiles' shape (a broadcast per two multiply-adds with 16 rows) caps the products near 70 % of the FMA peak even
     * in L1. The scores' further gap is most likely K arriving from L3: with rows 2 KB apart (8 heads x 64
     * dimensions) a block's window of K and V (271 keys each) needs about 17 lines per set of the 8-way L2, so the
     * next block, which shares 255 of them, finds them evicted (an inference from the stalls on the first K
     * broadcast of each step and from packing v at about 7 cycles per 32 bytes; the output loop's own gap, its data
     * in L1, is not established). The lever left is more query rows per work-item (each K or V value serving 32
     * rows: half the traffic and half the broadcasts per multiply-add), a change to {@link #FLASH_BLOCK_Q}'s users.
     *
     * <p>Stop 22 (2026-11-30; tornado-kernels/README.md, "Claimed output lines and mask-free chunks"): the block's
     * lines of {@code out} are claimed before the products ({@link #claimOutputLines}; per {@code perf} the final
     * stores had waited for them: 9.2 -> 2.8 % of the kernel's samples), chunks end at the edges of the keys every row
     * sees (a causal window of W = 256: 16 + 240 + 16 keys, the middle chunk unmasked; the mask pass 4.3 -> 2.2 %),
     * and a chunk inside the band computes its keys directly. JMH pairs on PoCL at L = 4096, W = 256, 8 heads, d 64
     * against main: 9.54 / 9.65 / 9.85 -> 9.16 / 9.16 / 9.78 ms; {@code scripts/bench --only attention --device
     * tornado --quick}: 9.3 ms, 222.8 useful GFLOP/s, 46 % of sgemm 483; 9.8 ms, 212.0, 55 % of sgemm 384 (50 % of
     * an sgemm of 456-483 needs 8.6-9.1 ms). Measured and not kept: chunks of 272 keys
     * alone (one chunk per block: the same within the noise); touching each q row's fifth line with the claim before
     * the staging; clearing {@code outputT} before the loads of q (both the same within the noise).
     *
     * <p>Chunks (2026-11-30, stop 21; tornado-kernels/README.md, "Chunks of 128 keys"): under JMH on PoCL at L = 4096,
     * W = 256, 8 heads, d 64, alternating with the kernel before them (tiles of {@link #FLASH_TILED_KEYS} keys, one
     * online-softmax step per tile with {@code TornadoMath.exp}): 10.1-10.5 ms against 12.0-12.8 over 5 pairs;
     * {@code scripts/bench --only attention --device tornado --quick}: 10.2 ms, 204 useful GFLOP/s, 45 % of sgemm 456
     * (the issue's 50 %, about 9.1 ms, not reached; 43-51 % of the sgemm measured beside the A/B pairs, 390-457). Per {@code perf} the
     * products are now about 66 % of the kernel's samples, the softmax 12 %, writing {@code out} 7 %, staging and
     * per-block set-up about 10 %. Measured and not kept: chunks of 64 keys (the same within the noise); {@code 2^n}
     * from two shifts down to {@code 2^-60} (LLVM vectorized that loop to 256 bits only: 11.1-11.4 ms); PoCL's
     * {@code floor} in {@link #exp2} (a branchy scalar function: the loop stayed scalar, 27 ms); clearing only the
     * {@code dims x 16} floats of {@code outputT} in use (no gain).
     *
     * <p>What bounded the 16-key tiles (PoCL, L = 4096, W = 256, 8 heads, d 64, 2026-11-30: 12.1-12.3 ms): with the whole softmax
     * taken out (wrong results, a measurement only) it ran 9.9 ms, with exp replaced by a multiply-add 10.8-11.0 ms, so
     * the two products and the memory behind them hold it near 45 % of the peer's sgemm even with a free softmax.
     * Measured and not kept (none faster than this kernel beyond the noise, about 2 %; some slower): an exp2 in plain
     * float arithmetic (Q staged times scale log2(e), 2^n from two int shifts converted to float: 26 instead of about
     * 38 instructions per 8 lanes, but latency-bound), also with the mask skipped on tiles inside every row's band
     * (TornadoVM then unrolled that loop and LLVM kept NaN checks in its maxima); clearing only the rows of outputT the
     * head dimension uses; the output stored as vectors (LLVM gathers the transposed tile); 32-key tiles (17.5 ms);
     * and the head dimensions in the lanes of {@code O += P V} (16 sums of rows, V loaded as vectors, row-major
     * output: 14.1-14.8 ms; most likely because a FloatArray's data starts 16 bytes into its buffer, so every 16-float
     * load of a row of v crosses a cache line, where the broadcasts used here never do). Also measured and not kept
     * (same PoCL shape, alternating runs, medians of 200): two 16-row blocks per work-item (32 rows over the union of
     * their keys, about 6 % more keys), every broadcast key or value serving both blocks (4 keys or dimensions x 2
     * blocks of Float16 sums: 6 loads per 8 vector multiply-adds instead of 9): 12.6-13.4 ms against 12.5-12.7 ms. The
     * products kept their share of the time (55 %, the loops as tight as intended), so the broadcast loads do not bound
     * them; the separate vector multiply and add more likely do (TornadoVM's Float16 has no fma). With the two blocks'
     * softmaxes in one basic block LLVM's SLP vectorizer turned them into 4-lane code with gathers (22 ms); a branch
     * between them (the dropout test) avoided that.
     */
    public static void flashTiled(KernelContext context, FloatArray q, FloatArray k, FloatArray v, FloatArray out, IntArray globalTokens, int numGlobal,
            FloatArray slopes, int batch, int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows, int causal, int biasKind,
            float apeScale, float scale, int lanes, int kvLayout) {
        int block = context.globalIdx;
        int first = block * FLASH_BLOCK_Q;
        int bh = context.globalIdy;
        float[] queriesT = new float[FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q];
        float[] outputT = new float[FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q];
        float[] weights = new float[FLASH_CHUNK_KEYS * FLASH_BLOCK_Q];
        int[] chunkKeys = new int[FLASH_CHUNK_KEYS];
        int[] rowBounds = new int[3 * FLASH_BLOCK_Q];
        float[] rowState = new float[ROW_STATE * FLASH_BLOCK_Q];
        int[] geometry = new int[FLASH_BLOCK_INTS];
        // Bounded by the block count, as flash (TornadoVM 5.2.1 "logic node LogicConstantNode" otherwise).
        if (block < (seqLen + FLASH_BLOCK_Q - 1) / FLASH_BLOCK_Q && bh < batch * numHeads) {
            int dims = headDim <= FLASH_MAX_HEAD_DIM ? headDim : 0;
            flashBlock(geometry, globalTokens, numGlobal, windows, first, bh, seqLen, numHeads, numKvHeads, headDim, causal);
            int lastRow = geometry[BLOCK_LAST_ROW];
            int h = geometry[BLOCK_HEAD];
            // Key t of this block's kv head starts at kvBase + t * kvRowStride: token-major rows [b][t][kvHead][d]
            // (numKvHeads * headDim apart) or head-major [b][kvHead][t][d] (headDim apart); nothing else reads k or v.
            boolean headMajor = kvLayout == KV_HEAD_MAJOR;
            int kvRowStride = headMajor ? headDim : numKvHeads * headDim;
            int kvBase = headMajor ? ((bh / numHeads) * numKvHeads + h / (numHeads / numKvHeads)) * seqLen * headDim : geometry[BLOCK_KV_BASE];
            int queryRowStride = numHeads * headDim;
            int queryBase = geometry[BLOCK_QUERY_BASE];

            stageQueriesTransposed(queriesT, outputT, q, queryBase, queryRowStride, lastRow, dims);
            claimOutputLines(out, queryBase, queryRowStride, lastRow, headDim);
            rowMasks(rowBounds, rowState, globalTokens, numGlobal, windows, h, first, lastRow, seqLen, causal);
            // The band keys every row of the block sees, [seenByAllFrom, seenByAllTo) in the block's list of keys: chunks
            // end at its edges, so that the chunks inside it take no mask (a causal window of W keys: W - 15 of W + 15).
            int lead = geometry[BLOCK_GLOBALS_BEFORE];
            int bandStart = geometry[BLOCK_KEYS_START];
            int bandKeys = geometry[BLOCK_KEYS_END] - bandStart;
            int seenFrom = rowBounds[FLASH_BLOCK_Q];
            int seenTo = rowBounds[2 * FLASH_BLOCK_Q];
            for (int i = 1; i < FLASH_BLOCK_Q; i++) {
                seenFrom = TornadoMath.max(seenFrom, rowBounds[FLASH_BLOCK_Q + i]);
                seenTo = TornadoMath.min(seenTo, rowBounds[2 * FLASH_BLOCK_Q + i]);
            }
            // Narrowed to whole register tiles from the block's first key, so that no chunk but the last pads its keys.
            int seenByAllFrom = TornadoMath.min(roundUpToTile(lead + TornadoMath.min(TornadoMath.max(seenFrom - bandStart, 0), bandKeys)),
                    geometry[BLOCK_KEY_COUNT]);
            int seenByAllTo = seenByAllFrom + TornadoMath.max(lead + TornadoMath.min(TornadoMath.max(seenTo - bandStart, 0), bandKeys) - seenByAllFrom, 0)
                    / FLASH_REGISTER_STEP * FLASH_REGISTER_STEP;
            int chunkStart = 0;
            while (chunkStart < geometry[BLOCK_KEY_COUNT]) {
                int chunkEnd = chunkStart < seenByAllFrom ? seenByAllFrom : chunkStart < seenByAllTo ? seenByAllTo : geometry[BLOCK_KEY_COUNT];
                int width = TornadoMath.min(lanes == 16 ? FLASH_CHUNK_KEYS : FLASH_NARROW_CHUNK_KEYS, chunkEnd - chunkStart);
                boolean seenByAll = (chunkStart >= seenByAllFrom) & (chunkStart + width <= seenByAllTo);
                // The chunk's keys padded to whole register tiles (the padding repeats the last key, masked out).
                int keys = roundUpToTile(width);
                // A chunk inside the band (no global token before or after it in the list) is a run of consecutive keys:
                // computed directly, where blockKey's general form kept two masked gathers from globalTokens per 8 keys.
                if ((chunkStart >= lead) & (chunkStart + width <= lead + bandKeys)) {
                    for (int c = 0; c < keys; c++) {
                        chunkKeys[c] = bandStart - lead + chunkStart + TornadoMath.min(c, width - 1);
                    }
                } else {
                    for (int c = 0; c < keys; c++) {
                        chunkKeys[c] = blockKey(geometry, globalTokens, chunkStart + TornadoMath.min(c, width - 1));
                    }
                }
                if (lanes == 16) {
                    for (int c0 = 0; c0 < keys; c0 += FLASH_REGISTER_STEP) {
                        wideScores(weights, queriesT, k, chunkKeys, kvBase, kvRowStride, c0, dims);
                    }
                } else {
                    for (int c0 = 0; c0 < keys; c0 += FLASH_NARROW_STEP) {
                        scoresOfFourKeys(weights, queriesT, k, chunkKeys, kvBase, kvRowStride, c0, dims);
                    }
                }
                maskedLogits(weights, rowBounds, rowState, chunkKeys, width, keys, seenByAll, globalTokens, numGlobal, slopes, h, seqLen, causal, biasKind,
                        apeScale, scale, LOG2_E);
                chunkWeights(weights, rowState, keys);
                int keepThreshold = AttentionMasks.dropoutKeepThreshold(windows, numHeads);
                if (keepThreshold < AttentionMasks.DROPOUT_OFF) {
                    tiledDropout(weights, chunkKeys, keys, AttentionMasks.dropoutMaskSeed(windows, numHeads), bh * seqLen + first, lastRow,
                            keepThreshold);
                }
                // A chunk of consecutive keys (every chunk of a band, the last one too) reads V at addresses affine in the
                // key, which LLVM strength-reduces (the general form, through chunkKeys, took twice the instructions per
                // product). The keys ascend strictly and the padding repeats the last key, so the chunk is consecutive
                // when its last key is width - 1 after its first; the padding then reads the keys after the last, whose
                // weights are 0, if they are inside the sequence (not past the end of v).
                boolean consecutive = (chunkKeys[keys - 1] - chunkKeys[0] == width - 1) & (chunkKeys[0] + keys <= seqLen);
                if (lanes == 16) {
                    int fullDims = dims - dims % FLASH_REGISTER_STEP;
                    for (int d0 = 0; d0 < fullDims; d0 += FLASH_REGISTER_STEP) {
                        if (consecutive) {
                            wideOutput(outputT, weights, rowState, v, chunkKeys, keys, kvBase + chunkKeys[0] * kvRowStride, kvRowStride, 0, d0,
                                    Integer.MAX_VALUE);
                        } else {
                            wideOutput(outputT, weights, rowState, v, chunkKeys, keys, kvBase, 0, kvRowStride, d0, Integer.MAX_VALUE);
                        }
                    }
                    if (fullDims < dims) {
                        wideOutput(outputT, weights, rowState, v, chunkKeys, keys, kvBase, 0, kvRowStride, fullDims, dims - 1 - fullDims);
                    }
                } else {
                    int fullDims = dims - dims % FLASH_NARROW_STEP;
                    for (int d0 = 0; d0 < fullDims; d0 += FLASH_NARROW_STEP) {
                        if (consecutive) {
                            outputOfFourDims(outputT, weights, rowState, v, chunkKeys, keys, kvBase + chunkKeys[0] * kvRowStride, kvRowStride, 0, d0,
                                    Integer.MAX_VALUE);
                        } else {
                            outputOfFourDims(outputT, weights, rowState, v, chunkKeys, keys, kvBase, 0, kvRowStride, d0, Integer.MAX_VALUE);
                        }
                    }
                    if (fullDims < dims) {
                        outputOfFourDims(outputT, weights, rowState, v, chunkKeys, keys, kvBase, 0, kvRowStride, fullDims, dims - 1 - fullDims);
                    }
                }
                chunkStart += width;
            }
            writeOutput(out, outputT, rowState, queryBase, queryRowStride, lastRow, headDim, dims);
        }
    }

    /**
     * {@code out[row i] = outputT[.][i] / sum_i} for the block's rows, or NaN rows where the head dimension is too large
     * ({@code dims} 0). Dimension-major with the 16 rows unrolled, so that every store is a scalar store: row by row
     * LLVM vectorized the loop over dimensions into gathers from {@code outputT} and scatters to {@code out} (it cannot
     * see that TornadoVM's integer addresses into {@code out} are consecutive), about 9 % of the kernel's time. Rows
     * past {@code lastRow} (which stage, mask, bias and drop out as row {@code lastRow}) store to row {@code lastRow};
     * the rows go from the last down, so row {@code lastRow}'s own value is the one that stays.
     */
    private static void writeOutput(FloatArray out, float[] outputT, float[] rowState, int queryBase, int queryRowStride, int lastRow, int headDim,
            int dims) {
        if (dims == headDim) {
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                rowState[CORRECTION * FLASH_BLOCK_Q + i] = 1.0f / rowState[SUM * FLASH_BLOCK_Q + i];
            }
            for (int d = 0; d < headDim; d++) {
                for (int r = 0; r < FLASH_BLOCK_Q; r++) {
                    int i = FLASH_BLOCK_Q - 1 - r;
                    out.set(queryBase + TornadoMath.min(i, lastRow) * queryRowStride + d,
                            outputT[d * FLASH_BLOCK_Q + i] * rowState[CORRECTION * FLASH_BLOCK_Q + i]);
                }
            }
        } else {
            for (int i = 0; i <= lastRow; i++) {
                for (int d = 0; d < headDim; d++) {
                    out.set(queryBase + i * queryRowStride + d, Float.NaN);
                }
            }
        }
    }

    /** {@code keys} rounded up to whole register tiles of {@link #FLASH_REGISTER_STEP} keys. */
    private static int roundUpToTile(int keys) {
        return (keys + FLASH_REGISTER_STEP - 1) / FLASH_REGISTER_STEP * FLASH_REGISTER_STEP;
    }

    /**
     * Stores 0 to one float of every cache line (16 floats) of the block's rows of {@code out}, which
     * {@link #writeOutput} overwrites at the end: the lines' ownership is fetched while the products run, where the
     * final stores used to wait for it.
     */
    private static void claimOutputLines(FloatArray out, int queryBase, int queryRowStride, int lastRow, int headDim) {
        for (int i = 0; i <= lastRow; i++) {
            for (int d = 0; d < headDim + 15; d += 16) {
                out.set(queryBase + i * queryRowStride + TornadoMath.min(d, headDim - 1), 0.0f);
            }
        }
    }

    /**
     * {@code queriesT[d][i] = q[row i, d]} for the block's rows (rows past {@code lastRow} repeat it; never stored) and
     * {@code d < dims}; zeroes the running output {@code outputT} (private arrays start undefined on a device).
     */
    private static void stageQueriesTransposed(float[] queriesT, float[] outputT, FloatArray q, int queryBase, int queryRowStride, int lastRow, int dims) {
        // First one float per cache line of every row (16 floats = 64 bytes; a short loop, so LLVM keeps it scalar):
        // 64 independent loads put all of the block's lines of q in flight at once; then every float, from cache.
        for (int d = 0; d < dims; d += FLASH_BLOCK_Q) {
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                queriesT[d * FLASH_BLOCK_Q + i] = q.get(queryBase + TornadoMath.min(i, lastRow) * queryRowStride + d);
            }
        }
        for (int d = 0; d < dims; d++) {
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                queriesT[d * FLASH_BLOCK_Q + i] = q.get(queryBase + TornadoMath.min(i, lastRow) * queryRowStride + d);
            }
        }
        for (int e = 0; e < FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q; e++) {
            outputT[e] = 0.0f;
        }
    }

    /**
     * Per row i of a {@link #flashTiled} block, once: {@code rowBounds} = the query's position, the start and the end
     * of its run of keys ({@link AttentionMasks#keysStart}/{@link AttentionMasks#keysEnd}: all keys up to the causal
     * limit for a global query); {@code rowState} = running maximum and running sum, then per tile the correction,
     * the new maximum and the tile's sum ({@link #ROW_STATE} rows of lanes).
     */
    private static void rowMasks(int[] rowBounds, float[] rowState, IntArray globalTokens, int numGlobal, IntArray windows, int h, int first, int lastRow,
            int seqLen, int causal) {
        for (int i = 0; i < FLASH_BLOCK_Q; i++) {
            int query = first + TornadoMath.min(i, lastRow);
            boolean queryIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, query);
            rowBounds[i] = query;
            rowBounds[FLASH_BLOCK_Q + i] = AttentionMasks.keysStart(query, queryIsGlobal, AttentionMasks.windowLeft(windows, h));
            rowBounds[2 * FLASH_BLOCK_Q + i] = AttentionMasks.keysEnd(query, queryIsGlobal, AttentionMasks.windowRight(windows, h), causal, seqLen);
            rowState[i] = MASKED;
            rowState[SUM * FLASH_BLOCK_Q + i] = 0.0f;
        }
    }

    /**
     * {@code weights[c][i] = q_i . k_c} for the {@link #FLASH_REGISTER_STEP} keys of the tile from {@code c0}: the
     * sums stay in {@code tile} (registers) across the head dimension, each step a broadcast key value times the
     * row {@code queriesT[d]}.
     */
    private static void tiledScores(float[] weights, float[] tile, float[] queriesT, FloatArray k, int[] tileKeys, int c0, int kvBase, int kvRowStride,
            int dims) {
        // Nested constant loops, as every access of tile: TornadoVM unrolls them (one flat loop of 128 it did not,
        // and a single variable index keeps LLVM from holding tile in registers anywhere).
        for (int c = 0; c < FLASH_REGISTER_STEP; c++) {
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                tile[c * FLASH_BLOCK_Q + i] = 0.0f;
            }
        }
        for (int d = 0; d < dims; d++) {
            for (int c = 0; c < FLASH_REGISTER_STEP; c++) {
                float key = k.get(kvBase + tileKeys[c0 + c] * kvRowStride + d);
                for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                    tile[c * FLASH_BLOCK_Q + i] = tile[c * FLASH_BLOCK_Q + i] + key * queriesT[d * FLASH_BLOCK_Q + i];
                }
            }
        }
        for (int c = 0; c < FLASH_REGISTER_STEP; c++) {
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                weights[(c0 + c) * FLASH_BLOCK_Q + i] = tile[c * FLASH_BLOCK_Q + i];
            }
        }
    }

    /**
     * {@code weights[c][i] = q_i . k_c} for the {@link #FLASH_REGISTER_STEP} keys of a {@link #flashTiled} tile from
     * {@code c0}: one 16-lane sum per key (the block's rows, {@link Float16Lanes#load}) held across the head dimension, each step
     * a broadcast key value times the row {@code queriesT[d]}. Key c's row of k starts at
     * {@code kvBase + tileKeys[c] * kvRowStride}; the 8 rows are fixed across the loop, so unlike {@link #wideOutput}
     * it needs no affine form for consecutive keys (both compile to the same 21 instructions per step).
     */
    private static void wideScores(float[] weights, float[] queriesT, FloatArray k, int[] tileKeys, int kvBase, int kvRowStride, int c0, int dims) {
        int key0 = kvBase + tileKeys[c0] * kvRowStride;
        int key1 = kvBase + tileKeys[c0 + 1] * kvRowStride;
        int key2 = kvBase + tileKeys[c0 + 2] * kvRowStride;
        int key3 = kvBase + tileKeys[c0 + 3] * kvRowStride;
        int key4 = kvBase + tileKeys[c0 + 4] * kvRowStride;
        int key5 = kvBase + tileKeys[c0 + 5] * kvRowStride;
        int key6 = kvBase + tileKeys[c0 + 6] * kvRowStride;
        int key7 = kvBase + tileKeys[c0 + 7] * kvRowStride;
        Float16 sums0 = broadcast(0.0f);
        Float16 sums1 = broadcast(0.0f);
        Float16 sums2 = broadcast(0.0f);
        Float16 sums3 = broadcast(0.0f);
        Float16 sums4 = broadcast(0.0f);
        Float16 sums5 = broadcast(0.0f);
        Float16 sums6 = broadcast(0.0f);
        Float16 sums7 = broadcast(0.0f);
        for (int d = 0; d < dims; d++) {
            Float16 queries = load(queriesT, d * FLASH_BLOCK_Q);
            sums0 = multiplyAdd(sums0, k.get(key0 + d), queries);
            sums1 = multiplyAdd(sums1, k.get(key1 + d), queries);
            sums2 = multiplyAdd(sums2, k.get(key2 + d), queries);
            sums3 = multiplyAdd(sums3, k.get(key3 + d), queries);
            sums4 = multiplyAdd(sums4, k.get(key4 + d), queries);
            sums5 = multiplyAdd(sums5, k.get(key5 + d), queries);
            sums6 = multiplyAdd(sums6, k.get(key6 + d), queries);
            sums7 = multiplyAdd(sums7, k.get(key7 + d), queries);
        }
        int at = c0 * FLASH_BLOCK_Q;
        store(weights, at, sums0);
        store(weights, at + FLASH_BLOCK_Q, sums1);
        store(weights, at + 2 * FLASH_BLOCK_Q, sums2);
        store(weights, at + 3 * FLASH_BLOCK_Q, sums3);
        store(weights, at + 4 * FLASH_BLOCK_Q, sums4);
        store(weights, at + 5 * FLASH_BLOCK_Q, sums5);
        store(weights, at + 6 * FLASH_BLOCK_Q, sums6);
        store(weights, at + 7 * FLASH_BLOCK_Q, sums7);
    }

    /**
     * {@code outputT[d][i] = correction_i outputT[d][i] + sum_c weights[c][i] v_c[d]} for the
     * {@link #FLASH_REGISTER_STEP} dimensions of a {@link #flashTiled} block from {@code d0}: one 16-lane sum per
     * dimension (the block's rows) held across the tile's keys, each step a broadcast value times a row of weights.
     * Key c's row of v starts at {@code rowBase + c * keyStep + tileKeys[c] * keyScale}: one of the two steps is 0 at
     * each call (TornadoVM inlines the constant, so the unused form folds away). Dimensions past {@code d0 + lastOffset}
     * read v there (their rows of {@code outputT} are never stored); {@link Integer#MAX_VALUE} when all are real, so
     * that the clamps fold away.
     */
    private static void wideOutput(float[] outputT, float[] weights, float[] rowState, FloatArray v, int[] tileKeys, int keys, int rowBase,
            int keyStep, int keyScale, int d0, int lastOffset) {
        // The sums start at zero and meet outputT once, at the end: loading the eight rows of outputT as Float16 here
        // took the method past TornadoVM's inlining limit (610 graph nodes > 600).
        Float16 sums0 = broadcast(0.0f);
        Float16 sums1 = broadcast(0.0f);
        Float16 sums2 = broadcast(0.0f);
        Float16 sums3 = broadcast(0.0f);
        Float16 sums4 = broadcast(0.0f);
        Float16 sums5 = broadcast(0.0f);
        Float16 sums6 = broadcast(0.0f);
        Float16 sums7 = broadcast(0.0f);
        int offset0 = TornadoMath.min(0, lastOffset);
        int offset1 = TornadoMath.min(1, lastOffset);
        int offset2 = TornadoMath.min(2, lastOffset);
        int offset3 = TornadoMath.min(3, lastOffset);
        int offset4 = TornadoMath.min(4, lastOffset);
        int offset5 = TornadoMath.min(5, lastOffset);
        int offset6 = TornadoMath.min(6, lastOffset);
        int offset7 = TornadoMath.min(7, lastOffset);
        for (int c = 0; c < keys; c++) {
            // One address plus constant offsets (OpenCL's signed adds do not overflow, so LLVM folds the offsets into
            // the loads; with row + min(d0 + dd, lastDim) it computed and sign-extended eight addresses per key).
            int at = rowBase + c * keyStep + tileKeys[c] * keyScale + d0;
            Float16 rowWeights = load(weights, c * FLASH_BLOCK_Q);
            sums0 = multiplyAdd(sums0, v.get(at + offset0), rowWeights);
            sums1 = multiplyAdd(sums1, v.get(at + offset1), rowWeights);
            sums2 = multiplyAdd(sums2, v.get(at + offset2), rowWeights);
            sums3 = multiplyAdd(sums3, v.get(at + offset3), rowWeights);
            sums4 = multiplyAdd(sums4, v.get(at + offset4), rowWeights);
            sums5 = multiplyAdd(sums5, v.get(at + offset5), rowWeights);
            sums6 = multiplyAdd(sums6, v.get(at + offset6), rowWeights);
            sums7 = multiplyAdd(sums7, v.get(at + offset7), rowWeights);
        }
        // One base plus constant offsets: with (d0 + dd) * FLASH_BLOCK_Q LLVM kept 16 addresses (spilled) per chunk.
        int chunk = d0 * FLASH_BLOCK_Q;
        rescaleAndAdd(outputT, chunk, rowState, sums0);
        rescaleAndAdd(outputT, chunk + FLASH_BLOCK_Q, rowState, sums1);
        rescaleAndAdd(outputT, chunk + 2 * FLASH_BLOCK_Q, rowState, sums2);
        rescaleAndAdd(outputT, chunk + 3 * FLASH_BLOCK_Q, rowState, sums3);
        rescaleAndAdd(outputT, chunk + 4 * FLASH_BLOCK_Q, rowState, sums4);
        rescaleAndAdd(outputT, chunk + 5 * FLASH_BLOCK_Q, rowState, sums5);
        rescaleAndAdd(outputT, chunk + 6 * FLASH_BLOCK_Q, rowState, sums6);
        rescaleAndAdd(outputT, chunk + 7 * FLASH_BLOCK_Q, rowState, sums7);
    }

    /**
     * {@link #wideScores} for 4 keys from {@code c0}, for 8-lane devices ({@code lanes} 8 in {@link #flashTiled}): on
     * AVX2 a {@link Float16} is two 256-bit registers, so 8 sums (16 registers) plus the row of queries (2) outnumber
     * the 16 ymm registers and spilled inside the loop; 4 sums (8 registers), the queries (2) and a broadcast fit.
     * The same sums in the same order as {@link #wideScores}: the same bits.
     */
    private static void scoresOfFourKeys(float[] weights, float[] queriesT, FloatArray k, int[] tileKeys, int kvBase, int kvRowStride, int c0,
            int dims) {
        int key0 = kvBase + tileKeys[c0] * kvRowStride;
        int key1 = kvBase + tileKeys[c0 + 1] * kvRowStride;
        int key2 = kvBase + tileKeys[c0 + 2] * kvRowStride;
        int key3 = kvBase + tileKeys[c0 + 3] * kvRowStride;
        Float16 sums0 = broadcast(0.0f);
        Float16 sums1 = broadcast(0.0f);
        Float16 sums2 = broadcast(0.0f);
        Float16 sums3 = broadcast(0.0f);
        for (int d = 0; d < dims; d++) {
            Float16 queries = load(queriesT, d * FLASH_BLOCK_Q);
            sums0 = multiplyAdd(sums0, k.get(key0 + d), queries);
            sums1 = multiplyAdd(sums1, k.get(key1 + d), queries);
            sums2 = multiplyAdd(sums2, k.get(key2 + d), queries);
            sums3 = multiplyAdd(sums3, k.get(key3 + d), queries);
        }
        int at = c0 * FLASH_BLOCK_Q;
        store(weights, at, sums0);
        store(weights, at + FLASH_BLOCK_Q, sums1);
        store(weights, at + 2 * FLASH_BLOCK_Q, sums2);
        store(weights, at + 3 * FLASH_BLOCK_Q, sums3);
    }

    /**
     * {@link #wideOutput} for the 4 dimensions from {@code d0}, for 8-lane devices (why 4: {@link #scoresOfFourKeys}),
     * with the same addressing of v: the same sums in the same order, so the same bits. Read in place: with head-major
     * K/V a chunk's rows of v are consecutive, where token-major rows 2 KB apart (8 heads x d 64) had to be packed
     * into a private array to stay in L1 across the output's passes (13-15 % of the kernel's samples).
     */
    private static void outputOfFourDims(float[] outputT, float[] weights, float[] rowState, FloatArray v, int[] tileKeys, int keys, int rowBase,
            int keyStep, int keyScale, int d0, int lastOffset) {
        Float16 sums0 = broadcast(0.0f);
        Float16 sums1 = broadcast(0.0f);
        Float16 sums2 = broadcast(0.0f);
        Float16 sums3 = broadcast(0.0f);
        int offset0 = TornadoMath.min(0, lastOffset);
        int offset1 = TornadoMath.min(1, lastOffset);
        int offset2 = TornadoMath.min(2, lastOffset);
        int offset3 = TornadoMath.min(3, lastOffset);
        for (int c = 0; c < keys; c++) {
            int at = rowBase + c * keyStep + tileKeys[c] * keyScale + d0;
            Float16 rowWeights = load(weights, c * FLASH_BLOCK_Q);
            sums0 = multiplyAdd(sums0, v.get(at + offset0), rowWeights);
            sums1 = multiplyAdd(sums1, v.get(at + offset1), rowWeights);
            sums2 = multiplyAdd(sums2, v.get(at + offset2), rowWeights);
            sums3 = multiplyAdd(sums3, v.get(at + offset3), rowWeights);
        }
        int chunk = d0 * FLASH_BLOCK_Q;
        rescaleAndAdd(outputT, chunk, rowState, sums0);
        rescaleAndAdd(outputT, chunk + FLASH_BLOCK_Q, rowState, sums1);
        rescaleAndAdd(outputT, chunk + 2 * FLASH_BLOCK_Q, rowState, sums2);
        rescaleAndAdd(outputT, chunk + 3 * FLASH_BLOCK_Q, rowState, sums3);
    }

    /** {@code outputT[at + i] = correction_i outputT[at + i] + sums[i]} for the 16 rows of a {@link #flashTiled} block. */
    private static void rescaleAndAdd(float[] outputT, int at, float[] rowState, Float16 sums) {
        for (int i = 0; i < FLASH_BLOCK_Q; i++) {
            outputT[at + i] = outputT[at + i] * rowState[CORRECTION * FLASH_BLOCK_Q + i] + sums.get(i);
        }
    }

    /**
     * The online softmax of a {@link #flashTiled} tile, on whole rows of lanes and without branches (so that LLVM
     * vectorizes it across the lanes): masks each score by its row's visibility (keys past {@code width} are
     * padding), adds scale and bias, and turns the scores into weights against the rows' new running maxima; the
     * running sums take them and the correction {@code exp(old max - new max)} goes to {@code rowState} for
     * {@link #tiledOutput}. A row that has seen no key yet keeps the maximum {@code MASKED} and gets weights
     * {@code exp(MASKED - 0) = 0}.
     */
    private static void tiledSoftmax(float[] weights, int[] rowBounds, float[] rowState, int[] tileKeys, int width, IntArray globalTokens, int numGlobal,
            FloatArray slopes, int h, int seqLen, int causal, int biasKind, float apeScale, float scale) {
        maskedLogits(weights, rowBounds, rowState, tileKeys, width, FLASH_TILED_KEYS, false, globalTokens, numGlobal, slopes, h, seqLen, causal, biasKind,
                apeScale, scale, 1.0f);
        for (int i = 0; i < FLASH_BLOCK_Q; i++) {
            float newMax = rowState[NEW_MAX * FLASH_BLOCK_Q + i];
            rowState[CORRECTION * FLASH_BLOCK_Q + i] = TornadoMath.exp(rowState[i] - newMax);
            rowState[i] = newMax;
            rowState[NEW_MAX * FLASH_BLOCK_Q + i] = newMax > MASKED ? newMax : 0.0f;
            rowState[TILE_SUM * FLASH_BLOCK_Q + i] = 0.0f;
        }
        for (int c = 0; c < FLASH_TILED_KEYS; c++) {
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                float weight = TornadoMath.exp(weights[c * FLASH_BLOCK_Q + i] - rowState[NEW_MAX * FLASH_BLOCK_Q + i]);
                weights[c * FLASH_BLOCK_Q + i] = weight;
                rowState[TILE_SUM * FLASH_BLOCK_Q + i] = rowState[TILE_SUM * FLASH_BLOCK_Q + i] + weight;
            }
        }
        for (int i = 0; i < FLASH_BLOCK_Q; i++) {
            rowState[SUM * FLASH_BLOCK_Q + i] = rowState[SUM * FLASH_BLOCK_Q + i] * rowState[CORRECTION * FLASH_BLOCK_Q + i]
                    + rowState[TILE_SUM * FLASH_BLOCK_Q + i];
        }
    }

    /**
     * The logits of {@code keys} keys of a {@link #flashTiled} chunk (pass 1 of its softmax, {@code units} =
     * log2(e), for {@link #exp2}) or of a backward tile ({@link #tiledSoftmax}, {@code units} = 1: natural logs, the
     * same bits as without the factor), on whole rows of lanes and without branches (so that LLVM vectorizes it across
     * the lanes): masks each score by its row's visibility (keys from {@code width} are padding), adds scale and bias,
     * times {@code units}, and takes each row's maximum over the keys with its running maximum into {@code rowState}'s
     * new maximum. With {@code seenByAll} (every row sees every key of the chunk) only the padding is masked.
     */
    private static void maskedLogits(float[] weights, int[] rowBounds, float[] rowState, int[] chunkKeys, int width, int keys, boolean seenByAll,
            IntArray globalTokens, int numGlobal, FloatArray slopes, int h, int seqLen, int causal, int biasKind, float apeScale, float scale, float units) {
        float unitScale = scale * units;
        for (int i = 0; i < FLASH_BLOCK_Q; i++) {
            rowState[NEW_MAX * FLASH_BLOCK_Q + i] = rowState[i];
        }
        if (seenByAll) {
            // Every row sees every key but the padding: no mask (one loop per case, the test outside both).
            for (int c = 0; c < width; c++) {
                int key = chunkKeys[c];
                for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                    float logit = scaledLogit(weights[c * FLASH_BLOCK_Q + i], rowBounds[i], key, slopes, h, seqLen, biasKind, apeScale, unitScale, units);
                    weights[c * FLASH_BLOCK_Q + i] = logit;
                    rowState[NEW_MAX * FLASH_BLOCK_Q + i] = TornadoMath.max(rowState[NEW_MAX * FLASH_BLOCK_Q + i], logit);
                }
            }
            for (int c = width; c < keys; c++) {
                for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                    weights[c * FLASH_BLOCK_Q + i] = MASKED;
                }
            }
        } else {
            for (int c = 0; c < keys; c++) {
                int key = chunkKeys[c];
                // Padding keys (from width) are -1 for the mask: before every row's run, never global.
                int maskKey = c < width ? key : -1;
                boolean keyIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, maskKey);
                for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                    int query = rowBounds[i];
                    boolean inRun = (maskKey >= rowBounds[FLASH_BLOCK_Q + i]) & (maskKey < rowBounds[2 * FLASH_BLOCK_Q + i]);
                    boolean visible = inRun | (keyIsGlobal & ((causal == 0) | (key <= query)));
                    float logit = scaledLogit(weights[c * FLASH_BLOCK_Q + i], query, key, slopes, h, seqLen, biasKind, apeScale, unitScale, units);
                    // logit or MASKED, both exactly, by arithmetic: "visible ? logit : MASKED" left a branch around the logit in
                    // PoCL's code (the row stayed scalar).
                    float keep = visible ? 1.0f : 0.0f;
                    logit = logit * keep + (1.0f - keep) * MASKED;
                    weights[c * FLASH_BLOCK_Q + i] = logit;
                    rowState[NEW_MAX * FLASH_BLOCK_Q + i] = TornadoMath.max(rowState[NEW_MAX * FLASH_BLOCK_Q + i], logit);
                }
            }
        }
    }

    /** A score times the scale, plus the bias, in {@code units} ({@link #maskedLogits}). */
    private static float scaledLogit(float score, int query, int key, FloatArray slopes, int h, int seqLen, int biasKind, float apeScale, float unitScale,
            float units) {
        return score * unitScale + PositionalBiases.logitBias(biasKind, slopes, h, query, key, seqLen, apeScale) * units;
    }

    /**
     * Pass 2 of a {@link #flashTiled} chunk's softmax: the rows' corrections {@code 2^(old max - new max)} into
     * {@code rowState} (for {@link #wideOutput}), then all the chunk's weights {@code 2^(logit - new max)} at once
     * (independent values: the exponentials run at their throughput), which the running sums take. A row that has
     * seen no key yet keeps the maximum {@code MASKED} and gets weights {@code 2^(MASKED - 0) = 0}.
     */
    private static void chunkWeights(float[] weights, float[] rowState, int keys) {
        for (int i = 0; i < FLASH_BLOCK_Q; i++) {
            float newMax = rowState[NEW_MAX * FLASH_BLOCK_Q + i];
            rowState[CORRECTION * FLASH_BLOCK_Q + i] = exp2(rowState[i] - newMax);
            rowState[i] = newMax;
            rowState[NEW_MAX * FLASH_BLOCK_Q + i] = newMax > MASKED ? newMax : 0.0f;
            rowState[TILE_SUM * FLASH_BLOCK_Q + i] = 0.0f;
        }
        for (int c = 0; c < keys; c++) {
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                float weight = exp2(weights[c * FLASH_BLOCK_Q + i] - rowState[NEW_MAX * FLASH_BLOCK_Q + i]);
                weights[c * FLASH_BLOCK_Q + i] = weight;
                rowState[TILE_SUM * FLASH_BLOCK_Q + i] = rowState[TILE_SUM * FLASH_BLOCK_Q + i] + weight;
            }
        }
        for (int i = 0; i < FLASH_BLOCK_Q; i++) {
            rowState[SUM * FLASH_BLOCK_Q + i] = rowState[SUM * FLASH_BLOCK_Q + i] * rowState[CORRECTION * FLASH_BLOCK_Q + i]
                    + rowState[TILE_SUM * FLASH_BLOCK_Q + i];
        }
    }

    /**
     * {@code 2^x} for {@code x <= 0} in plain float arithmetic (no bit casts: TornadoVM's OpenCL backend has no
     * {@code Float.intBitsToFloat}): {@code x = n + f} with {@code f} in (-0.5, 0.5], {@code 2^f} by Cephes' exp2f
     * polynomial (relative error about 1e-7) scaled by {@code 2^-30}, {@code 2^(n + 30)} by an int shift
     * ({@code (1 << 30) >> -n} is exact for -n up to 30 and 0 at 31). Below {@code 2^-30.5} it is exactly 0 (such
     * weights change a row's result by less than {@code 7e-10} each, against a normaliser >= 1), and so is
     * {@code 2^(MASKED - finite)}.
     */
    private static float exp2(float x) {
        // (int) truncates toward zero, so n = (int)(x - 0.5) is x rounded to an integer for x <= 0 (PoCL's floor is a
        // branchy scalar function that kept LLVM from vectorizing the callers' loops).
        float clamped = TornadoMath.max(x, -31.0f);
        int whole = (int) (clamped - 0.5f);
        float f = clamped - whole;
        float power = (float) ((1 << 30) >> -whole);
        float fraction = (((((EXP2_C6 * f + EXP2_C5) * f + EXP2_C4) * f + EXP2_C3) * f + EXP2_C2) * f + EXP2_C1) * f + TWO_TO_MINUS_30;
        return fraction * power;
    }

    /** Multiplies the weights of a {@link #flashTiled} tile by the dropout mask (after the running sums took them: the normaliser is not masked). */
    private static void tiledDropout(float[] weights, int[] tileKeys, int keys, int dropoutSeed, int firstRow, int lastRow, int keepThreshold) {
        float keptScale = AttentionMasks.dropoutKeptScale(keepThreshold);
        for (int i = 0; i < FLASH_BLOCK_Q; i++) {
            int rowKey = AttentionMasks.dropoutRowKey(dropoutSeed, firstRow + TornadoMath.min(i, lastRow));
            for (int c = 0; c < keys; c++) {
                weights[c * FLASH_BLOCK_Q + i] = weights[c * FLASH_BLOCK_Q + i] * AttentionMasks.dropoutFactor(rowKey, tileKeys[c], keepThreshold, keptScale);
            }
        }
    }

    /**
     * {@code outputT[d][i] = correction_i outputT[d][i] + sum_c weights[c][i] v_c[d]} for the
     * {@link #FLASH_REGISTER_STEP} dimensions from {@code d0}, the sums held in {@code tile} (registers) across the
     * tile's keys. Key c's row of v starts at {@code rowBase + c * keyStep + tileKeys[c] * keyScale}: one of the two
     * steps is 0 at each call (TornadoVM inlines the constant, so the unused form folds away). Dimensions past
     * {@code lastDim} read v at {@code lastDim} (their rows of {@code outputT} are never stored);
     * {@link Integer#MAX_VALUE} when all are real, so that the clamp folds away.
     */
    private static void tiledOutput(float[] outputT, float[] tile, float[] weights, float[] rowState, FloatArray v, int[] tileKeys, int rowBase,
            int keyStep, int keyScale, int d0, int lastDim) {
        // One base plus constant offsets: with (d0 + dd) * FLASH_BLOCK_Q LLVM kept 16 addresses (spilled) per chunk.
        int chunk = d0 * FLASH_BLOCK_Q;
        for (int dd = 0; dd < FLASH_REGISTER_STEP; dd++) {
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                tile[dd * FLASH_BLOCK_Q + i] = outputT[chunk + dd * FLASH_BLOCK_Q + i] * rowState[CORRECTION * FLASH_BLOCK_Q + i];
            }
        }
        for (int c = 0; c < FLASH_TILED_KEYS; c++) {
            int row = rowBase + c * keyStep + tileKeys[c] * keyScale;
            for (int dd = 0; dd < FLASH_REGISTER_STEP; dd++) {
                float value = v.get(row + TornadoMath.min(d0 + dd, lastDim));
                for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                    tile[dd * FLASH_BLOCK_Q + i] = tile[dd * FLASH_BLOCK_Q + i] + value * weights[c * FLASH_BLOCK_Q + i];
                }
            }
        }
        for (int dd = 0; dd < FLASH_REGISTER_STEP; dd++) {
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                outputT[chunk + dd * FLASH_BLOCK_Q + i] = tile[dd * FLASH_BLOCK_Q + i];
            }
        }
    }

    /**
     * A row of {@link #standard} / {@link #chunked}, part 1 of 3: the row's logits to scratch; returns their maximum.
     * The row is three methods ({@link #weightsRowThroughScratch}, {@link #valuesRowFromScratch}), each finding the
     * row's keys again, because TornadoVM inlines a method only below 600 graph nodes, which the row with dropout
     * exceeds in one method (629 nodes) and in two (604).
     */
    private static float logitsRowThroughScratch(FloatArray q, FloatArray k, FloatArray scratch, int scratchBase, IntArray globalTokens, int numGlobal,
            FloatArray slopes, int bh, int i, int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows, int causal, int biasKind,
            float apeScale, float scale) {
        int b = bh / numHeads;
        int h = bh - b * numHeads;
        int kvHead = h / (numHeads / numKvHeads);
        int queryBase = ((b * seqLen + i) * numHeads + h) * headDim;
        boolean queryIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, i);
        int start = AttentionMasks.keysStart(i, queryIsGlobal, AttentionMasks.windowLeft(windows, h));
        int end = AttentionMasks.keysEnd(i, queryIsGlobal, AttentionMasks.windowRight(windows, h), causal, seqLen);
        int before = AttentionMasks.globalsBelow(globalTokens, numGlobal, start);
        int through = AttentionMasks.globalsBelow(globalTokens, numGlobal, end);
        int count = AttentionMasks.visibleKeyCount(start, end, 0, before, through,
                AttentionMasks.globalsBelow(globalTokens, numGlobal, AttentionMasks.keyLimit(i, causal, seqLen)));
        float rowMax = MASKED;
        for (int t = 0; t < count; t++) {
            int key = AttentionMasks.visibleKey(t, start, end, globalTokens, 0, before, through);
            int keyBase = ((b * seqLen + key) * numKvHeads + kvHead) * headDim;
            float dot = 0.0f;
            for (int d = 0; d < headDim; d++) {
                dot += q.get(queryBase + d) * k.get(keyBase + d);
            }
            float logit = dot * scale + PositionalBiases.logitBias(biasKind, slopes, h, i, key, seqLen, apeScale);
            scratch.set(scratchBase + t, logit);
            rowMax = TornadoMath.max(rowMax, logit);
        }
        return rowMax;
    }

    /**
     * Part 2 of 3 ({@link #logitsRowThroughScratch}): the logits in scratch become softmax weights against
     * {@code rowMax}, dropped by the dropout mask after their sum (the normaliser) has taken them; returns {@code 1 / sum}.
     */
    private static float weightsRowThroughScratch(FloatArray scratch, int scratchBase, IntArray globalTokens, int numGlobal, int bh, int i, int seqLen,
            int numHeads, IntArray windows, int causal, float rowMax) {
        int h = bh - (bh / numHeads) * numHeads;
        boolean queryIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, i);
        int start = AttentionMasks.keysStart(i, queryIsGlobal, AttentionMasks.windowLeft(windows, h));
        int end = AttentionMasks.keysEnd(i, queryIsGlobal, AttentionMasks.windowRight(windows, h), causal, seqLen);
        int before = AttentionMasks.globalsBelow(globalTokens, numGlobal, start);
        int through = AttentionMasks.globalsBelow(globalTokens, numGlobal, end);
        int count = AttentionMasks.visibleKeyCount(start, end, 0, before, through,
                AttentionMasks.globalsBelow(globalTokens, numGlobal, AttentionMasks.keyLimit(i, causal, seqLen)));
        int keepThreshold = AttentionMasks.dropoutKeepThreshold(windows, numHeads);
        float keptScale = AttentionMasks.dropoutKeptScale(keepThreshold);
        int rowKey = AttentionMasks.dropoutRowKey(AttentionMasks.dropoutMaskSeed(windows, numHeads), bh * seqLen + i);
        float sum = 0.0f;
        for (int t = 0; t < count; t++) {
            float weight = TornadoMath.exp(scratch.get(scratchBase + t) - rowMax);
            sum += weight;
            if (keepThreshold < AttentionMasks.DROPOUT_OFF) {
                weight *= AttentionMasks.dropoutFactor(rowKey, AttentionMasks.visibleKey(t, start, end, globalTokens, 0, before, through), keepThreshold,
                        keptScale);
            }
            scratch.set(scratchBase + t, weight);
        }
        return 1.0f / sum;
    }

    /** Part 3 of 3 ({@link #logitsRowThroughScratch}): {@code out_i = inverseSum * sum_t scratch_t v_key(t)}. */
    private static void valuesRowFromScratch(FloatArray v, FloatArray out, FloatArray scratch, int scratchBase, IntArray globalTokens, int numGlobal,
            int bh, int i, int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows, int causal, float inverseSum) {
        int b = bh / numHeads;
        int h = bh - b * numHeads;
        int kvHead = h / (numHeads / numKvHeads);
        int queryBase = ((b * seqLen + i) * numHeads + h) * headDim;
        boolean queryIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, i);
        int start = AttentionMasks.keysStart(i, queryIsGlobal, AttentionMasks.windowLeft(windows, h));
        int end = AttentionMasks.keysEnd(i, queryIsGlobal, AttentionMasks.windowRight(windows, h), causal, seqLen);
        int before = AttentionMasks.globalsBelow(globalTokens, numGlobal, start);
        int through = AttentionMasks.globalsBelow(globalTokens, numGlobal, end);
        int count = AttentionMasks.visibleKeyCount(start, end, 0, before, through,
                AttentionMasks.globalsBelow(globalTokens, numGlobal, AttentionMasks.keyLimit(i, causal, seqLen)));
        for (int d = 0; d < headDim; d++) {
            float acc = 0.0f;
            for (int t = 0; t < count; t++) {
                int key = AttentionMasks.visibleKey(t, start, end, globalTokens, 0, before, through);
                acc += scratch.get(scratchBase + t) * v.get(((b * seqLen + key) * numKvHeads + kvHead) * headDim + d);
            }
            out.set(queryBase + d, acc * inverseSum);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Backward (training), FlashAttention-2's Algorithm 2: from q, k, v, the output, the output's gradient and the
    // row log-sum-exp, recompute each visible probability P_ij = exp(logit_ij - L_i) where it is needed. See
    // tornado-kernels/README.md, "Attention backward". One backward serves all four algorithms: they compute the
    // same function. The per-row statistics share one buffer of backwardRowStatisticsSize floats, [2, batch,
    // numHeads, seqLen]: the log-sum-exp L of row (b, h, i) at r = (b * numHeads + h) * seqLen + i, its D at
    // batch * numHeads * seqLen + r (one buffer because a TornadoVM task takes at most 20 arguments).
    // ---------------------------------------------------------------------------------------------------------

    /**
     * The log-sum-exp of every softmax row, {@code L_i = log sum_j exp(logit_ij)} over the keys query i sees, into
     * the first half of {@code rowStatistics} ({@code [batch, numHeads, seqLen]}): what the backward needs from the
     * forward besides the output, whichever algorithm computed it (a forward may write it there itself). One pass
     * over the visible keys with a running maximum (O(L W) for a window); {@code L_i} is finite for any finite
     * logits because the running sum is at least 1.
     */
    public static void rowLogSumExp(FloatArray q, FloatArray k, FloatArray rowStatistics, IntArray globalTokens, int numGlobal, FloatArray slopes, int batch,
            int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows, int causal, int biasKind, float apeScale, float scale) {
        for (@Parallel int bh = 0; bh < batch * numHeads; bh++) {
            for (@Parallel int i = 0; i < seqLen; i++) {
                int b = bh / numHeads;
                int h = bh - b * numHeads;
                int kvHead = h / (numHeads / numKvHeads);
                int queryBase = ((b * seqLen + i) * numHeads + h) * headDim;
                boolean queryIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, i);
                int start = AttentionMasks.keysStart(i, queryIsGlobal, AttentionMasks.windowLeft(windows, h));
                int end = AttentionMasks.keysEnd(i, queryIsGlobal, AttentionMasks.windowRight(windows, h), causal, seqLen);
                int before = AttentionMasks.globalsBelow(globalTokens, numGlobal, start);
                int through = AttentionMasks.globalsBelow(globalTokens, numGlobal, end);
                int count = AttentionMasks.visibleKeyCount(start, end, 0, before, through,
                        AttentionMasks.globalsBelow(globalTokens, numGlobal, AttentionMasks.keyLimit(i, causal, seqLen)));
                float runningMax = MASKED;
                float runningSum = 0.0f;
                for (int t = 0; t < count; t++) {
                    int key = AttentionMasks.visibleKey(t, start, end, globalTokens, 0, before, through);
                    float logit = backwardLogit(q, k, queryBase, ((b * seqLen + key) * numKvHeads + kvHead) * headDim, headDim, scale, biasKind, slopes, h,
                            i, key, seqLen, apeScale);
                    if (logit > runningMax) {
                        runningSum = runningSum * TornadoMath.exp(runningMax - logit) + 1.0f;
                        runningMax = logit;
                    } else {
                        runningSum += TornadoMath.exp(logit - runningMax);
                    }
                }
                rowStatistics.set(bh * seqLen + i, runningMax + TornadoMath.log(runningSum));
            }
        }
    }

    /**
     * {@code D_i = sum_d dOut[b, i, h, d] * out[b, i, h, d]} (FlashAttention's "delta") into the second half of
     * {@code rowStatistics}: with it the softmax backward of row i is {@code dS_ij = P_ij (dP_ij - D_i)}, without
     * forming the row of P. With dropout {@code out} is the dropped output and {@code dP_ij = m_ij dOut_i . v_j}, so
     * {@code sum_j P_ij dP_ij} is still {@code dOut_i . out_i}: this kernel does not need the mask.
     */
    public static void rowOutputGradientDot(FloatArray out, FloatArray dOut, FloatArray rowStatistics, int batch, int seqLen, int numHeads, int headDim) {
        for (@Parallel int bh = 0; bh < batch * numHeads; bh++) {
            for (@Parallel int i = 0; i < seqLen; i++) {
                int b = bh / numHeads;
                int h = bh - b * numHeads;
                int base = ((b * seqLen + i) * numHeads + h) * headDim;
                rowStatistics.set((batch * numHeads + bh) * seqLen + i, backwardDot(dOut, base, out, base, headDim));
            }
        }
    }

    /**
     * The gradient of the loss with respect to q: {@code dq_i = scale * sum_j P_ij (m_ij dOut_i . v_j - D_i) k_j}
     * over the keys query i sees (band plus global tokens, as the forward), P recomputed from L ({@link #rowLogSumExp})
     * and D ({@link #rowOutputGradientDot}) in {@code rowStatistics}, the dropout mask m (1 without dropout)
     * regenerated from {@code windows}. One work-item per (batch, head, query) writes
     * its own row of {@code dq}, summing the keys in ascending order: deterministic.
     */
    public static void queryGradient(FloatArray q, FloatArray k, FloatArray v, FloatArray dOut, FloatArray rowStatistics, FloatArray dq,
            IntArray globalTokens, int numGlobal, FloatArray slopes, int batch, int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows,
            int causal, int biasKind, float apeScale, float scale) {
        for (@Parallel int bh = 0; bh < batch * numHeads; bh++) {
            for (@Parallel int i = 0; i < seqLen; i++) {
                int b = bh / numHeads;
                int h = bh - b * numHeads;
                int kvHead = h / (numHeads / numKvHeads);
                int queryBase = ((b * seqLen + i) * numHeads + h) * headDim;
                float logSumExp = rowStatistics.get(bh * seqLen + i);
                float rowDelta = rowStatistics.get((batch * numHeads + bh) * seqLen + i);
                boolean queryIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, i);
                int start = AttentionMasks.keysStart(i, queryIsGlobal, AttentionMasks.windowLeft(windows, h));
                int end = AttentionMasks.keysEnd(i, queryIsGlobal, AttentionMasks.windowRight(windows, h), causal, seqLen);
                int before = AttentionMasks.globalsBelow(globalTokens, numGlobal, start);
                int through = AttentionMasks.globalsBelow(globalTokens, numGlobal, end);
                int count = AttentionMasks.visibleKeyCount(start, end, 0, before, through,
                        AttentionMasks.globalsBelow(globalTokens, numGlobal, AttentionMasks.keyLimit(i, causal, seqLen)));
                int keepThreshold = AttentionMasks.dropoutKeepThreshold(windows, numHeads);
                float keptScale = AttentionMasks.dropoutKeptScale(keepThreshold);
                int rowKey = AttentionMasks.dropoutRowKey(AttentionMasks.dropoutMaskSeed(windows, numHeads), bh * seqLen + i);
                for (int d = 0; d < headDim; d++) {
                    dq.set(queryBase + d, 0.0f);
                }
                for (int t = 0; t < count; t++) {
                    int key = AttentionMasks.visibleKey(t, start, end, globalTokens, 0, before, through);
                    int keyBase = ((b * seqLen + key) * numKvHeads + kvHead) * headDim;
                    float probability = TornadoMath.exp(backwardLogit(q, k, queryBase, keyBase, headDim, scale, biasKind, slopes, h, i, key, seqLen, apeScale)
                            - logSumExp);
                    float probabilityGradient = backwardDot(dOut, queryBase, v, keyBase, headDim);
                    if (keepThreshold < AttentionMasks.DROPOUT_OFF) {
                        probabilityGradient *= AttentionMasks.dropoutFactor(rowKey, key, keepThreshold, keptScale);
                    }
                    float scaledScoreGradient = probability * (probabilityGradient - rowDelta) * scale;
                    for (int d = 0; d < headDim; d++) {
                        dq.set(queryBase + d, dq.get(queryBase + d) + scaledScoreGradient * k.get(keyBase + d));
                    }
                }
            }
        }
    }

    /**
     * The gradients with respect to k and v: {@code dv_j = sum m_ij P_ij dOut_i} and {@code dk_j = scale * sum P_ij
     * (m_ij dOut_i . v_j - D_i) q_i} (m: the forward's dropout mask, regenerated; 1 without dropout), summed over the query heads of kv head's group (grouped-query attention) and, for
     * each, over the queries that see key j: those whose band holds it ({@link AttentionMasks#queryBandStart}) plus
     * the global queries, or all queries if j is a global token. One work-item per (batch, kv head, key) writes its
     * own rows of {@code dk} and {@code dv}, in a fixed order (heads, then queries ascending): deterministic, no
     * atomics. Cost O(L W) per (batch, head) for a window, like the forward.
     */
    public static void keyValueGradient(FloatArray q, FloatArray k, FloatArray v, FloatArray dOut, FloatArray rowStatistics, FloatArray dk,
            FloatArray dv, IntArray globalTokens, int numGlobal, FloatArray slopes, int batch, int seqLen, int numHeads, int numKvHeads, int headDim,
            IntArray windows, int causal, int biasKind, float apeScale, float scale) {
        for (@Parallel int bkv = 0; bkv < batch * numKvHeads; bkv++) {
            for (@Parallel int j = 0; j < seqLen; j++) {
                int b = bkv / numKvHeads;
                int kvHead = bkv - b * numKvHeads;
                int group = numHeads / numKvHeads;
                int rowCount = batch * numHeads * seqLen;
                int keyBase = ((b * seqLen + j) * numKvHeads + kvHead) * headDim;
                boolean keyIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, j);
                int from = AttentionMasks.globalsBelow(globalTokens, numGlobal, AttentionMasks.queryFloor(j, causal));
                int keepThreshold = AttentionMasks.dropoutKeepThreshold(windows, numHeads);
                float keptScale = AttentionMasks.dropoutKeptScale(keepThreshold);
                int dropoutSeed = AttentionMasks.dropoutMaskSeed(windows, numHeads);
                for (int d = 0; d < headDim; d++) {
                    dk.set(keyBase + d, 0.0f);
                    dv.set(keyBase + d, 0.0f);
                }
                for (int g = 0; g < group; g++) {
                    int h = kvHead * group + g;
                    int start = AttentionMasks.queriesStart(j, keyIsGlobal, AttentionMasks.windowRight(windows, h), causal);
                    int end = AttentionMasks.queriesEnd(j, keyIsGlobal, AttentionMasks.windowLeft(windows, h), seqLen);
                    int before = AttentionMasks.globalsBelow(globalTokens, numGlobal, start);
                    int through = AttentionMasks.globalsBelow(globalTokens, numGlobal, end);
                    int count = AttentionMasks.visibleKeyCount(start, end, from, before, through, numGlobal);
                    for (int t = 0; t < count; t++) {
                        int query = AttentionMasks.visibleKey(t, start, end, globalTokens, from, before, through);
                        int row = (b * numHeads + h) * seqLen + query;
                        int queryBase = ((b * seqLen + query) * numHeads + h) * headDim;
                        float probability = TornadoMath.exp(backwardLogit(q, k, queryBase, keyBase, headDim, scale, biasKind, slopes, h, query, j, seqLen,
                                apeScale) - rowStatistics.get(row));
                        float probabilityGradient = backwardDot(dOut, queryBase, v, keyBase, headDim);
                        float droppedProbability = probability;
                        if (keepThreshold < AttentionMasks.DROPOUT_OFF) {
                            float factor = AttentionMasks.dropoutFactor(AttentionMasks.dropoutRowKey(dropoutSeed, row), j, keepThreshold, keptScale);
                            probabilityGradient *= factor;
                            droppedProbability *= factor;
                        }
                        float scaledScoreGradient = probability * (probabilityGradient - rowStatistics.get(rowCount + row)) * scale;
                        for (int d = 0; d < headDim; d++) {
                            dv.set(keyBase + d, dv.get(keyBase + d) + droppedProbability * dOut.get(queryBase + d));
                            dk.set(keyBase + d, dk.get(keyBase + d) + scaledScoreGradient * q.get(queryBase + d));
                        }
                    }
                }
            }
        }
    }

    /** {@link #keyBlockQueries}' ints: {@link #flashBlock}'s, and the globals below the first query that may see the keys. */
    private static final int QUERIES_GLOBALS_FROM = FLASH_BLOCK_INTS;
    private static final int KEY_BLOCK_INTS = FLASH_BLOCK_INTS + 1;

    /**
     * {@link #rowLogSumExp} with register tiles, for OpenCL CPU compilers (paired with {@link #flashQueryGradient} and
     * {@link #flashKeyValueGradient}): on {@link #flashGrid}, a work-item takes {@link #FLASH_BLOCK_Q}
     * query rows of one (batch, head) and runs {@link #flashTiled}'s scores and online softmax over the keys they see,
     * without the output product; writes {@code L_i = max_i + log(sum_i)} of each of its rows into the first half of
     * {@code rowStatistics}. The same function as {@link #rowLogSumExp} within float rounding. {@code headDim} above
     * {@link #FLASH_MAX_HEAD_DIM} writes NaN.
     */
    public static void flashLogSumExp(KernelContext context, FloatArray q, FloatArray k, FloatArray rowStatistics, IntArray globalTokens, int numGlobal,
            FloatArray slopes, int batch, int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows, int causal, int biasKind,
            float apeScale, float scale) {
        int block = context.globalIdx;
        int first = block * FLASH_BLOCK_Q;
        int bh = context.globalIdy;
        float[] queriesT = new float[FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q];
        float[] weights = new float[FLASH_TILED_KEYS * FLASH_BLOCK_Q];
        float[] tile = new float[FLASH_REGISTER_STEP * FLASH_BLOCK_Q];
        int[] tileKeys = new int[FLASH_TILED_KEYS];
        int[] rowBounds = new int[3 * FLASH_BLOCK_Q];
        float[] rowState = new float[ROW_STATE * FLASH_BLOCK_Q];
        int[] geometry = new int[FLASH_BLOCK_INTS];
        // Bounded by the block count, as flash (TornadoVM 5.2.1 "logic node LogicConstantNode" otherwise).
        if (block < (seqLen + FLASH_BLOCK_Q - 1) / FLASH_BLOCK_Q && bh < batch * numHeads) {
            int dims = headDim <= FLASH_MAX_HEAD_DIM ? headDim : 0;
            flashBlock(geometry, globalTokens, numGlobal, windows, first, bh, seqLen, numHeads, numKvHeads, headDim, causal);
            int lastRow = geometry[BLOCK_LAST_ROW];
            int h = geometry[BLOCK_HEAD];
            stageTransposed(queriesT, q, geometry[BLOCK_QUERY_BASE], numHeads * headDim, lastRow, dims);
            rowMasks(rowBounds, rowState, globalTokens, numGlobal, windows, h, first, lastRow, seqLen, causal);
            for (int tileStart = 0; tileStart < geometry[BLOCK_KEY_COUNT]; tileStart += FLASH_TILED_KEYS) {
                int width = blockTileKeys(tileKeys, geometry, globalTokens, tileStart);
                for (int c0 = 0; c0 < FLASH_TILED_KEYS; c0 += FLASH_REGISTER_STEP) {
                    tiledScores(weights, tile, queriesT, k, tileKeys, c0, geometry[BLOCK_KV_BASE], numKvHeads * headDim, dims);
                }
                tiledSoftmax(weights, rowBounds, rowState, tileKeys, width, globalTokens, numGlobal, slopes, h, seqLen, causal, biasKind, apeScale,
                        scale);
            }
            for (int i = 0; i <= lastRow; i++) {
                float logSumExp = rowState[i] + TornadoMath.log(rowState[SUM * FLASH_BLOCK_Q + i]);
                rowStatistics.set(bh * seqLen + first + i, dims == headDim ? logSumExp : Float.NaN);
            }
        }
    }

    /**
     * {@link #queryGradient} with register tiles (FlashAttention-2's dq pass), for OpenCL CPU compilers: on
     * {@link #flashGrid}, a work-item takes {@link #FLASH_BLOCK_Q} query rows of one (batch, head) as the lanes of its
     * tiles (Q and dOut staged transposed once) and walks the keys they see in tiles of {@link #FLASH_TILED_KEYS}, as
     * {@link #flashTiled} does; per tile it recomputes {@code S^T = K Q^T} and forms {@code dP^T = V dOut^T} with
     * {@link #tiledScores}, then {@code dS = P (m dP - D)}, {@code P = exp(scale S + bias - L)} on rows of lanes
     * ({@link #tiledQueryScoreGradients}; m the dropout mask, regenerated), and accumulates
     * {@code dq^T += scale K^T dS^T} in registers ({@link #tiledOutput} with no rescaling). L and D come from
     * {@code rowStatistics} as for {@link #queryGradient}; the same function within float rounding, keys summed in
     * ascending order: deterministic. {@code headDim} above {@link #FLASH_MAX_HEAD_DIM} writes NaN.
     */
    public static void flashQueryGradient(KernelContext context, FloatArray q, FloatArray k, FloatArray v, FloatArray dOut, FloatArray rowStatistics,
            FloatArray dq, IntArray globalTokens, int numGlobal, FloatArray slopes, int batch, int seqLen, int numHeads, int numKvHeads, int headDim,
            IntArray windows, int causal, int biasKind, float apeScale, float scale) {
        int block = context.globalIdx;
        int first = block * FLASH_BLOCK_Q;
        int bh = context.globalIdy;
        float[] queriesT = new float[FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q];
        float[] gradientsT = new float[FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q];
        float[] outputT = new float[FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q];
        float[] scores = new float[FLASH_TILED_KEYS * FLASH_BLOCK_Q];
        float[] gradients = new float[FLASH_TILED_KEYS * FLASH_BLOCK_Q];
        float[] tile = new float[FLASH_REGISTER_STEP * FLASH_BLOCK_Q];
        int[] tileKeys = new int[FLASH_TILED_KEYS];
        int[] rowBounds = new int[3 * FLASH_BLOCK_Q];
        float[] rowState = new float[ROW_STATE * FLASH_BLOCK_Q];
        float[] rowStatisticsLanes = new float[2 * FLASH_BLOCK_Q];
        int[] geometry = new int[FLASH_BLOCK_INTS];
        if (block < (seqLen + FLASH_BLOCK_Q - 1) / FLASH_BLOCK_Q && bh < batch * numHeads) {
            int dims = headDim <= FLASH_MAX_HEAD_DIM ? headDim : 0;
            flashBlock(geometry, globalTokens, numGlobal, windows, first, bh, seqLen, numHeads, numKvHeads, headDim, causal);
            int lastRow = geometry[BLOCK_LAST_ROW];
            int kvRowStride = numKvHeads * headDim;
            int kvBase = geometry[BLOCK_KV_BASE];
            int queryRowStride = numHeads * headDim;
            int queryBase = geometry[BLOCK_QUERY_BASE];
            int h = geometry[BLOCK_HEAD];
            int keepThreshold = AttentionMasks.dropoutKeepThreshold(windows, numHeads);

            stageTransposed(queriesT, q, queryBase, queryRowStride, lastRow, dims);
            stageTransposed(gradientsT, dOut, queryBase, queryRowStride, lastRow, dims);
            clearOutput(outputT);
            rowMasks(rowBounds, rowState, globalTokens, numGlobal, windows, h, first, lastRow, seqLen, causal);
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                int row = bh * seqLen + first + TornadoMath.min(i, lastRow);
                rowStatisticsLanes[i] = rowStatistics.get(row);
                rowStatisticsLanes[FLASH_BLOCK_Q + i] = rowStatistics.get(batch * numHeads * seqLen + row);
                rowState[CORRECTION * FLASH_BLOCK_Q + i] = 1.0f;
            }
            for (int tileStart = 0; tileStart < geometry[BLOCK_KEY_COUNT]; tileStart += FLASH_TILED_KEYS) {
                int width = blockTileKeys(tileKeys, geometry, globalTokens, tileStart);
                for (int c0 = 0; c0 < FLASH_TILED_KEYS; c0 += FLASH_REGISTER_STEP) {
                    tiledScores(scores, tile, queriesT, k, tileKeys, c0, kvBase, kvRowStride, dims);
                    tiledScores(gradients, tile, gradientsT, v, tileKeys, c0, kvBase, kvRowStride, dims);
                }
                if (keepThreshold < AttentionMasks.DROPOUT_OFF) {
                    tiledDropout(gradients, tileKeys, FLASH_TILED_KEYS, AttentionMasks.dropoutMaskSeed(windows, numHeads), bh * seqLen + first, lastRow,
                            keepThreshold);
                }
                tiledQueryScoreGradients(scores, gradients, rowBounds, rowStatisticsLanes, tileKeys, width, globalTokens, numGlobal, slopes, h, seqLen,
                        causal, biasKind, apeScale, scale);
                tiledProducts(outputT, tile, scores, rowState, k, tileKeys, kvBase, kvRowStride, width, dims);
            }
            for (int i = 0; i <= lastRow; i++) {
                int at = queryBase + i * queryRowStride;
                for (int d = 0; d < headDim; d++) {
                    dq.set(at + d, dims == headDim ? outputT[d * FLASH_BLOCK_Q + i] : Float.NaN);
                }
            }
        }
    }

    /**
     * {@link #keyValueGradient} with register tiles (FlashAttention-2's dk/dv pass), for OpenCL CPU compilers: on
     * {@link #flashGrid} over {@code numKvHeads} (x: block of {@link #FLASH_BLOCK_Q} keys, y: batch * numKvHeads + kv
     * head; the grid's y size must be exactly that, as {@link #flashGrid} makes it: the kernel reads the batch from it,
     * a task taking at most 20 arguments), a work-item takes its keys as the lanes of its tiles (K and V staged
     * transposed once) and, for each query head of the kv head's group, walks the queries that see any of its keys
     * ({@link #keyBlockQueries}) in tiles of {@link #FLASH_TILED_KEYS}: it recomputes {@code S = Q K^T} and forms
     * {@code dP = dOut V^T} ({@link #tiledScores}, queries as rows of the tile), then P and dS as
     * {@link #flashQueryGradient} does ({@link #tiledKeyScoreGradients}), and accumulates {@code dv^T += dOut^T (m P)}
     * and {@code dk^T += scale Q^T dS} in registers across heads and query tiles. Heads then queries ascending, as
     * {@link #keyValueGradient}: deterministic, no atomics, the same function within float rounding.
     */
    public static void flashKeyValueGradient(KernelContext context, FloatArray q, FloatArray k, FloatArray v, FloatArray dOut, FloatArray rowStatistics,
            FloatArray dk, FloatArray dv, IntArray globalTokens, int numGlobal, FloatArray slopes, int seqLen, int numHeads, int numKvHeads,
            int headDim, IntArray windows, int causal, int biasKind, float apeScale, float scale) {
        int block = context.globalIdx;
        int firstKey = block * FLASH_BLOCK_Q;
        int bkv = context.globalIdy;
        int batch = context.globalGroupSizeY / numKvHeads;
        float[] keysT = new float[FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q];
        float[] valuesT = new float[FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q];
        float[] keyGradientT = new float[FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q];
        float[] valueGradientT = new float[FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q];
        float[] scores = new float[FLASH_TILED_KEYS * FLASH_BLOCK_Q];
        float[] gradients = new float[FLASH_TILED_KEYS * FLASH_BLOCK_Q];
        float[] factors = new float[FLASH_TILED_KEYS * FLASH_BLOCK_Q];
        // A register tile per product: with one tile for all four, PoCL's LLVM kept it in memory here and stored the
        // accumulators after every multiply-add in most product loops (objdump of the kernel; flashQueryGradient's three
        // products share one tile cleanly).
        float[] tile = new float[FLASH_REGISTER_STEP * FLASH_BLOCK_Q];
        float[] gradientTile = new float[FLASH_REGISTER_STEP * FLASH_BLOCK_Q];
        float[] valueTile = new float[FLASH_REGISTER_STEP * FLASH_BLOCK_Q];
        float[] keyTile = new float[FLASH_REGISTER_STEP * FLASH_BLOCK_Q];
        int[] tileQueries = new int[FLASH_TILED_KEYS];
        int[] queryBounds = new int[3 * FLASH_TILED_KEYS];
        float[] queryStatistics = new float[2 * FLASH_TILED_KEYS];
        int[] keyLanes = new int[2 * FLASH_BLOCK_Q];
        float[] rowState = new float[ROW_STATE * FLASH_BLOCK_Q];
        int[] queries = new int[KEY_BLOCK_INTS];
        if (block < (seqLen + FLASH_BLOCK_Q - 1) / FLASH_BLOCK_Q && bkv < batch * numKvHeads) {
            int dims = headDim <= FLASH_MAX_HEAD_DIM ? headDim : 0;
            int b = bkv / numKvHeads;
            int kvHead = bkv - b * numKvHeads;
            int group = numHeads / numKvHeads;
            int lastKey = TornadoMath.min(FLASH_BLOCK_Q, seqLen - firstKey) - 1;
            int kvRowStride = numKvHeads * headDim;
            int keyBase = ((b * seqLen + firstKey) * numKvHeads + kvHead) * headDim;
            int queryRowStride = numHeads * headDim;
            int keepThreshold = AttentionMasks.dropoutKeepThreshold(windows, numHeads);
            int dropoutSeed = AttentionMasks.dropoutMaskSeed(windows, numHeads);

            stageTransposed(keysT, k, keyBase, kvRowStride, lastKey, dims);
            stageTransposed(valuesT, v, keyBase, kvRowStride, lastKey, dims);
            clearOutput(keyGradientT);
            clearOutput(valueGradientT);
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                int key = firstKey + TornadoMath.min(i, lastKey);
                keyLanes[i] = key;
                keyLanes[FLASH_BLOCK_Q + i] = AttentionMasks.isGlobal(globalTokens, numGlobal, key) ? 1 : 0;
                rowState[CORRECTION * FLASH_BLOCK_Q + i] = 1.0f;
            }
            for (int g = 0; g < group; g++) {
                int h = kvHead * group + g;
                int bh = b * numHeads + h;
                int headBase = (b * seqLen * numHeads + h) * headDim;
                keyBlockQueries(queries, globalTokens, numGlobal, windows, h, firstKey, firstKey + lastKey, seqLen, causal);
                for (int tileStart = 0; tileStart < queries[BLOCK_KEY_COUNT]; tileStart += FLASH_TILED_KEYS) {
                    int width = TornadoMath.min(FLASH_TILED_KEYS, queries[BLOCK_KEY_COUNT] - tileStart);
                    for (int c = 0; c < FLASH_TILED_KEYS; c++) {
                        int query = AttentionMasks.visibleKey(tileStart + TornadoMath.min(c, width - 1), queries[BLOCK_KEYS_START], queries[BLOCK_KEYS_END],
                                globalTokens, queries[QUERIES_GLOBALS_FROM], queries[BLOCK_GLOBALS_BEFORE], queries[BLOCK_GLOBALS_THROUGH]);
                        boolean queryIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, query);
                        tileQueries[c] = query;
                        queryBounds[c] = query;
                        queryBounds[FLASH_TILED_KEYS + c] = AttentionMasks.keysStart(query, queryIsGlobal, AttentionMasks.windowLeft(windows, h));
                        queryBounds[2 * FLASH_TILED_KEYS + c] = AttentionMasks.keysEnd(query, queryIsGlobal, AttentionMasks.windowRight(windows, h), causal,
                                seqLen);
                        queryStatistics[c] = rowStatistics.get(bh * seqLen + query);
                        queryStatistics[FLASH_TILED_KEYS + c] = rowStatistics.get((batch * numHeads + bh) * seqLen + query);
                    }
                    for (int c0 = 0; c0 < FLASH_TILED_KEYS; c0 += FLASH_REGISTER_STEP) {
                        tiledScores(scores, tile, keysT, q, tileQueries, c0, headBase, queryRowStride, dims);
                        tiledScores(gradients, gradientTile, valuesT, dOut, tileQueries, c0, headBase, queryRowStride, dims);
                    }
                    if (keepThreshold < AttentionMasks.DROPOUT_OFF) {
                        tiledKeyDropout(gradients, factors, tileQueries, keyLanes, dropoutSeed, bh * seqLen, keepThreshold);
                    }
                    tiledKeyScoreGradients(scores, gradients, queryBounds, queryStatistics, keyLanes, width, slopes, h, seqLen, causal, biasKind,
                            apeScale, scale);
                    if (keepThreshold < AttentionMasks.DROPOUT_OFF) {
                        for (int c = 0; c < FLASH_TILED_KEYS; c++) {
                            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                                scores[c * FLASH_BLOCK_Q + i] = scores[c * FLASH_BLOCK_Q + i] * factors[c * FLASH_BLOCK_Q + i];
                            }
                        }
                    }
                    tiledProducts(valueGradientT, valueTile, scores, rowState, dOut, tileQueries, headBase, queryRowStride, width, dims);
                    tiledProducts(keyGradientT, keyTile, gradients, rowState, q, tileQueries, headBase, queryRowStride, width, dims);
                }
            }
            for (int i = 0; i <= lastKey; i++) {
                int at = keyBase + i * kvRowStride;
                for (int d = 0; d < headDim; d++) {
                    dk.set(at + d, dims == headDim ? keyGradientT[d * FLASH_BLOCK_Q + i] : Float.NaN);
                    dv.set(at + d, dims == headDim ? valueGradientT[d * FLASH_BLOCK_Q + i] : Float.NaN);
                }
            }
        }
    }

    /**
     * {@code staged[d][i] = source[base + i * rowStride + d]} for the {@link #FLASH_BLOCK_Q} rows of a block (rows past
     * {@code lastRow} repeat it; never stored) and {@code d < dims}: a block transposed into lanes, as
     * {@link #stageQueriesTransposed} stages Q (that one also clears flashTiled's output).
     */
    private static void stageTransposed(float[] staged, FloatArray source, int base, int rowStride, int lastRow, int dims) {
        for (int i = 0; i < FLASH_BLOCK_Q; i++) {
            int at = base + TornadoMath.min(i, lastRow) * rowStride;
            for (int d = 0; d < dims; d++) {
                staged[d * FLASH_BLOCK_Q + i] = source.get(at + d);
            }
        }
    }

    /** Zeroes a transposed accumulator of {@link #FLASH_MAX_HEAD_DIM} x {@link #FLASH_BLOCK_Q} (private arrays start undefined on a device). */
    private static void clearOutput(float[] outputT) {
        for (int e = 0; e < FLASH_MAX_HEAD_DIM * FLASH_BLOCK_Q; e++) {
            outputT[e] = 0.0f;
        }
    }

    /**
     * The keys of the tile from {@code tileStart} of a flash block ({@link #flashBlock}) into {@code tileKeys}, past the
     * block's keys repeating its last one; returns how many are real.
     */
    private static int blockTileKeys(int[] tileKeys, int[] geometry, IntArray globalTokens, int tileStart) {
        int width = TornadoMath.min(FLASH_TILED_KEYS, geometry[BLOCK_KEY_COUNT] - tileStart);
        for (int c = 0; c < FLASH_TILED_KEYS; c++) {
            tileKeys[c] = blockKey(geometry, globalTokens, tileStart + TornadoMath.min(c, width - 1));
        }
        return width;
    }

    /**
     * The queries of head {@code h} that see any key of {@code [firstKey, lastKey]}, into {@code geometry} as
     * {@link #flashBlock} gives a block's keys ({@code BLOCK_KEYS_START}, {@code BLOCK_KEYS_END}, the globals before
     * and through them, {@code BLOCK_KEY_COUNT}), plus the globals below the first key's floor in
     * {@link #QUERIES_GLOBALS_FROM} ({@link AttentionMasks#visibleKey} enumerates them, ascending): the union of the
     * keys' runs of queries ({@link AttentionMasks#queriesStart} of the first key to {@link AttentionMasks#queriesEnd}
     * of the last; every query from the first key's floor if a key of the block is global) and the global queries
     * outside it from the first key's floor on.
     */
    private static void keyBlockQueries(int[] geometry, IntArray globalTokens, int numGlobal, IntArray windows, int h, int firstKey, int lastKey,
            int seqLen, int causal) {
        boolean blockHasGlobalKey = AttentionMasks.globalsBelow(globalTokens, numGlobal, lastKey + 1)
                > AttentionMasks.globalsBelow(globalTokens, numGlobal, firstKey);
        int start = AttentionMasks.queriesStart(firstKey, blockHasGlobalKey, AttentionMasks.windowRight(windows, h), causal);
        int end = AttentionMasks.queriesEnd(lastKey, blockHasGlobalKey, AttentionMasks.windowLeft(windows, h), seqLen);
        int from = AttentionMasks.globalsBelow(globalTokens, numGlobal, AttentionMasks.queryFloor(firstKey, causal));
        int before = AttentionMasks.globalsBelow(globalTokens, numGlobal, start);
        int through = AttentionMasks.globalsBelow(globalTokens, numGlobal, end);
        geometry[BLOCK_KEYS_START] = start;
        geometry[BLOCK_KEYS_END] = end;
        geometry[BLOCK_GLOBALS_BEFORE] = before;
        geometry[BLOCK_GLOBALS_THROUGH] = through;
        geometry[QUERIES_GLOBALS_FROM] = from;
        geometry[BLOCK_KEY_COUNT] = AttentionMasks.visibleKeyCount(start, end, from, before, through, numGlobal);
    }

    /**
     * The score gradients of a {@link #flashQueryGradient} tile, rows as lanes ({@code scores[c][i] = q_i . k_c},
     * {@code gradients[c][i]} = dP with the dropout mask applied): masks each score by its row's run of keys (keys
     * past {@code width} are padding), as {@link #tiledSoftmax}, and writes
     * {@code scores[c][i] = scale P (dP - D_i)}, {@code P = exp(scale s + bias - L_i)} (exactly 0 where masked), with
     * L and D of row i in {@code rowStatistics} (two rows of lanes).
     */
    private static void tiledQueryScoreGradients(float[] scores, float[] gradients, int[] rowBounds, float[] rowStatistics, int[] tileKeys, int width,
            IntArray globalTokens, int numGlobal, FloatArray slopes, int h, int seqLen, int causal, int biasKind, float apeScale, float scale) {
        for (int c = 0; c < FLASH_TILED_KEYS; c++) {
            int key = tileKeys[c];
            int maskKey = c < width ? key : -1;
            boolean keyIsGlobal = AttentionMasks.isGlobal(globalTokens, numGlobal, maskKey);
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                int query = rowBounds[i];
                boolean inRun = (maskKey >= rowBounds[FLASH_BLOCK_Q + i]) & (maskKey < rowBounds[2 * FLASH_BLOCK_Q + i]);
                boolean visible = inRun | (keyIsGlobal & ((causal == 0) | (key <= query)));
                float logit = scores[c * FLASH_BLOCK_Q + i] * scale + PositionalBiases.logitBias(biasKind, slopes, h, query, key, seqLen, apeScale);
                float keep = visible ? 1.0f : 0.0f;
                float probability = TornadoMath.exp(logit * keep + (1.0f - keep) * MASKED - rowStatistics[i]);
                scores[c * FLASH_BLOCK_Q + i] = probability * (gradients[c * FLASH_BLOCK_Q + i] - rowStatistics[FLASH_BLOCK_Q + i]) * scale;
            }
        }
    }

    /**
     * The transposed form of {@link #tiledQueryScoreGradients} for a {@link #flashKeyValueGradient} tile, keys as lanes
     * and queries c as its rows ({@code scores[c][i] = q_c . k_i}, {@code gradients[c][i]} = dP with the dropout mask
     * applied): query c's run of keys, L and D in {@code queryBounds} and {@code queryStatistics}, key i's position
     * and whether it is global in {@code keyLanes}; queries past {@code width} are padding. Writes P into
     * {@code scores} and {@code scale P (dP - D_c)} into {@code gradients}.
     */
    private static void tiledKeyScoreGradients(float[] scores, float[] gradients, int[] queryBounds, float[] queryStatistics, int[] keyLanes, int width,
            FloatArray slopes, int h, int seqLen, int causal, int biasKind, float apeScale, float scale) {
        for (int c = 0; c < FLASH_TILED_KEYS; c++) {
            int query = queryBounds[c];
            int runStart = queryBounds[FLASH_TILED_KEYS + c];
            int runEnd = c < width ? queryBounds[2 * FLASH_TILED_KEYS + c] : runStart;
            int seesGlobals = c < width ? 1 : 0;
            float logSumExp = queryStatistics[c];
            float rowDelta = queryStatistics[FLASH_TILED_KEYS + c];
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                int key = keyLanes[i];
                boolean inRun = (key >= runStart) & (key < runEnd);
                boolean visible = inRun | ((keyLanes[FLASH_BLOCK_Q + i] & seesGlobals) != 0 & ((causal == 0) | (key <= query)));
                float logit = scores[c * FLASH_BLOCK_Q + i] * scale + PositionalBiases.logitBias(biasKind, slopes, h, query, key, seqLen, apeScale);
                float keep = visible ? 1.0f : 0.0f;
                float probability = TornadoMath.exp(logit * keep + (1.0f - keep) * MASKED - logSumExp);
                scores[c * FLASH_BLOCK_Q + i] = probability;
                gradients[c * FLASH_BLOCK_Q + i] = probability * (gradients[c * FLASH_BLOCK_Q + i] - rowDelta) * scale;
            }
        }
    }

    /**
     * The dropout mask of a {@link #flashKeyValueGradient} tile into {@code factors} (query c of row
     * {@code rowOffset + query}, key i), and {@code gradients} (dP) multiplied by it.
     */
    private static void tiledKeyDropout(float[] gradients, float[] factors, int[] tileQueries, int[] keyLanes, int dropoutSeed, int rowOffset,
            int keepThreshold) {
        float keptScale = AttentionMasks.dropoutKeptScale(keepThreshold);
        for (int c = 0; c < FLASH_TILED_KEYS; c++) {
            int rowKey = AttentionMasks.dropoutRowKey(dropoutSeed, rowOffset + tileQueries[c]);
            for (int i = 0; i < FLASH_BLOCK_Q; i++) {
                float factor = AttentionMasks.dropoutFactor(rowKey, keyLanes[i], keepThreshold, keptScale);
                factors[c * FLASH_BLOCK_Q + i] = factor;
                gradients[c * FLASH_BLOCK_Q + i] = gradients[c * FLASH_BLOCK_Q + i] * factor;
            }
        }
    }

    /**
     * {@code outputT[d][i] += sum_c weights[c][i] rows[base + tileRows[c] * rowStride + d]} over the whole head
     * dimension, by {@link #tiledOutput} (whose rescaling the caller sets to 1 in {@code rowState}), with flashTiled's
     * two addressings: affine for a full tile of consecutive rows, through {@code tileRows} otherwise.
     */
    private static void tiledProducts(float[] outputT, float[] tile, float[] weights, float[] rowState, FloatArray rows, int[] tileRows, int base,
            int rowStride, int width, int dims) {
        boolean consecutive = width == FLASH_TILED_KEYS && tileRows[FLASH_TILED_KEYS - 1] - tileRows[0] == FLASH_TILED_KEYS - 1;
        int fullDims = dims - dims % FLASH_REGISTER_STEP;
        for (int d0 = 0; d0 < fullDims; d0 += FLASH_REGISTER_STEP) {
            if (consecutive) {
                tiledOutput(outputT, tile, weights, rowState, rows, tileRows, base + tileRows[0] * rowStride, rowStride, 0, d0, Integer.MAX_VALUE);
            } else {
                tiledOutput(outputT, tile, weights, rowState, rows, tileRows, base, 0, rowStride, d0, Integer.MAX_VALUE);
            }
        }
        if (fullDims < dims) {
            tiledOutput(outputT, tile, weights, rowState, rows, tileRows, base, 0, rowStride, fullDims, dims - 1);
        }
    }

    /**
     * Sets the attention dropout's mask seed in {@code windows} ({@code numHeads} heads, {@link AttentionMasks#withDropout})
     * to the array's own seed plus {@code seed + stepCounter[0] * Activations.DROPOUT_STEP_STRIDE} (32-bit wrap-around),
     * the step's seed as {@link Activations#dropoutAtStep} derives it: a training step's forward runs it first, so every
     * step draws new masks without rebuilding the task graph, and the step's backward reads the same seed. It reads the
     * array as well as writing it, on purpose: TornadoVM 5.2.1 does not copy an array to the device for a task that
     * only writes it (on PoCL the bands and the threshold then read as 0 and training went NaN).
     */
    public static void seedDropoutAtStep(IntArray windows, int numHeads, int seed, IntArray stepCounter) {
        for (@Parallel int i = 0; i < 1; i++) {
            windows.set(2 * numHeads + 2, AttentionMasks.dropoutSeed(windows, numHeads) + seed + stepCounter.get(0) * Activations.DROPOUT_STEP_STRIDE);
        }
    }

    /** {@code scale * q_i . k_j + bias}: the logit as every backward kernel recomputes it (the same rounding in each). */
    private static float backwardLogit(FloatArray q, FloatArray k, int queryBase, int keyBase, int headDim, float scale, int biasKind, FloatArray slopes,
            int head, int query, int key, int seqLen, float apeScale) {
        float bias = PositionalBiases.logitBias(biasKind, slopes, head, query, key, seqLen, apeScale);
        return backwardDot(q, queryBase, k, keyBase, headDim) * scale + bias;
    }

    /**
     * {@code a[aBase..] . b[bBase..]} over {@code length} values in eight interleaved partial sums: the backward's
     * per-pair dot products are chains of multiply-adds that TornadoVM emits in order, so the number of independent
     * sums bounds their speed on a CPU (four left the multiply-add units half idle). D ({@link #rowOutputGradientDot})
     * sums the same way as dP, so that {@code dP_ij - D_i} is exactly 0 where a row sees one key.
     */
    private static float backwardDot(FloatArray a, int aBase, FloatArray b, int bBase, int length) {
        float sum0 = 0.0f;
        float sum1 = 0.0f;
        float sum2 = 0.0f;
        float sum3 = 0.0f;
        float sum4 = 0.0f;
        float sum5 = 0.0f;
        float sum6 = 0.0f;
        float sum7 = 0.0f;
        int blocked = length - (length % 8);
        for (int j = 0; j < blocked; j += 8) {
            sum0 += a.get(aBase + j) * b.get(bBase + j);
            sum1 += a.get(aBase + j + 1) * b.get(bBase + j + 1);
            sum2 += a.get(aBase + j + 2) * b.get(bBase + j + 2);
            sum3 += a.get(aBase + j + 3) * b.get(bBase + j + 3);
            sum4 += a.get(aBase + j + 4) * b.get(bBase + j + 4);
            sum5 += a.get(aBase + j + 5) * b.get(bBase + j + 5);
            sum6 += a.get(aBase + j + 6) * b.get(bBase + j + 6);
            sum7 += a.get(aBase + j + 7) * b.get(bBase + j + 7);
        }
        for (int j = blocked; j < length; j++) {
            sum0 += a.get(aBase + j) * b.get(bBase + j);
        }
        return ((sum0 + sum1) + (sum2 + sum3)) + ((sum4 + sum5) + (sum6 + sum7));
    }

    /** Floats of the backward's {@code rowStatistics} (host-side): L and D for every (batch, head, query). */
    public static int backwardRowStatisticsSize(int batch, int numHeads, int seqLen) {
        return Math.multiplyExact(2, Math.multiplyExact(Math.multiplyExact(batch, numHeads), seqLen));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Host-side helpers (never called from a kernel).
    // ---------------------------------------------------------------------------------------------------------

    /**
     * The grid {@link #flash} expects: x covers the query blocks of {@link #FLASH_BLOCK_Q} rows, y covers
     * {@code batch * numHeads}; {@link MatrixMultiply#groupItemsForDefaultDevice()} blocks per work-group.
     */
    public static WorkerGrid flashGrid(int batch, int numHeads, int seqLen) {
        return flashGrid(batch, numHeads, seqLen, MatrixMultiply.groupItemsForDefaultDevice());
    }

    /** {@link #flashGrid(int, int, int)} with {@code groupItems} query blocks per work-group (any size gives the same result). */
    public static WorkerGrid flashGrid(int batch, int numHeads, int seqLen, int groupItems) {
        if (batch < 1 || numHeads < 1 || seqLen < 1 || groupItems < 1) {
            throw new IllegalArgumentException("flashGrid needs batch, numHeads, seqLen, groupItems >= 1, got " + batch + ", " + numHeads + ", " + seqLen
                    + ", " + groupItems);
        }
        int blocks = (seqLen + FLASH_BLOCK_Q - 1) / FLASH_BLOCK_Q;
        WorkerGrid grid = new WorkerGrid2D(LinearKernels.roundUp(blocks, groupItems), batch * numHeads);
        grid.setLocalWork(groupItems, 1, 1);
        return grid;
    }

    /** Whether {@link #flash} supports this head dimension. */
    public static boolean flashSupportsHeadDim(int headDim) {
        return headDim >= 1 && headDim <= FLASH_MAX_HEAD_DIM;
    }

    /** Floats of scratch {@link #standard} needs; {@link ArithmeticException} when an int cannot hold them. */
    public static int standardScratchSize(int batch, int numHeads, int seqLen, IntArray windows, int numGlobal) {
        return Math.toIntExact(standardScratchElements(batch, numHeads, seqLen, windows, numGlobal));
    }

    /** {@link #standardScratchSize} in 64 bits, so that a size no array can hold can be reported; exact or {@link ArithmeticException}. */
    public static long standardScratchElements(int batch, int numHeads, int seqLen, IntArray windows, int numGlobal) {
        return Math.multiplyExact(Math.multiplyExact((long) batch * numHeads, seqLen), AttentionMasks.maxVisibleKeys(seqLen, windows, numHeads, numGlobal));
    }

    /** Floats of scratch {@link #chunked} needs; {@link ArithmeticException} when an int cannot hold them. */
    public static int chunkedScratchSize(int batch, int numHeads, int chunkSize, int seqLen, IntArray windows, int numGlobal) {
        return Math.toIntExact(chunkedScratchElements(batch, numHeads, chunkSize, seqLen, windows, numGlobal));
    }

    /** {@link #chunkedScratchSize} in 64 bits, so that a size no array can hold can be reported; exact or {@link ArithmeticException}. */
    public static long chunkedScratchElements(int batch, int numHeads, int chunkSize, int seqLen, IntArray windows, int numGlobal) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be >= 1, got " + chunkSize);
        }
        return Math.multiplyExact(Math.multiplyExact((long) batch * numHeads, chunkSize), AttentionMasks.maxVisibleKeys(seqLen, windows, numHeads, numGlobal));
    }

    /** Throws {@link IllegalArgumentException} unless the arguments describe a valid call of the kernels. */
    public static void checkArguments(FloatArray q, FloatArray k, FloatArray v, FloatArray out, IntArray globalTokens, int numGlobal, FloatArray slopes,
            int batch, int seqLen, int numHeads, int numKvHeads, int headDim, IntArray windows, int causal, int biasKind) {
        if (batch < 1 || seqLen < 1 || numHeads < 1 || numKvHeads < 1 || headDim < 1) {
            throw new IllegalArgumentException("batch, seqLen, numHeads, numKvHeads, headDim must be >= 1");
        }
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("numKvHeads " + numKvHeads + " does not divide numHeads " + numHeads);
        }
        AttentionMasks.checkWindows(windows, numHeads);
        if (causal != 0 && causal != 1) {
            throw new IllegalArgumentException("causal must be 0 or 1, got " + causal);
        }
        long queryElements = (long) batch * seqLen * numHeads * headDim;
        long keyElements = (long) batch * seqLen * numKvHeads * headDim;
        requireSize("q", q, queryElements);
        requireSize("out", out, queryElements);
        requireSize("k", k, keyElements);
        requireSize("v", v, keyElements);
        AttentionMasks.checkGlobalTokens(globalTokens, numGlobal, seqLen);
        if (biasKind != PositionalBiases.NONE && biasKind != PositionalBiases.ALIBI && biasKind != PositionalBiases.APE) {
            throw new IllegalArgumentException("unknown bias kind " + biasKind);
        }
        if (slopes.getSize() < (biasKind == PositionalBiases.ALIBI ? numHeads : 1)) {
            throw new IllegalArgumentException("slopes has " + slopes.getSize() + " elements, need " + (biasKind == PositionalBiases.ALIBI ? numHeads : 1));
        }
    }

    private static void requireSize(String name, FloatArray array, long elements) {
        if (array.getSize() < elements) {
            throw new IllegalArgumentException(name + " has " + array.getSize() + " elements, needs " + elements);
        }
    }
}
