package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.AttentionReference;
import org.attentionlab.kernels.reference.CachedAttentionReference;
import org.attentionlab.kernels.testing.Close;
import org.attentionlab.kernels.testing.Closeness;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The decode kernels ({@link CachedAttention}, {@link RotaryEmbedding#applyAtPosition},
 * {@link SinusoidalEncoding#addAtPosition}) against the full-sequence kernels and float64 references: a sequence is
 * generated position by position (a prompt filled at once, then one position per step through a rolling or growing
 * cache), and every step's output must be the last row of the whole sequence's attention, within the attention
 * property tests' tolerance of float64 (1e-5 + 1e-4 |want|, inputs in [-1, 1)) and bit for bit equal to
 * {@link AttentionKernels#standard} on the sequence so far (the same operations in the same order).
 */
class CachedAttentionTest {

    static final double ABS = 1e-5;
    static final double REL = 1e-4;

    /** A generation: W per head ({@code windows[h]}, 0 = full) and global tokens (causal: seen from their position on). */
    record Case(int batch, int heads, int kvHeads, int headDim, int[] windows, int[] globals, int extraSlots, int length, int prompt, int biasKind,
            long seed) {

        /** One window for every head, no global tokens. */
        Case(int batch, int heads, int kvHeads, int headDim, int window, int extraSlots, int length, int prompt, int biasKind, long seed) {
            this(batch, heads, kvHeads, headDim, sameWindow(heads, window), new int[0], extraSlots, length, prompt, biasKind, seed);
        }

        private static int[] sameWindow(int heads, int window) {
            int[] windows = new int[heads];
            java.util.Arrays.fill(windows, window);
            return windows;
        }

        long windowLeft(int head) {
            return windows[head] == 0 ? AttentionMasks.UNBOUNDED : windows[head] - 1;
        }

        long[] windowLefts() {
            long[] lefts = new long[heads];
            for (int h = 0; h < heads; h++) {
                lefts[h] = windowLeft(h);
            }
            return lefts;
        }

        /** The kernels' window argument: (W - 1, 0) per head. */
        IntArray kernelWindows() {
            int[] sides = new int[2 * heads];
            for (int h = 0; h < heads; h++) {
                sides[2 * h] = (int) windowLeft(h);
            }
            return AttentionMasks.windowsOfSides(sides);
        }

        IntArray kernelGlobals() {
            return AttentionMasks.globalTokens(globals);
        }

        /** The global tokens of a prefix of {@code length} positions. */
        int[] globalsBelow(int length) {
            return java.util.Arrays.stream(globals).filter(g -> g < length).toArray();
        }

        int capacity() {
            return CachedAttention.capacity(kernelWindows(), heads, globals.length, length) + extraSlots;
        }

        @Override
        public String toString() {
            return "Case[batch=" + batch + ", heads=" + heads + "/" + kvHeads + ", headDim=" + headDim + ", windows=" + java.util.Arrays.toString(windows)
                    + ", globals=" + java.util.Arrays.toString(globals) + ", extraSlots=" + extraSlots + ", length=" + length + ", prompt=" + prompt
                    + ", bias=" + biasKind + ", seed=" + seed + "]";
        }
    }

    /** What one decode step of the whole batch produced. */
    record Step(int position, float[] out) {
    }

    @Property(tries = 300)
    void decodeStepsAreTheLastRowOfTheWholeSequence(@ForAll("cases") Case c) {
        Statistics.label("window").collect(c.windows()[0] == 0 ? "full" : c.windows()[0] < c.length() ? "sliding, wraps" : "sliding, no wrap");
        Statistics.label("heads' windows").collect(java.util.Arrays.stream(c.windows()).distinct().count() > 1 ? "per head" : "one");
        Statistics.label("global tokens").collect(c.globals().length);
        Statistics.label("bias").collect(c.biasKind());
        Sequence s = Sequence.random(c);
        for (Step step : s.decode()) {
            int p = step.position();
            int length = p + 1;
            float[] standard = s.standardLastRows(length);
            for (int i = 0; i < standard.length; i++) {
                if (Float.floatToIntBits(standard[i]) != Float.floatToIntBits(step.out()[i])) {
                    fail("position " + p + " of " + c + ": element " + i + " is " + step.out()[i] + ", standard's last row has " + standard[i]);
                }
            }
            Close.assertClose(s.referenceRows(p), step.out(), ABS, REL, "position " + p + " of " + c);
            Close.assertClose(s.fullSequenceReferenceLastRows(length), step.out(), ABS, REL, "position " + p + " of " + c + " (whole sequence)");
        }
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<int[]> heads = Arbitraries.of(new int[] { 1, 1 }, new int[] { 2, 1 }, new int[] { 2, 2 }, new int[] { 4, 2 }, new int[] { 4, 1 },
                new int[] { 3, 3 }, new int[] { 6, 2 });
        Arbitrary<int[]> lengths = Combinators.combine(Arbitraries.integers().between(1, 40), Arbitraries.integers().between(0, 1000))
                .as((length, draw) -> new int[] { length, draw % (length + 1) });
        return Combinators.combine(Arbitraries.integers().between(1, 2), heads, Arbitraries.integers().between(1, 16), Arbitraries.integers().between(0, 12),
                Arbitraries.integers().between(0, 3).map(extra -> extra == 3 ? 0 : extra), lengths,
                Arbitraries.of(PositionalBiases.NONE, PositionalBiases.ALIBI, PositionalBiases.APE), Arbitraries.longs())
                .as((batch, h, headDim, window, extra, l, bias, seed) -> {
                    // A third of the cases give each head its own window, a third have global tokens (anywhere, also past the prompt).
                    java.util.Random draw = new java.util.Random(seed);
                    int[] windows = new int[h[0]];
                    boolean perHead = draw.nextInt(3) == 0;
                    for (int head = 0; head < windows.length; head++) {
                        windows[head] = perHead ? draw.nextInt(13) : window;
                    }
                    int[] globals = draw.nextInt(3) == 0 ? draw.ints(1 + draw.nextInt(3), 0, l[0]).sorted().distinct().toArray() : new int[0];
                    return new Case(batch, h[0], h[1], headDim, windows, globals, extra, l[0], l[1], bias, seed);
                });
    }

    /** A window of one key: the output is the token's own value, exactly, at every position. */
    @Test
    void windowOfOneReturnsTheTokensOwnValue() {
        Case c = new Case(2, 4, 2, 8, 1, 0, 30, 5, PositionalBiases.ALIBI, 7);
        Sequence s = Sequence.random(c);
        for (Step step : s.decode()) {
            for (int b = 0; b < c.batch(); b++) {
                for (int h = 0; h < c.heads(); h++) {
                    int kvHead = h / (c.heads() / c.kvHeads());
                    for (int d = 0; d < c.headDim(); d++) {
                        assertEquals(s.v[((b * c.length() + step.position()) * c.kvHeads() + kvHead) * c.headDim() + d],
                                step.out()[(b * c.heads() + h) * c.headDim() + d], "position " + step.position());
                    }
                }
            }
        }
    }

    /**
     * Positions far past the start (the slot arithmetic after a thousand wraps, absolute-position biases): keys and
     * values of every position drawn from a seeded function of the position, decoded through 3 windows' worth of
     * wraps starting at 1000 W + 3, each step against the float64 reference.
     */
    @ParameterizedTest
    @ValueSource(ints = { PositionalBiases.NONE, PositionalBiases.ALIBI, PositionalBiases.APE })
    void farPositionsAfterManyWraps(int biasKind) {
        int heads = 4;
        int kvHeads = 2;
        int headDim = 8;
        int window = 5;
        int capacity = window;
        int kvWidth = kvHeads * headDim;
        int start = 1000 * window + 3;
        FloatArray slopes = biasKind == PositionalBiases.ALIBI ? PositionalBiases.alibiSlopes(heads) : PositionalBiases.noSlopes();
        float apeScale = biasKind == PositionalBiases.APE ? 1.5f : 0f;
        AttentionReference.PositionBias bias = referenceBias(biasKind, slopes, apeScale);
        float scale = (float) (1 / Math.sqrt(headDim));
        FloatArray keyCache = nans(capacity * kvWidth);
        FloatArray valueCache = nans(capacity * kvWidth);
        FloatArray scores = nans(CachedAttention.scoresSize(1, heads, capacity));
        IntArray position = new IntArray(1);
        for (int p = start - window; p < start + 3 * window; p++) {
            position.set(0, p);
            FloatArray key = FloatArray.fromArray(keyAt(p, kvWidth));
            FloatArray value = FloatArray.fromArray(valueAt(p, kvWidth));
            if (p >= start) {
                float[] query = queryAt(p, heads * headDim);
                FloatArray out = nans(heads * headDim);
                IntArray none = AttentionMasks.globalTokens();
                IntArray windows = AttentionMasks.windows(heads, AttentionMasks.Window.causalSliding(window));
                CachedAttention.scores(FloatArray.fromArray(query), key, keyCache, scores, position, none, 0, slopes, 1, heads, kvHeads, headDim, capacity,
                        windows, biasKind, apeScale, scale);
                CachedAttention.softmax(scores, position, none, 0, 1, heads, capacity, windows);
                CachedAttention.weightedValues(value, valueCache, scores, out, position, none, 0, 1, heads, kvHeads, headDim, capacity, windows);
                double[] want = CachedAttentionReference.row(query, j -> keyAt(j, kvWidth), j -> valueAt(j, kvWidth), p, window - 1, heads, kvHeads,
                        headDim, bias, scale);
                Close.assertClose(want, out.toHeapArray(), ABS, REL, "position " + p + ", slot " + p % capacity);
            }
            CachedAttention.store(key, value, keyCache, valueCache, position, 1, kvWidth, capacity);
        }
    }

    /** Logits of 1e4 (a query 1e4 times a key): the softmax subtracts the row maximum, the output stays finite and right. */
    @Test
    void hugeLogitsStayFinite() {
        Case c = new Case(1, 2, 1, 4, 3, 0, 12, 4, PositionalBiases.NONE, 11);
        Sequence s = Sequence.random(c);
        for (int i = 0; i < s.q.length; i++) {
            s.q[i] *= 1e4f;
        }
        for (Step step : s.decode()) {
            Close.assertClose(s.referenceRows(step.position()), step.out(), ABS, REL, "position " + step.position());
        }
    }

    /** After a fill, slot s holds the last prompt position p with p mod capacity = s; slots no position reaches keep what they held. */
    @Property(tries = 200)
    void fillKeepsTheLatestPositionOfEverySlot(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 50) int seqLen,
            @ForAll @IntRange(min = 1, max = 20) int capacity, @ForAll @IntRange(min = 1, max = 6) int kvWidth) {
        float[] k = new float[batch * seqLen * kvWidth];
        float[] v = new float[k.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = i;
            v[i] = -i;
        }
        FloatArray keyCache = nans(batch * capacity * kvWidth);
        FloatArray valueCache = nans(batch * capacity * kvWidth);
        CachedAttention.fill(FloatArray.fromArray(k), FloatArray.fromArray(v), keyCache, valueCache, batch, seqLen, kvWidth, capacity, 0);
        for (int b = 0; b < batch; b++) {
            for (int slot = 0; slot < capacity; slot++) {
                int latest = -1;
                for (int p = 0; p < seqLen; p++) {
                    if (p % capacity == slot) {
                        latest = p;
                    }
                }
                for (int e = 0; e < kvWidth; e++) {
                    int at = (b * capacity + slot) * kvWidth + e;
                    float wantKey = latest < 0 ? Float.NaN : k[(b * seqLen + latest) * kvWidth + e];
                    float wantValue = latest < 0 ? Float.NaN : v[(b * seqLen + latest) * kvWidth + e];
                    assertEquals(wantKey, keyCache.get(at), "key, batch " + b + " slot " + slot);
                    assertEquals(wantValue, valueCache.get(at), "value, batch " + b + " slot " + slot);
                }
            }
        }
    }

    /**
     * A fill from head-major keys and values ({@code [batch][kvHead][seqLen][headDim]}, a flashTiled prefill's) leaves
     * the same token-major caches as a fill from the same values token-major.
     */
    @Property(tries = 200)
    void fillFromHeadMajorKeysLeavesTheSameCaches(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 40) int seqLen,
            @ForAll @IntRange(min = 1, max = 20) int capacity, @ForAll @IntRange(min = 1, max = 3) int kvHeads, @ForAll @IntRange(min = 1, max = 5) int headDim) {
        int kvWidth = kvHeads * headDim;
        float[] k = new float[batch * seqLen * kvWidth];
        float[] v = new float[k.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = i;
            v[i] = -i;
        }
        float[] headMajorK = new float[k.length];
        float[] headMajorV = new float[k.length];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seqLen; t++) {
                for (int h = 0; h < kvHeads; h++) {
                    for (int d = 0; d < headDim; d++) {
                        int tokenMajor = ((b * seqLen + t) * kvHeads + h) * headDim + d;
                        int headMajor = ((b * kvHeads + h) * seqLen + t) * headDim + d;
                        headMajorK[headMajor] = k[tokenMajor];
                        headMajorV[headMajor] = v[tokenMajor];
                    }
                }
            }
        }
        FloatArray keys = nans(batch * capacity * kvWidth);
        FloatArray values = nans(batch * capacity * kvWidth);
        CachedAttention.fill(FloatArray.fromArray(k), FloatArray.fromArray(v), keys, values, batch, seqLen, kvWidth, capacity, 0);
        FloatArray keysFromHeadMajor = nans(batch * capacity * kvWidth);
        FloatArray valuesFromHeadMajor = nans(batch * capacity * kvWidth);
        CachedAttention.fill(FloatArray.fromArray(headMajorK), FloatArray.fromArray(headMajorV), keysFromHeadMajor, valuesFromHeadMajor, batch, seqLen, kvWidth,
                capacity, headDim);
        org.junit.jupiter.api.Assertions.assertArrayEquals(keys.toHeapArray(), keysFromHeadMajor.toHeapArray(), "keys");
        org.junit.jupiter.api.Assertions.assertArrayEquals(values.toHeapArray(), valuesFromHeadMajor.toHeapArray(), "values");
    }

    /** RoPE at a position held in device memory rotates exactly as the full-sequence kernel at that position. */
    @Property(tries = 200)
    void ropeAtPositionIsApplyAtThatPosition(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 5) int heads,
            @ForAll @IntRange(min = 1, max = 12) int halfDim, @ForAll @IntRange(min = 0, max = 100_000) int position, @ForAll boolean interleaved,
            @ForAll long seed) {
        int headDim = 2 * halfDim;
        int pairing = interleaved ? RotaryEmbedding.GPTJ : RotaryEmbedding.NEOX;
        float[] x = RandomArrays.uniform(new SplittableRandom(seed), batch * heads * headDim, -1, 1);
        FloatArray atPosition = FloatArray.fromArray(x);
        FloatArray withOffset = FloatArray.fromArray(x);
        RotaryEmbedding.applyAtPosition(atPosition, IntArray.fromArray(new int[] { position }), batch, heads, headDim, 10000f, pairing);
        // [batch, 1, heads, headDim] is the same memory as [batch, heads, headDim]
        RotaryEmbedding.apply(withOffset, batch, 1, heads, headDim, position, 10000f, pairing);
        assertArrayEquals(withOffset.toHeapArray(), atPosition.toHeapArray());
    }

    /** The sinusoidal encoding at a position held in device memory adds exactly what the full-sequence kernel adds there. */
    @Property(tries = 200)
    void sinusoidalAtPositionIsAddAtThatPosition(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 40) int dim,
            @ForAll @IntRange(min = 0, max = 100_000) int position, @ForAll boolean edifice, @ForAll long seed) {
        int form = edifice ? SinusoidalEncoding.EDIFICE : SinusoidalEncoding.STANDARD;
        float[] x = RandomArrays.uniform(new SplittableRandom(seed), batch * dim, -1, 1);
        FloatArray atPosition = FloatArray.fromArray(x);
        FloatArray withOffset = FloatArray.fromArray(x);
        SinusoidalEncoding.addAtPosition(atPosition, IntArray.fromArray(new int[] { position }), batch, dim, form);
        SinusoidalEncoding.add(withOffset, batch, 1, dim, position, form);
        assertArrayEquals(withOffset.toHeapArray(), atPosition.toHeapArray());
    }

    /**
     * The decode step as generation runs it: one task graph executed once per position, the position sent on every
     * execution, the caches sent once and then kept on the device (the host's copies never change), only the output
     * coming back. Same outputs as the kernels called directly; each execution moves 4 bytes in and the output out.
     */
    @Test
    void oneTaskGraphExecutedPerStepKeepsTheCachesOnTheDevice() {
        Case c = new Case(2, 4, 2, 8, 4, 0, 14, 0, PositionalBiases.ALIBI, 3);
        Sequence direct = Sequence.random(c);
        List<Step> want = direct.decode();

        int kvWidth = c.kvHeads() * c.headDim();
        int capacity = c.capacity();
        FloatArray q = new FloatArray(c.batch() * c.heads() * c.headDim());
        FloatArray k = new FloatArray(c.batch() * kvWidth);
        FloatArray v = new FloatArray(c.batch() * kvWidth);
        FloatArray keyCache = new FloatArray(c.batch() * capacity * kvWidth);
        FloatArray valueCache = new FloatArray(c.batch() * capacity * kvWidth);
        FloatArray scores = new FloatArray(CachedAttention.scoresSize(c.batch(), c.heads(), capacity));
        FloatArray out = new FloatArray(q.getSize());
        IntArray position = new IntArray(1);
        FloatArray slopes = PositionalBiases.alibiSlopes(c.heads());
        IntArray windows = c.kernelWindows();
        IntArray globals = c.kernelGlobals();
        AttentionLaunch launch = new AttentionLaunch(AttentionLaunch.Algorithm.STANDARD, c.batch(), 1, c.heads(), c.kvHeads(), c.headDim(), windows, true,
                globals, 0, PositionalBiases.ALIBI, slopes, 0f, direct.scale(), 1);
        TaskGraph graph = new TaskGraph("decode").transferToDevice(DataTransferMode.FIRST_EXECUTION, keyCache, valueCache, slopes, windows, globals)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, position, q, k, v);
        launch.addCachedTasks(graph, "attention", q, k, v, keyCache, valueCache, out, scores, position, capacity);
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withProfiler(ProfilerMode.SILENT);
            for (Step step : want) {
                int p = step.position();
                position.set(0, p);
                direct.copyPosition(p, q, k, v);
                var profile = plan.execute().getProfilerResult();
                assertArrayEquals(step.out(), out.toHeapArray(), "position " + p);
                long firstTime = p == 0 ? 2L * keyCache.getSize() * 4 + slopes.getSize() * 4 + windows.getSize() * 4 + globals.getSize() * 4 : 0;
                assertEquals(firstTime + 4 + 4L * (q.getSize() + k.getSize() + v.getSize()), profile.getTotalBytesCopyIn(), "bytes in at position " + p);
                assertEquals(4L * out.getSize(), profile.getTotalBytesCopyOut(), "bytes out at position " + p);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        for (int i = 0; i < keyCache.getSize(); i++) {
            assertEquals(0f, keyCache.get(i), "the host's key cache is never written");
            assertEquals(0f, valueCache.get(i), "the host's value cache is never written");
        }
    }

    @Test
    void capacityIsTheWindowOrTheWholeGeneration() {
        assertEquals(4, CachedAttention.capacity(3, 100));
        assertEquals(10, CachedAttention.capacity(30, 10));
        assertEquals(10, CachedAttention.capacity(9, 10));
        assertEquals(1, CachedAttention.capacity(0, 10));
        assertEquals(10, CachedAttention.capacity(AttentionMasks.UNBOUNDED, 10));
        assertThrows(IllegalArgumentException.class, () -> CachedAttention.capacity(3, 0));
        IntArray multiScale = AttentionMasks.windows(AttentionMasks.Window.causalSliding(2), AttentionMasks.Window.causalSliding(8),
                AttentionMasks.Window.causalSliding(4));
        assertEquals(8, CachedAttention.capacity(multiScale, 3, 0, 100), "the widest head");
        assertEquals(5, CachedAttention.capacity(multiScale, 3, 0, 5));
        assertEquals(100, CachedAttention.capacity(multiScale, 3, 1, 100), "a global token keeps every position");
    }

    /** Global tokens in a causal model: a decode step at a global position sees every earlier key, later steps see it. */
    @Test
    void globalTokensAtThePromptsStartMiddleAndInTheGeneration() {
        for (int[] globals : new int[][] { { 0 }, { 6 }, { 0, 9, 17 }, { 23 } }) {
            Case c = new Case(2, 4, 2, 8, new int[] { 2, 3, 1, 5 }, globals, 0, 24, 7, PositionalBiases.ALIBI, 13);
            Sequence s = Sequence.random(c);
            for (Step step : s.decode()) {
                Close.assertClose(s.fullSequenceReferenceLastRows(step.position() + 1), step.out(), ABS, REL, "position " + step.position() + " of " + c);
                assertArrayEquals(s.standardLastRows(step.position() + 1), step.out(), 0f, "position " + step.position() + " of " + c);
            }
        }
    }

    @Test
    void aCacheServesOnlyCausalMasks() {
        FloatArray any = new FloatArray(1000);
        IntArray position = new IntArray(1);
        IntArray windows = AttentionMasks.windows(2, new AttentionMasks.Window(3, 0));
        AttentionLaunch bidirectional = new AttentionLaunch(AttentionLaunch.Algorithm.STANDARD, 1, 1, 2, 1, 4, AttentionMasks.windows(2,
                new AttentionMasks.Window(3, 3)), false, AttentionMasks.globalTokens(new int[0]), 0, PositionalBiases.NONE, PositionalBiases.noSlopes(), 0f,
                0.5f, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bidirectional.addCachedTasks(new TaskGraph("g"), "a", any, any, any, any, any, any, any, position, 4));
        assertTrue(e.getMessage().contains("causal"), e.getMessage());
        AttentionLaunch causal = new AttentionLaunch(AttentionLaunch.Algorithm.STANDARD, 1, 1, 2, 1, 4, windows, true, AttentionMasks.globalTokens(new int[0]), 0,
                PositionalBiases.NONE, PositionalBiases.noSlopes(), 0f, 0.5f, 1);
        e = assertThrows(IllegalArgumentException.class,
                () -> causal.addCachedTasks(new TaskGraph("g"), "a", any, any, any, new FloatArray(4), any, any, any, position, 4));
        assertTrue(e.getMessage().contains("keyCache"), e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------------------

    static AttentionReference.PositionBias referenceBias(int biasKind, FloatArray slopes, float apeScale) {
        return switch (biasKind) {
        case PositionalBiases.ALIBI -> new AttentionReference.PositionBias(AttentionReference.Bias.ALIBI, Closeness.toDoubles(slopes.toHeapArray()), 0);
        case PositionalBiases.APE -> new AttentionReference.PositionBias(AttentionReference.Bias.APE, new double[0], apeScale);
        default -> AttentionReference.PositionBias.none();
        };
    }

    private static FloatArray nans(int size) {
        FloatArray array = new FloatArray(size);
        array.init(Float.NaN);
        return array;
    }

    private static float[] keyAt(int position, int width) {
        return RandomArrays.uniform(new SplittableRandom(position * 3L), width, -1, 1);
    }

    private static float[] valueAt(int position, int width) {
        return RandomArrays.uniform(new SplittableRandom(position * 3L + 1), width, -1, 1);
    }

    private static float[] queryAt(int position, int width) {
        return RandomArrays.uniform(new SplittableRandom(position * 3L + 2), width, -1, 1);
    }

    /** A random sequence of a case: q, k, v of every position in the full-sequence layouts, and its decode. */
    static final class Sequence {
        final Case c;
        final float[] q;
        final float[] k;
        final float[] v;
        final FloatArray slopes;
        final float apeScale;

        private Sequence(Case c, float[] q, float[] k, float[] v, FloatArray slopes, float apeScale) {
            this.c = c;
            this.q = q;
            this.k = k;
            this.v = v;
            this.slopes = slopes;
            this.apeScale = apeScale;
        }

        static Sequence random(Case c) {
            SplittableRandom random = new SplittableRandom(c.seed());
            int L = c.length();
            float[] q = RandomArrays.uniform(random, c.batch() * L * c.heads() * c.headDim(), -1, 1);
            float[] k = RandomArrays.uniform(random, c.batch() * L * c.kvHeads() * c.headDim(), -1, 1);
            float[] v = RandomArrays.uniform(random, c.batch() * L * c.kvHeads() * c.headDim(), -1, 1);
            FloatArray slopes = c.biasKind() == PositionalBiases.ALIBI ? PositionalBiases.alibiSlopes(c.heads()) : PositionalBiases.noSlopes();
            float apeScale = c.biasKind() == PositionalBiases.APE ? (float) random.nextDouble(-2, 2) : 0f;
            return new Sequence(c, q, k, v, slopes, apeScale);
        }

        float scale() {
            return (float) (1 / Math.sqrt(c.headDim()));
        }

        /** The rows of positions 0 .. length - 1 of {@code x} ([batch, L, width]) as [batch, length, width]. */
        private float[] prefix(float[] x, int width, int length) {
            float[] out = new float[c.batch() * length * width];
            for (int b = 0; b < c.batch(); b++) {
                System.arraycopy(x, b * c.length() * width, out, b * length * width, length * width);
            }
            return out;
        }

        /** Row {@code position} of {@code x} for every sequence, as [batch, width]. */
        private float[] row(float[] x, int width, int position) {
            float[] out = new float[c.batch() * width];
            for (int b = 0; b < c.batch(); b++) {
                System.arraycopy(x, (b * c.length() + position) * width, out, b * width, width);
            }
            return out;
        }

        void copyPosition(int position, FloatArray qRow, FloatArray kRow, FloatArray vRow) {
            int kvWidth = c.kvHeads() * c.headDim();
            copy(row(q, c.heads() * c.headDim(), position), qRow);
            copy(row(k, kvWidth, position), kRow);
            copy(row(v, kvWidth, position), vRow);
        }

        private static void copy(float[] from, FloatArray to) {
            for (int i = 0; i < from.length; i++) {
                to.set(i, from[i]);
            }
        }

        /** Fills the caches with the prompt, then decodes every later position, calling the kernels directly. */
        List<Step> decode() {
            int kvWidth = c.kvHeads() * c.headDim();
            int qWidth = c.heads() * c.headDim();
            int capacity = c.capacity();
            IntArray windows = c.kernelWindows();
            IntArray globals = c.kernelGlobals();
            int numGlobal = c.globals().length;
            FloatArray keyCache = nans(c.batch() * capacity * kvWidth);
            FloatArray valueCache = nans(c.batch() * capacity * kvWidth);
            FloatArray scores = nans(CachedAttention.scoresSize(c.batch(), c.heads(), capacity));
            IntArray position = new IntArray(1);
            if (c.prompt() > 0) {
                CachedAttention.fill(FloatArray.fromArray(prefix(k, kvWidth, c.prompt())), FloatArray.fromArray(prefix(v, kvWidth, c.prompt())), keyCache,
                        valueCache, c.batch(), c.prompt(), kvWidth, capacity, 0);
            }
            List<Step> steps = new ArrayList<>();
            for (int p = c.prompt(); p < c.length(); p++) {
                position.set(0, p);
                FloatArray out = nans(c.batch() * qWidth);
                FloatArray key = FloatArray.fromArray(row(k, kvWidth, p));
                FloatArray value = FloatArray.fromArray(row(v, kvWidth, p));
                CachedAttention.scores(FloatArray.fromArray(row(q, qWidth, p)), key, keyCache, scores, position, globals, numGlobal, slopes, c.batch(),
                        c.heads(), c.kvHeads(), c.headDim(), capacity, windows, c.biasKind(), apeScale, scale());
                CachedAttention.softmax(scores, position, globals, numGlobal, c.batch(), c.heads(), capacity, windows);
                CachedAttention.weightedValues(value, valueCache, scores, out, position, globals, numGlobal, c.batch(), c.heads(), c.kvHeads(), c.headDim(),
                        capacity, windows);
                CachedAttention.store(key, value, keyCache, valueCache, position, c.batch(), kvWidth, capacity);
                steps.add(new Step(p, out.toHeapArray()));
            }
            return steps;
        }

        /** {@link AttentionKernels#standard} on positions 0 .. length - 1; its last row for every sequence, [batch, heads, headDim]. */
        float[] standardLastRows(int length) {
            int kvWidth = c.kvHeads() * c.headDim();
            int qWidth = c.heads() * c.headDim();
            int[] globals = c.globalsBelow(length);
            AttentionLaunch launch = new AttentionLaunch(AttentionLaunch.Algorithm.STANDARD, c.batch(), length, c.heads(), c.kvHeads(), c.headDim(),
                    c.kernelWindows(), true, AttentionMasks.globalTokens(globals), globals.length, c.biasKind(), slopes, apeScale, scale(), 1);
            FloatArray out = nans(c.batch() * length * qWidth);
            launch.call(FloatArray.fromArray(prefix(q, qWidth, length)), FloatArray.fromArray(prefix(k, kvWidth, length)),
                    FloatArray.fromArray(prefix(v, kvWidth, length)), out, new FloatArray(Math.max(1, launch.scratchSize())));
            float[] all = out.toHeapArray();
            float[] last = new float[c.batch() * qWidth];
            for (int b = 0; b < c.batch(); b++) {
                System.arraycopy(all, (b * length + length - 1) * qWidth, last, b * qWidth, qWidth);
            }
            return last;
        }

        /** The float64 decode reference at {@code position}, for every sequence, [batch, heads, headDim]. */
        double[] referenceRows(int position) {
            int kvWidth = c.kvHeads() * c.headDim();
            int qWidth = c.heads() * c.headDim();
            double[] out = new double[c.batch() * qWidth];
            for (int b = 0; b < c.batch(); b++) {
                int sequence = b;
                double[] row = CachedAttentionReference.row(row(q, qWidth, position, sequence), j -> row(k, kvWidth, j, sequence),
                        j -> row(v, kvWidth, j, sequence), position, c.windowLefts(), c.globals(), c.heads(), c.kvHeads(), c.headDim(),
                        referenceBias(c.biasKind(), slopes, apeScale), scale());
                System.arraycopy(row, 0, out, b * qWidth, qWidth);
            }
            return out;
        }

        /** The float64 attention of the whole sequence of {@code length} positions (a dense mask); its last rows. */
        double[] fullSequenceReferenceLastRows(int length) {
            int kvWidth = c.kvHeads() * c.headDim();
            int qWidth = c.heads() * c.headDim();
            double[] all = AttentionReference.attention(new AttentionReference.Shape(c.batch(), length, c.heads(), c.kvHeads(), c.headDim()),
                    prefix(q, qWidth, length), prefix(k, kvWidth, length), prefix(v, kvWidth, length),
                    new AttentionReference.Mask(c.windowLefts(), new long[c.heads()], c.globalsBelow(length), true), referenceBias(c.biasKind(), slopes, apeScale),
                    scale());
            double[] last = new double[c.batch() * qWidth];
            for (int b = 0; b < c.batch(); b++) {
                System.arraycopy(all, (b * length + length - 1) * qWidth, last, b * qWidth, qWidth);
            }
            return last;
        }

        private float[] row(float[] x, int width, int position, int sequence) {
            float[] out = new float[width];
            System.arraycopy(x, (sequence * c.length() + position) * width, out, 0, width);
            return out;
        }
    }
}
