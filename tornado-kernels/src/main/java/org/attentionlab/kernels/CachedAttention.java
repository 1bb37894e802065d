package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Attention of one new position per sequence against a key/value cache: the decode step of generation (see
 * tornado-kernels/README.md, "Cached attention (decoding)").
 *
 * <p>A cache holds {@code capacity} slots per sequence, laid out {@code [batch, capacity, kvHeads, headDim]}; the
 * key and value of absolute position {@code p} live in slot {@code p mod capacity}. A sliding layer of window W keeps
 * W slots (Mistral's rolling buffer: position p overwrites p - W, which no later query sees); a full layer keeps one
 * slot per position of the whole generation ({@code capacity} at least the last position + 1, so {@code p mod
 * capacity = p}). The query at position p of head h sees the keys {@code p - windowLeft[h] <= j <= p} (causal; a
 * sliding window of W keys including the query is {@code windowLeft = W - 1}, a full layer
 * {@link AttentionMasks#UNBOUNDED}), plus the global tokens before them (every key {@code <= p} when p is a global
 * token: {@link AttentionMasks}' rule with {@code causal = 1}), which requires {@code capacity >= min(max_h
 * windowLeft[h], p) + 1} without global tokens and one slot per position with them
 * ({@link #capacity(IntArray, int, int, int)}): the host sizes the caches so.
 *
 * <p>The position p of the step is read from {@code position[0]}, a one-element device buffer the host updates
 * before each execution: TornadoVM captures scalar arguments when a task graph is built, so a value that changes
 * from step to step cannot be one.
 *
 * <p>One step is {@link #scores}, {@link #softmax} and {@link #weightedValues} over the keys and values of positions
 * {@code first .. p - 1} in the cache and the new key and value of position p itself (given beside the cache), then
 * {@link #store}, which appends the new key and value to their slot for the later steps; the key is rotated already
 * by {@link RotaryEmbedding#applyAtPosition} when the layer uses RoPE. Attending before appending is also what lets
 * TornadoVM move the caches right: it copies a buffer to the device for the first task that uses it only when that
 * task reads it, and a first task that only writes the cache would leave the prompt's entries behind. A prompt
 * fills the caches at once from the forward pass's keys and values with
 * {@link #fill}. The three attention kernels compute exactly what {@link AttentionKernels#standard} computes for the
 * last row of the whole sequence (the same operations in the same order: the same bits on the JVM): logits
 * {@code scale * q.k + bias} over the visible keys in ascending position, their maximum, {@code exp(logit - max)}
 * and its sum, the weighted sum of V times the sum's reciprocal. The bias takes absolute positions: ALiBi
 * {@code -slope (p - j)}, APE {@code (1 - (p - j) / (p + 1)) scale} (the length of a sequence whose last position is
 * p). Layouts: q and out {@code [batch, numHeads, headDim]}, k and v {@code [batch, numKvHeads, headDim]} (one
 * position of the forward's layouts); query head h reads kv head {@code h / (numHeads / numKvHeads)}.
 */
public final class CachedAttention {

    /** The logit maximum starts here: exp(MASKED - anything finite) is exactly 0, with no infinity involved. */
    private static final float MASKED = -Float.MAX_VALUE;

    private CachedAttention() {
    }

    // ---------------------------------------------------------------------------------------------------------
    // Kernels.
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Appends the key and value of position {@code position[0]}: writes them into slot {@code position[0] mod
     * capacity} of every sequence's cache, after the step's attention has read the cache.
     *
     * @param k       {@code [batch, kvWidth]}, kvWidth = kvHeads x headDim
     * @param v       {@code [batch, kvWidth]}
     * @param keyCache {@code [batch, capacity, kvWidth]}
     */
    public static void store(FloatArray k, FloatArray v, FloatArray keyCache, FloatArray valueCache, IntArray position, int batch, int kvWidth,
            int capacity) {
        for (@Parallel int b = 0; b < batch; b++) {
            for (@Parallel int e = 0; e < kvWidth; e++) {
                int slot = position.get(0) % capacity;
                int at = (b * capacity + slot) * kvWidth + e;
                keyCache.set(at, k.get(b * kvWidth + e));
                valueCache.set(at, v.get(b * kvWidth + e));
            }
        }
    }

    /**
     * Fills the caches from the keys and values of a whole prompt, positions {@code 0 .. seqLen - 1}: slot s gets
     * the last position p with {@code p mod capacity = s} (what storing the positions one by one would leave);
     * slots that no position reaches ({@code s >= seqLen}) are left as they are. Afterwards the next step is
     * position {@code seqLen}.
     *
     * @param k                {@code [batch, seqLen, kvWidth]} (rotated already when the layer uses RoPE), or head-major
     *                         {@code [batch, kvHeads, seqLen, headMajorHeadDim]} (as a prefill that runs
     *                         {@link AttentionKernels#flashTiled} with {@link AttentionKernels#KV_HEAD_MAJOR} has it)
     * @param v                laid out as {@code k}
     * @param headMajorHeadDim 0 for token-major k and v, else their head dimension (head-major); the caches are
     *                         token-major ({@code [batch, capacity, kvWidth]}) either way
     */
    public static void fill(FloatArray k, FloatArray v, FloatArray keyCache, FloatArray valueCache, int batch, int seqLen, int kvWidth, int capacity,
            int headMajorHeadDim) {
        for (@Parallel int bs = 0; bs < batch * capacity; bs++) {
            for (@Parallel int e = 0; e < kvWidth; e++) {
                int b = bs / capacity;
                int slot = bs - b * capacity;
                if (slot < seqLen) {
                    int latest = slot + (seqLen - 1 - slot) / capacity * capacity;
                    int headDim = TornadoMath.max(headMajorHeadDim, 1);
                    int h = e / headDim;
                    int from = headMajorHeadDim > 0 ? ((b * kvWidth + h * headDim) * seqLen + latest * headDim + e - h * headDim)
                            : (b * seqLen + latest) * kvWidth + e;
                    int to = bs * kvWidth + e;
                    keyCache.set(to, k.get(from));
                    valueCache.set(to, v.get(from));
                }
            }
        }
    }

    /**
     * The logits of the query at position {@code p = position[0]} against its visible keys, {@code scale * q.k_j +
     * bias(p, j)} over the keys {@code j <= p} the causal rule admits for head h (the global tokens before its band,
     * then the band {@code max(0, p - windowLeft[h]) .. p}; every key {@code <= p} if p is a global token), ascending,
     * into {@code scores[bh * (capacity + 1) + t]} for the t-th of them ({@link #firstKey}, {@link #keyCount}): keys
     * before p from {@code keyCache}, the key of p itself from {@code k}. One work-item per (batch x head, key).
     *
     * @param k       the new key, {@code [batch, numKvHeads, headDim]}
     * @param windows the heads' bands, {@code [numHeads * 2]} (the left sides are read: the mask is causal)
     * @param scores  {@link #scoresSize} floats
     */
    public static void scores(FloatArray q, FloatArray k, FloatArray keyCache, FloatArray scores, IntArray position, IntArray globalTokens, int numGlobal,
            FloatArray slopes, int batch, int numHeads, int numKvHeads, int headDim, int capacity, IntArray windows, int biasKind, float apeScale,
            float scale) {
        for (@Parallel int bh = 0; bh < batch * numHeads; bh++) {
            for (@Parallel int t = 0; t < capacity; t++) {
                int query = position.get(0);
                int b = bh / numHeads;
                int h = bh - b * numHeads;
                int start = firstKey(query, h, windows, globalTokens, numGlobal);
                int before = AttentionMasks.globalsBelow(globalTokens, numGlobal, start);
                if (t < keyCount(query, start, before)) {
                    int kvHead = h / (numHeads / numKvHeads);
                    int key = AttentionMasks.visibleKey(t, start, query + 1, globalTokens, 0, before, before);
                    int queryBase = bh * headDim;
                    float dot = 0.0f;
                    if (key == query) {
                        int keyBase = (b * numKvHeads + kvHead) * headDim;
                        for (int d = 0; d < headDim; d++) {
                            dot += q.get(queryBase + d) * k.get(keyBase + d);
                        }
                    } else {
                        int keyBase = ((b * capacity + key % capacity) * numKvHeads + kvHead) * headDim;
                        for (int d = 0; d < headDim; d++) {
                            dot += q.get(queryBase + d) * keyCache.get(keyBase + d);
                        }
                    }
                    float logit = dot * scale + PositionalBiases.logitBias(biasKind, slopes, h, query, key, query + 1, apeScale);
                    scores.set(bh * (capacity + 1) + t, logit);
                }
            }
        }
    }

    /**
     * Each row of {@link #scores}' logits becomes its softmax numerators {@code exp(logit - max)}, in place, and the
     * reciprocal of their sum goes to the row's last element, {@code scores[row * (capacity + 1) + capacity]}. One
     * work-item per (batch x head), summing in ascending key order.
     */
    public static void softmax(FloatArray scores, IntArray position, IntArray globalTokens, int numGlobal, int batch, int numHeads, int capacity,
            IntArray windows) {
        for (@Parallel int row = 0; row < batch * numHeads; row++) {
            int query = position.get(0);
            int h = row - row / numHeads * numHeads;
            int start = firstKey(query, h, windows, globalTokens, numGlobal);
            int count = keyCount(query, start, AttentionMasks.globalsBelow(globalTokens, numGlobal, start));
            int base = row * (capacity + 1);
            float rowMax = MASKED;
            for (int t = 0; t < count; t++) {
                rowMax = TornadoMath.max(rowMax, scores.get(base + t));
            }
            float sum = 0.0f;
            for (int t = 0; t < count; t++) {
                float weight = TornadoMath.exp(scores.get(base + t) - rowMax);
                scores.set(base + t, weight);
                sum += weight;
            }
            scores.set(base + capacity, 1.0f / sum);
        }
    }

    /**
     * {@code out[b, h, d] = (sum_j w_j v_j[d]) / sum_j w_j} over the visible keys in ascending position, from the
     * numerators and reciprocal {@link #softmax} left in {@code scores}: values before p from {@code valueCache}, the
     * value of p itself (always the last) from {@code v}. One work-item per (batch x head, d).
     *
     * @param v the new value, {@code [batch, numKvHeads, headDim]}
     */
    public static void weightedValues(FloatArray v, FloatArray valueCache, FloatArray scores, FloatArray out, IntArray position, IntArray globalTokens,
            int numGlobal, int batch, int numHeads, int numKvHeads, int headDim, int capacity, IntArray windows) {
        for (@Parallel int bh = 0; bh < batch * numHeads; bh++) {
            for (@Parallel int d = 0; d < headDim; d++) {
                int query = position.get(0);
                int b = bh / numHeads;
                int h = bh - b * numHeads;
                int kvHead = h / (numHeads / numKvHeads);
                int start = firstKey(query, h, windows, globalTokens, numGlobal);
                int before = AttentionMasks.globalsBelow(globalTokens, numGlobal, start);
                int cached = keyCount(query, start, before) - 1;
                int base = bh * (capacity + 1);
                float acc = 0.0f;
                for (int t = 0; t < cached; t++) {
                    int slot = AttentionMasks.visibleKey(t, start, query + 1, globalTokens, 0, before, before) % capacity;
                    acc += scores.get(base + t) * valueCache.get(((b * capacity + slot) * numKvHeads + kvHead) * headDim + d);
                }
                acc += scores.get(base + cached) * v.get((b * numKvHeads + kvHead) * headDim + d);
                out.set(bh * headDim + d, acc * scores.get(base + capacity));
            }
        }
    }

    /** The first key of the contiguous run query {@code query} sees with head {@code head}'s band (0 when the query is a global token). */
    private static int firstKey(int query, int head, IntArray windows, IntArray globalTokens, int numGlobal) {
        return AttentionMasks.keysStart(query, AttentionMasks.isGlobal(globalTokens, numGlobal, query), AttentionMasks.windowLeft(windows, head));
    }

    /** Keys a causal query sees: the {@code globalsBefore} global tokens before its run, then the run {@code start .. query}. */
    private static int keyCount(int query, int start, int globalsBefore) {
        return AttentionMasks.visibleKeyCount(start, query + 1, 0, globalsBefore, 0, 0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Host-side helpers (never called from a kernel).
    // ---------------------------------------------------------------------------------------------------------

    /** Floats of the {@code scores} buffer: a row of {@code capacity} numerators and the reciprocal per (batch, head). */
    public static int scoresSize(int batch, int numHeads, int capacity) {
        return Math.multiplyExact(Math.multiplyExact(batch, numHeads), Math.addExact(capacity, 1));
    }

    /**
     * Slots a layer's cache needs for a generation of {@code maxLength} positions: a sliding window of W keys
     * ({@code windowLeft = W - 1}) keeps {@code min(W, maxLength)}, a full layer ({@code windowLeft >= maxLength - 1},
     * e.g. {@link AttentionMasks#UNBOUNDED}) {@code maxLength}.
     */
    public static int capacity(int windowLeft, int maxLength) {
        if (maxLength < 1 || windowLeft < 0) {
            throw new IllegalArgumentException("maxLength must be >= 1 and windowLeft >= 0, got " + maxLength + ", " + windowLeft);
        }
        return windowLeft >= maxLength - 1 ? maxLength : windowLeft + 1;
    }

    /**
     * Slots for a layer with per-head windows and global tokens: the widest head's {@link #capacity(int, int)} (a
     * narrower head reads a suffix of the same rolling buffer), or {@code maxLength} when there are global tokens (a
     * global token's key stays visible to every later query, and a global query sees every earlier key, so no slot
     * may be overwritten).
     */
    public static int capacity(IntArray windows, int numHeads, int numGlobal, int maxLength) {
        AttentionMasks.checkWindows(windows, numHeads);
        int widest = 0;
        for (int h = 0; h < numHeads; h++) {
            widest = Math.max(widest, AttentionMasks.windowLeft(windows, h));
        }
        return numGlobal > 0 ? capacity(AttentionMasks.UNBOUNDED, maxLength) : capacity(widest, maxLength);
    }

    /** Throws {@link IllegalArgumentException} unless the arrays and sizes describe a valid decode step of the kernels. */
    public static void checkArguments(FloatArray q, FloatArray k, FloatArray v, FloatArray keyCache, FloatArray valueCache, FloatArray out,
            FloatArray scores, IntArray position, FloatArray slopes, int batch, int numHeads, int numKvHeads, int headDim, int capacity, int biasKind) {
        if (batch < 1 || numHeads < 1 || numKvHeads < 1 || headDim < 1 || capacity < 1) {
            throw new IllegalArgumentException("batch, numHeads, numKvHeads, headDim, capacity must be >= 1");
        }
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("numKvHeads " + numKvHeads + " does not divide numHeads " + numHeads);
        }
        long queryElements = (long) batch * numHeads * headDim;
        long cacheElements = (long) batch * capacity * numKvHeads * headDim;
        requireSize("q", q.getSize(), queryElements);
        requireSize("out", out.getSize(), queryElements);
        requireSize("k", k.getSize(), (long) batch * numKvHeads * headDim);
        requireSize("v", v.getSize(), (long) batch * numKvHeads * headDim);
        requireSize("keyCache", keyCache.getSize(), cacheElements);
        requireSize("valueCache", valueCache.getSize(), cacheElements);
        requireSize("scores", scores.getSize(), scoresSize(batch, numHeads, capacity));
        requireSize("position", position.getSize(), 1);
        if (biasKind != PositionalBiases.NONE && biasKind != PositionalBiases.ALIBI && biasKind != PositionalBiases.APE) {
            throw new IllegalArgumentException("unknown bias kind " + biasKind);
        }
        requireSize("slopes", slopes.getSize(), biasKind == PositionalBiases.ALIBI ? numHeads : 1);
    }

    private static void requireSize(String name, long size, long elements) {
        if (size < elements) {
            throw new IllegalArgumentException(name + " has " + size + " elements, needs " + elements);
        }
    }
}
