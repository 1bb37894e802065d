package org.attentionlab.kernels;

import java.util.Arrays;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The visibility rule shared by every attention kernel, and host-side helpers that build its parameters.
 *
 * <h2>The rule</h2>
 * Key {@code j} is visible to query {@code i} (both positions in {@code [0, L)}) for head {@code h} iff
 * <pre>
 *   (causal == 0  or  j &lt;= i)                                  (causality binds everything, global tokens too)
 *   and ( i - windowLeft[h] &lt;= j &lt;= i + windowRight[h]         (the head's band, clamped to [0, L))
 *         or i is a global token  or  j is a global token )    (Longformer: global tokens attend to all and are attended by all)
 * </pre>
 * So in a causal model a global token at position g attends to every key {@code <= g} and every later query attends
 * to it (Longformer/BigBird global attention under a causal mask); without causality it sees and is seen by every
 * position. {@code windowLeft} and {@code windowRight} are non-negative; any value {@code >= L - 1} means "unbounded
 * on that side" (the kernels clamp, so {@link #UNBOUNDED} is safe). Query {@code i} always sees itself, so no row of
 * the softmax is empty. Global tokens are a sorted {@link IntArray} of distinct positions and a count; the array has
 * length {@code >= 1} even when the count is 0 (TornadoVM cannot pass an empty array).
 *
 * <h2>Windows per head</h2>
 * The kernels take the bands as one {@link IntArray} {@code windows} of {@code [numHeads * 2]}: head h's
 * {@code windowLeft} at {@code 2h}, its {@code windowRight} at {@code 2h + 1} ({@link #windows}). A model with one
 * window repeats it for every head; multi-scale local attention gives each head its own. Grouped-query attention
 * applies the window of the query head.
 *
 * <h2>Attention dropout, in the same array</h2>
 * Three ints follow the bands, at {@code 2 numHeads} to {@code 2 numHeads + 2}: the dropout's keep threshold, its
 * seed and the mask seed the kernels hash ({@link #windows} writes {@link #DROPOUT_OFF}, 0, 0; {@link #withDropout}
 * sets the threshold and both seeds; {@link AttentionKernels#seedDropoutAtStep} sets the mask seed on the device from
 * the seed and the step). They travel here because
 * a TornadoVM task takes at most 20 arguments and the attention backward's {@code keyValueGradient} already has 20.
 * With a threshold below {@link #DROPOUT_OFF} every kernel multiplies the softmax probability {@code P_ij} of (batch
 * b, query head h, query i, key j) by {@link #dropoutFactor}: {@code 2^24 / threshold} when
 * {@code bits(hash(hash(key(maskSeed), (b numHeads + h) seqLen + i), j)) < threshold}, else 0, with
 * {@link Activations#dropoutUniform}'s counter hash (key, hash and the top 24 bits) taken twice, per row then per key.
 * The softmax's normaliser is not masked (PyTorch's {@code dropout(softmax(S)) @ V}); the expected factor is exactly
 * 1. The mask depends on nothing but those integers, so the backward regenerates the forward's bit for bit.
 *
 * <h2>Masks as (windowLeft, windowRight)</h2>
 * <ul>
 *   <li>full / bidirectional: {@code (L, L)} or {@code (UNBOUNDED, UNBOUNDED)}</li>
 *   <li>causal: {@code (L, 0)} with {@code causal = 1}</li>
 *   <li>causal sliding window of W keys: {@code (W - 1, 0)}, so {@code i - W < j <= i}. W counts the query itself;
 *       this is Edifice's {@code window_mask(L, W)} and Hugging Face's {@code sliding_window = W}
 *       ({@code kv_idx <= q_idx and kv_idx > q_idx - W}). FlashAttention spells the same mask
 *       {@code window_size=(W - 1, 0)}; a FlexAttention {@code mask_mod} for it is {@code q_idx - kv_idx < W}
 *       (the common {@code <= W} admits W + 1 keys).</li>
 *   <li>bidirectional local window w (Longformer's {@code attention_window}): {@code (w / 2, w / 2)}</li>
 * </ul>
 *
 * <p>The {@code static} methods taking only primitives and arrays are called from inside kernels; the rest (below
 * "Host-side helpers") is host code.
 *
 * <h2>Enumerating what a row sees</h2>
 * A query's visible keys, in ascending order, are: the global tokens in {@code [0, bandStart)}, its band
 * {@code [bandStart, bandEnd)}, the global tokens in {@code [bandEnd, limit)}, where {@code limit} is
 * {@link #keyLimit} ({@code i + 1} when causal) and the band is {@link #keysStart}/{@link #keysEnd} (all of
 * {@code [0, limit)} for a global query). The queries that see key j are the same shape read the other way round
 * ({@link #queriesStart}/{@link #queriesEnd}, from {@link #queryFloor}: j when causal). {@link #visibleKeyCount} and
 * {@link #visibleKey} enumerate either, given the indices of the global tokens at the four boundaries
 * ({@link #globalsBelow}).
 */
public final class AttentionMasks {

    /** A window side that reaches the end of any sequence; the kernels clamp it without overflow. */
    public static final int UNBOUNDED = Integer.MAX_VALUE;
    /** The keep threshold that keeps every probability: 2^24, one more than any 24-bit hash (no dropout). */
    public static final int DROPOUT_OFF = 1 << 24;
    /** Ints of the dropout's tail after the bands: keep threshold, seed, mask seed. */
    public static final int DROPOUT_INTS = 3;

    private AttentionMasks() {
    }

    // ---------------------------------------------------------------------------------------------------------
    // Kernel-side helpers: primitives and TornadoVM arrays only, no allocation.
    // ---------------------------------------------------------------------------------------------------------

    /** Head {@code head}'s {@code windowLeft} in a {@code [numHeads * 2]} window array. */
    public static int windowLeft(IntArray windows, int head) {
        return windows.get(2 * head);
    }

    /** Head {@code head}'s {@code windowRight} in a {@code [numHeads * 2]} window array. */
    public static int windowRight(IntArray windows, int head) {
        return windows.get(2 * head + 1);
    }

    /** The dropout's keep threshold in a window array of {@code numHeads} heads: {@link #DROPOUT_OFF} when nothing is dropped. */
    public static int dropoutKeepThreshold(IntArray windows, int numHeads) {
        return windows.get(2 * numHeads);
    }

    /** The dropout's own seed in a window array of {@code numHeads} heads (what {@link AttentionKernels#seedDropoutAtStep} adds to). */
    public static int dropoutSeed(IntArray windows, int numHeads) {
        return windows.get(2 * numHeads + 1);
    }

    /** The seed the kernels draw the mask from, in a window array of {@code numHeads} heads. */
    public static int dropoutMaskSeed(IntArray windows, int numHeads) {
        return windows.get(2 * numHeads + 2);
    }

    /** What a kept probability is multiplied by: {@code 2^24 / keepThreshold} (1 when nothing is dropped). */
    public static float dropoutKeptScale(int keepThreshold) {
        return (float) DROPOUT_OFF / keepThreshold;
    }

    /** The per-row key of the dropout mask of softmax row {@code row = (b numHeads + h) seqLen + i}. */
    public static int dropoutRowKey(int seed, int row) {
        return Activations.dropoutHash(Activations.dropoutKey(seed), row);
    }

    /**
     * The factor of probability (row, key): {@code keptScale} when kept, 0 when dropped, exactly 1 when
     * {@code keepThreshold >= DROPOUT_OFF} (the hash is then not computed).
     */
    public static float dropoutFactor(int rowKey, int key, int keepThreshold, float keptScale) {
        float factor = 1.0f;
        if (keepThreshold < DROPOUT_OFF) {
            factor = Activations.dropoutBits(rowKey, key) < keepThreshold ? keptScale : 0.0f;
        }
        return factor;
    }

    /** Whether key {@code key} is visible to query {@code query} under the rule above, for one head's band. */
    public static boolean isVisible(int query, int key, int windowLeft, int windowRight, int causal, IntArray globalTokens, int numGlobal) {
        boolean inBand = key <= query ? query - key <= windowLeft : key - query <= windowRight;
        boolean allowed = causal == 0 || key <= query;
        return allowed && (inBand || isGlobal(globalTokens, numGlobal, query) || isGlobal(globalTokens, numGlobal, key));
    }

    /** One past the last key query {@code query} may see at all: {@code query + 1} when causal, else {@code seqLen}. */
    public static int keyLimit(int query, int causal, int seqLen) {
        return causal != 0 ? query + 1 : seqLen;
    }

    /** The first query that may see key {@code key} at all: {@code key} when causal, else 0. */
    public static int queryFloor(int key, int causal) {
        return causal != 0 ? key : 0;
    }

    /** First key of query {@code query}'s band (inclusive), clamped at 0. */
    public static int bandStart(int query, int windowLeft) {
        return windowLeft >= query ? 0 : query - windowLeft;
    }

    /** One past the last key of query {@code query}'s band, clamped at {@code seqLen}. */
    public static int bandEnd(int query, int windowRight, int seqLen) {
        return windowRight >= seqLen - 1 - query ? seqLen : query + windowRight + 1;
    }

    /** Start of the contiguous run of keys query {@code query} sees: 0 for a global query, else its band's start. */
    public static int keysStart(int query, boolean queryIsGlobal, int windowLeft) {
        return queryIsGlobal ? 0 : bandStart(query, windowLeft);
    }

    /** End (exclusive) of that run: {@link #keyLimit} for a global query, else its band's end, never past the limit. */
    public static int keysEnd(int query, boolean queryIsGlobal, int windowRight, int causal, int seqLen) {
        int limit = keyLimit(query, causal, seqLen);
        int end = queryIsGlobal ? limit : bandEnd(query, windowRight, seqLen);
        return end < limit ? end : limit;
    }

    /**
     * First query (inclusive) whose band holds key {@code key}: the band condition {@code i - windowLeft <= j <= i +
     * windowRight} read for i is {@code j - windowRight <= i <= j + windowLeft}, the rule with its sides swapped.
     */
    public static int queryBandStart(int key, int windowRight) {
        return bandStart(key, windowRight);
    }

    /** One past the last query whose band holds key {@code key} (see {@link #queryBandStart}), clamped at {@code seqLen}. */
    public static int queryBandEnd(int key, int windowLeft, int seqLen) {
        return bandEnd(key, windowLeft, seqLen);
    }

    /** Start of the contiguous run of queries that see key {@code key}: from {@link #queryFloor} for a global key, else its query band's start, never before the floor. */
    public static int queriesStart(int key, boolean keyIsGlobal, int windowRight, int causal) {
        int floor = queryFloor(key, causal);
        int start = keyIsGlobal ? floor : queryBandStart(key, windowRight);
        return start > floor ? start : floor;
    }

    /** End (exclusive) of that run: {@code seqLen} for a global key, else its query band's end. */
    public static int queriesEnd(int key, boolean keyIsGlobal, int windowLeft, int seqLen) {
        return keyIsGlobal ? seqLen : queryBandEnd(key, windowLeft, seqLen);
    }

    /** Whether {@code position} is one of the first {@code numGlobal} entries of {@code globalTokens}. */
    public static boolean isGlobal(IntArray globalTokens, int numGlobal, int position) {
        boolean found = false;
        for (int g = 0; g < numGlobal; g++) {
            if (globalTokens.get(g) == position) {
                found = true;
            }
        }
        return found;
    }

    /** How many global tokens lie before {@code position} (the tokens are sorted). */
    public static int globalsBelow(IntArray globalTokens, int numGlobal, int position) {
        int count = 0;
        for (int g = 0; g < numGlobal; g++) {
            if (globalTokens.get(g) < position) {
                count++;
            }
        }
        return count;
    }

    /**
     * The number of positions in the ascending sequence "global tokens in {@code [from, bandStart)}, the band
     * {@code [bandStart, bandEnd)}, global tokens in {@code [bandEnd, to)}", where {@code globalsFrom},
     * {@code globalsBefore}, {@code globalsThrough} and {@code globalsTo} are {@link #globalsBelow} of {@code from},
     * {@code bandStart}, {@code bandEnd} and {@code to}. For a query with its run of keys ({@link #keysStart},
     * {@link #keysEnd}), {@code from = 0} and {@code to = } {@link #keyLimit}, this is exactly its visible keys; for a
     * key with its run of queries, {@code from = } {@link #queryFloor} and {@code to = seqLen}, the queries that see it.
     */
    public static int visibleKeyCount(int bandStart, int bandEnd, int globalsFrom, int globalsBefore, int globalsThrough, int globalsTo) {
        return (globalsBefore - globalsFrom) + (bandEnd - bandStart) + (globalsTo - globalsThrough);
    }

    /** The {@code t}-th position (ascending) of the sequence described in {@link #visibleKeyCount}. */
    public static int visibleKey(int t, int bandStart, int bandEnd, IntArray globalTokens, int globalsFrom, int globalsBefore, int globalsThrough) {
        int lead = globalsBefore - globalsFrom;
        int key;
        if (t < lead) {
            key = globalTokens.get(globalsFrom + t);
        } else if (t < lead + bandEnd - bandStart) {
            key = bandStart + t - lead;
        } else {
            key = globalTokens.get(t - lead - (bandEnd - bandStart) + globalsThrough);
        }
        return key;
    }

    /**
     * The most keys any query of any head sees: the row stride of the score scratch of {@link AttentionKernels#standard}
     * and {@link AttentionKernels#chunked}. A global query may see all {@code seqLen} keys, so any global token makes
     * it {@code seqLen}; otherwise the widest head's band, at most {@code seqLen}.
     */
    public static int maxVisibleKeys(int seqLen, IntArray windows, int numHeads, int numGlobal) {
        int widest = 1;
        for (int h = 0; h < numHeads; h++) {
            int left = windowLeft(windows, h) < seqLen ? windowLeft(windows, h) : seqLen;
            int right = windowRight(windows, h) < seqLen ? windowRight(windows, h) : seqLen;
            int band = left + right + 1;
            int clamped = band < seqLen ? band : seqLen;
            widest = clamped > widest ? clamped : widest;
        }
        return numGlobal > 0 ? seqLen : widest;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Host-side helpers.
    // ---------------------------------------------------------------------------------------------------------

    /** A band as the two kernel scalars; see the class documentation for what each mask maps to. */
    public record Window(int left, int right) {

        public Window {
            if (left < 0 || right < 0) {
                throw new IllegalArgumentException("window sides must be >= 0, got (" + left + ", " + right + ")");
            }
        }

        /** Every query sees every key. */
        public static Window full() {
            return new Window(UNBOUNDED, UNBOUNDED);
        }

        /** Query i sees keys 0..i. */
        public static Window causal() {
            return new Window(UNBOUNDED, 0);
        }

        /** Query i sees the {@code windowSize} keys {@code i - windowSize < j <= i} (itself included). */
        public static Window causalSliding(int windowSize) {
            return new Window(causalWindowLeft(windowSize), 0);
        }

        /** Longformer's bidirectional local window {@code w}: {@code w / 2} keys on each side of the query. */
        public static Window bidirectionalLocal(int windowSize) {
            if (windowSize < 0) {
                throw new IllegalArgumentException("local window size must be >= 0, got " + windowSize);
            }
            return new Window(windowSize / 2, windowSize / 2);
        }

        /** FlashAttention's {@code window_size=(left, right)}, where -1 means unbounded. */
        public static Window flashAttention(int left, int right) {
            return new Window(left < 0 ? UNBOUNDED : left, right < 0 ? UNBOUNDED : right);
        }

        /** Whether the band admits every key of a sequence of {@code seqLen} positions. */
        public boolean coversAll(int seqLen) {
            return left >= seqLen - 1 && right >= seqLen - 1;
        }
    }

    /** The kernel's {@code windowLeft} for a causal sliding window of {@code windowSize} keys: {@code W - 1}. */
    public static int causalWindowLeft(int windowSize) {
        if (windowSize < 1) {
            throw new IllegalArgumentException("a sliding window must hold at least the query itself, got W = " + windowSize);
        }
        return windowSize - 1;
    }

    /**
     * The keys query {@code query} sees with one head's band, ascending: the kernels' own enumeration
     * ({@link #keysStart}, {@link #keysEnd}, {@link #visibleKey}), for host code that reads their scores.
     */
    public static int[] visibleKeysOf(int query, int windowLeft, int windowRight, int causal, IntArray globalTokens, int numGlobal, int seqLen) {
        boolean queryIsGlobal = isGlobal(globalTokens, numGlobal, query);
        int start = keysStart(query, queryIsGlobal, windowLeft);
        int end = keysEnd(query, queryIsGlobal, windowRight, causal, seqLen);
        int before = globalsBelow(globalTokens, numGlobal, start);
        int through = globalsBelow(globalTokens, numGlobal, end);
        int[] keys = new int[visibleKeyCount(start, end, 0, before, through, globalsBelow(globalTokens, numGlobal, keyLimit(query, causal, seqLen)))];
        for (int t = 0; t < keys.length; t++) {
            keys[t] = visibleKey(t, start, end, globalTokens, 0, before, through);
        }
        return keys;
    }

    /** How many keys query {@code query} sees with one head's band ({@link #visibleKeysOf} without building them). */
    public static int visibleKeyCountOf(int query, int windowLeft, int windowRight, int causal, IntArray globalTokens, int numGlobal, int seqLen) {
        boolean queryIsGlobal = isGlobal(globalTokens, numGlobal, query);
        int start = keysStart(query, queryIsGlobal, windowLeft);
        int end = keysEnd(query, queryIsGlobal, windowRight, causal, seqLen);
        return visibleKeyCount(start, end, 0, globalsBelow(globalTokens, numGlobal, start), globalsBelow(globalTokens, numGlobal, end),
                globalsBelow(globalTokens, numGlobal, keyLimit(query, causal, seqLen)));
    }

    /** The kernels' {@code windows} argument: the same band for each of {@code numHeads} heads. */
    public static IntArray windows(int numHeads, Window window) {
        if (numHeads < 1) {
            throw new IllegalArgumentException("numHeads must be >= 1, got " + numHeads);
        }
        Window[] perHead = new Window[numHeads];
        Arrays.fill(perHead, window);
        return windows(perHead);
    }

    /** The kernels' {@code windows} argument: head h's band is {@code perHead[h]}. */
    public static IntArray windows(Window... perHead) {
        if (perHead.length < 1) {
            throw new IllegalArgumentException("a window array needs at least one head");
        }
        int[] sides = new int[2 * perHead.length];
        for (int h = 0; h < perHead.length; h++) {
            sides[2 * h] = perHead[h].left();
            sides[2 * h + 1] = perHead[h].right();
        }
        return windowsOfSides(sides);
    }

    /** The kernels' {@code windows} argument from the bands' sides, {@code [numHeads * 2]} (left, right per head), no dropout. */
    public static IntArray windowsOfSides(int... sides) {
        if (sides.length < 2 || sides.length % 2 != 0) {
            throw new IllegalArgumentException("window sides come in (left, right) pairs, one per head, got " + sides.length);
        }
        IntArray windows = new IntArray(sides.length + DROPOUT_INTS);
        for (int i = 0; i < sides.length; i++) {
            windows.set(i, sides[i]);
        }
        windows.set(sides.length, DROPOUT_OFF);
        windows.set(sides.length + 1, 0);
        windows.set(sides.length + 2, 0);
        return windows;
    }

    /**
     * A copy of {@code windows} ({@code numHeads} heads) whose probabilities are dropped with probability {@code p},
     * seed and mask seed {@code seed}: keep threshold {@code round((1 - p) 2^24)}, which keeps a probability with
     * probability {@code threshold / 2^24}, within 2^-25 of {@code 1 - p}. {@code p = 0} gives {@link #DROPOUT_OFF}.
     */
    public static IntArray withDropout(IntArray windows, int numHeads, double p, int seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("attention dropout must be in [0, 1), got " + p);
        }
        checkWindows(windows, numHeads);
        IntArray dropped = new IntArray(2 * numHeads + DROPOUT_INTS);
        for (int i = 0; i < 2 * numHeads; i++) {
            dropped.set(i, windows.get(i));
        }
        dropped.set(2 * numHeads, keepThreshold(p));
        setDropoutSeed(dropped, numHeads, seed);
        return dropped;
    }

    /** Sets the dropout's seed and mask seed of a window array of {@code numHeads} heads to {@code seed} (host-side). */
    public static void setDropoutSeed(IntArray windows, int numHeads, int seed) {
        windows.set(2 * numHeads + 1, seed);
        windows.set(2 * numHeads + 2, seed);
    }

    /** {@code round((1 - p) 2^24)}, at least 1: the keep threshold of dropout probability {@code p} in [0, 1). */
    public static int keepThreshold(double p) {
        return (int) Math.max(1, Math.round((1.0 - p) * DROPOUT_OFF));
    }

    /** Head {@code head}'s band of a kernels' {@code windows} argument. */
    public static Window window(IntArray windows, int head) {
        return new Window(windowLeft(windows, head), windowRight(windows, head));
    }

    /**
     * Throws unless {@code windows} holds a non-negative (left, right) pair for each of {@code numHeads} heads and then
     * the dropout's keep threshold, in {@code [1, DROPOUT_OFF]}, seed and mask seed.
     */
    public static void checkWindows(IntArray windows, int numHeads) {
        if (windows == null || windows.getSize() < 2L * numHeads + DROPOUT_INTS) {
            throw new IllegalArgumentException("windows needs 2 x " + numHeads + " + " + DROPOUT_INTS
                    + " elements (left, right per head, then the dropout's keep threshold, seed and mask seed), has "
                    + (windows == null ? 0 : windows.getSize()));
        }
        int threshold = dropoutKeepThreshold(windows, numHeads);
        if (threshold < 1 || threshold > DROPOUT_OFF) {
            throw new IllegalArgumentException("the dropout's keep threshold must be in [1, 2^24], got " + threshold);
        }
        for (int h = 0; h < numHeads; h++) {
            if (windowLeft(windows, h) < 0 || windowRight(windows, h) < 0) {
                throw new IllegalArgumentException("window sides must be >= 0, head " + h + " has (" + windowLeft(windows, h) + ", "
                        + windowRight(windows, h) + ")");
            }
        }
    }

    /** Edifice's {@code causal_mask(L)}: {@code [L * L]}, row-major by query, 1 where {@code j <= i}, else 0. */
    public static FloatArray causalMask(int seqLen) {
        return denseMask(seqLen, UNBOUNDED, 0, 1, new IntArray(1), 0);
    }

    /**
     * Edifice's {@code window_mask(L, W)}: {@code [L * L]}, 1 where {@code i - W < j <= i}, else 0 (so W = 0 hides
     * everything, as Edifice's does; the kernels need W >= 1).
     */
    public static FloatArray windowMask(int seqLen, int windowSize) {
        FloatArray mask = new FloatArray(seqLen * seqLen);
        for (int i = 0; i < seqLen; i++) {
            for (int j = 0; j < seqLen; j++) {
                mask.set(i * seqLen + j, j <= i && i - windowSize < j ? 1f : 0f);
            }
        }
        return mask;
    }

    /** The rule above for one band as a dense {@code [L * L]} 0/1 matrix, for inspection and host-side checks. */
    public static FloatArray denseMask(int seqLen, int windowLeft, int windowRight, int causal, IntArray globalTokens, int numGlobal) {
        checkGlobalTokens(globalTokens, numGlobal, seqLen);
        FloatArray mask = new FloatArray(seqLen * seqLen);
        for (int i = 0; i < seqLen; i++) {
            for (int j = 0; j < seqLen; j++) {
                mask.set(i * seqLen + j, isVisible(i, j, windowLeft, windowRight, causal, globalTokens, numGlobal) ? 1f : 0f);
            }
        }
        return mask;
    }

    /** The kernels' global-token argument: the positions sorted and de-duplicated, length >= 1. */
    public static IntArray globalTokens(int... positions) {
        int[] sorted = Arrays.stream(positions).sorted().distinct().toArray();
        if (sorted.length > 0 && sorted[0] < 0) {
            throw new IllegalArgumentException("negative global token position " + sorted[0]);
        }
        return IntArray.fromArray(sorted.length == 0 ? new int[1] : sorted);
    }

    /** Throws unless the first {@code numGlobal} tokens are strictly ascending positions in {@code [0, seqLen)}. */
    public static void checkGlobalTokens(IntArray globalTokens, int numGlobal, int seqLen) {
        if (globalTokens.getSize() < 1) {
            throw new IllegalArgumentException("the global token array needs length >= 1 even when there are none");
        }
        if (numGlobal < 0 || numGlobal > globalTokens.getSize()) {
            throw new IllegalArgumentException("numGlobal " + numGlobal + " outside [0, " + globalTokens.getSize() + "]");
        }
        for (int g = 0; g < numGlobal; g++) {
            int position = globalTokens.get(g);
            if (position < 0 || position >= seqLen) {
                throw new IllegalArgumentException("global token " + position + " outside [0, " + seqLen + ")");
            }
            if (g > 0 && globalTokens.get(g - 1) >= position) {
                throw new IllegalArgumentException("global tokens must be strictly ascending, got " + globalTokens.get(g - 1) + " then " + position);
            }
        }
    }
}
