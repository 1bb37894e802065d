package org.attentionlab.kernels;

import java.util.Arrays;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The visibility rule shared by every attention kernel, and host-side helpers that build its parameters.
 *
 * <h2>The rule</h2>
 * Key {@code j} is visible to query {@code i} (both positions in {@code [0, L)}) iff
 * <pre>
 *   i - windowLeft &lt;= j &lt;= i + windowRight      (the band, clamped to [0, L))
 *   or i is a global token  or  j is a global token   (Longformer: global tokens attend to all and are attended by all)
 * </pre>
 * {@code windowLeft} and {@code windowRight} are non-negative; any value {@code >= L - 1} means "unbounded on that
 * side" (the kernels clamp, so {@link #UNBOUNDED} is safe). Query {@code i} always sees itself, so no row of the
 * softmax is empty. Global tokens are a sorted {@link IntArray} of distinct positions and a count; the array has
 * length {@code >= 1} even when the count is 0 (TornadoVM cannot pass an empty array).
 *
 * <h2>Masks as (windowLeft, windowRight)</h2>
 * <ul>
 *   <li>full / bidirectional: {@code (L, L)} or {@code (UNBOUNDED, UNBOUNDED)}</li>
 *   <li>causal: {@code (L, 0)}</li>
 *   <li>causal sliding window of W keys: {@code (W - 1, 0)}, so {@code i - W < j <= i}. W counts the query itself;
 *       this is Edifice's {@code window_mask(L, W)} and Hugging Face's {@code sliding_window = W}
 *       ({@code kv_idx <= q_idx and kv_idx > q_idx - W}). FlashAttention spells the same mask
 *       {@code window_size=(W - 1, 0)}; a FlexAttention {@code mask_mod} for it is {@code q_idx - kv_idx < W}
 *       (the common {@code <= W} admits W + 1 keys).</li>
 *   <li>bidirectional local window w (Longformer's {@code attention_window}): {@code (w / 2, w / 2)}</li>
 * </ul>
 *
 * <p>The {@code static} methods taking only primitives and arrays ({@link #isVisible}, {@link #bandStart},
 * {@link #bandEnd}, {@link #queryBandStart}, {@link #queryBandEnd}, {@link #isGlobal}, {@link #globalsBelow},
 * {@link #visibleKeyCount}, {@link #visibleKey}, {@link #maxVisibleKeys}) are called from inside kernels; the rest is
 * host code.
 */
public final class AttentionMasks {

    /** A window side that reaches the end of any sequence; the kernels clamp it without overflow. */
    public static final int UNBOUNDED = Integer.MAX_VALUE;

    private AttentionMasks() {
    }

    // ---------------------------------------------------------------------------------------------------------
    // Kernel-side helpers: primitives and TornadoVM arrays only, no allocation.
    // ---------------------------------------------------------------------------------------------------------

    /** Whether key {@code key} is visible to query {@code query} under the rule above. */
    public static boolean isVisible(int query, int key, int windowLeft, int windowRight, IntArray globalTokens, int numGlobal) {
        boolean inBand = key <= query ? query - key <= windowLeft : key - query <= windowRight;
        return inBand || isGlobal(globalTokens, numGlobal, query) || isGlobal(globalTokens, numGlobal, key);
    }

    /** First key of query {@code query}'s band (inclusive), clamped at 0. */
    public static int bandStart(int query, int windowLeft) {
        return windowLeft >= query ? 0 : query - windowLeft;
    }

    /** One past the last key of query {@code query}'s band, clamped at {@code seqLen}. */
    public static int bandEnd(int query, int windowRight, int seqLen) {
        return windowRight >= seqLen - 1 - query ? seqLen : query + windowRight + 1;
    }

    /**
     * First query (inclusive) whose band holds key {@code key}: the band condition {@code i - windowLeft <= j <= i +
     * windowRight} read for i is {@code j - windowRight <= i <= j + windowLeft}, the rule with its sides swapped. The
     * queries that see a key are these plus the global queries outside them (all queries if the key is global), the
     * same shape as a query's keys, so {@link #visibleKeyCount} and {@link #visibleKey} enumerate them too.
     */
    public static int queryBandStart(int key, int windowRight) {
        return bandStart(key, windowRight);
    }

    /** One past the last query whose band holds key {@code key} (see {@link #queryBandStart}), clamped at {@code seqLen}. */
    public static int queryBandEnd(int key, int windowLeft, int seqLen) {
        return bandEnd(key, windowLeft, seqLen);
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
     * The number of keys in the ascending sequence "global tokens before the band, the band
     * {@code [bandStart, bandEnd)}, global tokens after it", where {@code globalsBefore} and {@code globalsThrough}
     * are {@link #globalsBelow} of {@code bandStart} and {@code bandEnd}. For a non-global query with its own band
     * this sequence is exactly its visible keys; for a global query use the band {@code [0, L)}.
     */
    public static int visibleKeyCount(int bandStart, int bandEnd, int globalsBefore, int globalsThrough, int numGlobal) {
        return globalsBefore + (bandEnd - bandStart) + (numGlobal - globalsThrough);
    }

    /** The {@code t}-th key (ascending) of the sequence described in {@link #visibleKeyCount}. */
    public static int visibleKey(int t, int bandStart, int bandEnd, IntArray globalTokens, int globalsBefore, int globalsThrough) {
        int key;
        if (t < globalsBefore) {
            key = globalTokens.get(t);
        } else if (t < globalsBefore + bandEnd - bandStart) {
            key = bandStart + t - globalsBefore;
        } else {
            key = globalTokens.get(t - globalsBefore - (bandEnd - bandStart) + globalsThrough);
        }
        return key;
    }

    /**
     * The most keys any query sees: the row stride of the score scratch of {@link AttentionKernels#standard} and
     * {@link AttentionKernels#chunked}. A global query sees all {@code seqLen} keys, so any global token makes it
     * {@code seqLen}; otherwise the band width, at most {@code seqLen}.
     */
    public static int maxVisibleKeys(int seqLen, int windowLeft, int windowRight, int numGlobal) {
        int left = windowLeft < seqLen ? windowLeft : seqLen;
        int right = windowRight < seqLen ? windowRight : seqLen;
        int band = left + right + 1;
        int widest = band < seqLen ? band : seqLen;
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

    /** Edifice's {@code causal_mask(L)}: {@code [L * L]}, row-major by query, 1 where {@code j <= i}, else 0. */
    public static FloatArray causalMask(int seqLen) {
        return denseMask(seqLen, UNBOUNDED, 0, new IntArray(1), 0);
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

    /** The rule above as a dense {@code [L * L]} 0/1 matrix, for inspection and host-side checks. */
    public static FloatArray denseMask(int seqLen, int windowLeft, int windowRight, IntArray globalTokens, int numGlobal) {
        checkGlobalTokens(globalTokens, numGlobal, seqLen);
        FloatArray mask = new FloatArray(seqLen * seqLen);
        for (int i = 0; i < seqLen; i++) {
            for (int j = 0; j < seqLen; j++) {
                mask.set(i * seqLen + j, isVisible(i, j, windowLeft, windowRight, globalTokens, numGlobal) ? 1f : 0f);
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
