package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.testing.AttentionAlgorithm;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.AttentionRunner;
import org.attentionlab.kernels.testing.Close;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * {@link AttentionKernels#flashTiled} against the float64 reference where its tiles have edges: fewer keys or rows
 * than a tile, windows that are not a multiple of its {@value AttentionKernels#FLASH_REGISTER_STEP}-key register tiles,
 * blocks whose keys span several {@value AttentionKernels#FLASH_CHUNK_KEYS}-key chunks, head dimensions that are not a multiple of its
 * {@value AttentionKernels#FLASH_REGISTER_STEP}-dimension output tiles, global tokens inside and outside a tile,
 * GQA, dropout; random values, the property test's tolerance. The algorithm-generic suites (edge cases, dropout,
 * global tokens, goldens, the property test) run it too.
 */
class FlashTiledTest {

    private static final double ABS = AttentionKernelsPropertyTest.ABS;
    private static final double REL = AttentionKernelsPropertyTest.REL;

    private static void assertMatchesReference(AttentionAlgorithm tiled, AttentionCase c, String what) {
        Close.assertClose(c.reference(), AttentionRunner.run(tiled, c), ABS, REL, tiled + ", " + what + ": " + c);
    }

    /** The most keys per chunk of {@code tiled}'s path: 16 lanes {@link AttentionKernels#FLASH_CHUNK_KEYS}, 8 lanes {@link AttentionKernels#FLASH_NARROW_CHUNK_KEYS}. */
    private static int chunkKeys(AttentionAlgorithm tiled) {
        return tiled.vectorLanes() == 16 ? AttentionKernels.FLASH_CHUNK_KEYS : AttentionKernels.FLASH_NARROW_CHUNK_KEYS;
    }

    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void sequencesShorterThanATile(AttentionAlgorithm tiled) {
        for (int seqLen : new int[] { 1, 2, 7, 8, 9, 15, 16, 17 }) {
            assertMatchesReference(tiled, AttentionCase.random(300 + seqLen, 2, seqLen, 2, 1, 12, Window.causalSliding(4).left(), 0).withCausal(true), "L " + seqLen);
            assertMatchesReference(tiled, AttentionCase.random(320 + seqLen, 1, seqLen, 1, 1, 5, AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED),
                    "bidirectional L " + seqLen);
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void windowsThatAreNotAMultipleOfTheTile(AttentionAlgorithm tiled) {
        for (int w : new int[] { 1, 7, 9, 15, 17, 23, 31, 33, 47 }) {
            AttentionCase c = AttentionCase.random(340 + w, 1, 100, 2, 2, 16, Window.causalSliding(w).left(), 0).withCausal(true);
            assertMatchesReference(tiled, c, "causal W " + w);
            assertMatchesReference(tiled, c.withCausal(false).withWindow(w / 2, w - w / 2), "band (" + w / 2 + ", " + (w - w / 2) + ")");
        }
    }

    /** Blocks whose keys fill one chunk, a chunk and a few keys, two chunks and a few (the last chunk a single register tile or less). */
    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void windowsAroundTheChunk(AttentionAlgorithm tiled) {
        int chunk = chunkKeys(tiled);
        for (int w : new int[] { chunk - 15, chunk - 8, chunk - 1, chunk, chunk + 1, chunk + 7, 2 * chunk - 16, 2 * chunk - 1, 2 * chunk, 2 * chunk + 1 }) {
            AttentionCase c = AttentionCase.random(470 + w, 1, 2 * chunk + 40, 2, 1, 8, Window.causalSliding(w).left(), 0).withCausal(true);
            assertMatchesReference(tiled, c, "causal W " + w);
            assertMatchesReference(tiled, c.withCausal(false).withWindow(w / 2, w - w / 2), "band (" + w / 2 + ", " + (w - w / 2) + ")");
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void headDimsBelow64AndNotAMultipleOfTheOutputTile(AttentionAlgorithm tiled) {
        for (int headDim : new int[] { 1, 3, 7, 9, 40, 45, 63, 72, 100 }) {
            AttentionCase c = AttentionCase.random(380 + headDim, 1, 70, 4, 2, headDim, Window.causalSliding(19).left(), 0).withCausal(true);
            assertMatchesReference(tiled, c, "headDim " + headDim);
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void globalTokensGqaAndBiasesInSeveralTiles(AttentionAlgorithm tiled) {
        AttentionCase c = AttentionCase.random(400, 2, 150, 6, 2, 24, Window.causalSliding(21).left(), 0, 0, 17, 64, 149).withCausal(true);
        assertMatchesReference(tiled, c, "causal SWA, GQA 6/2, global tokens");
        assertMatchesReference(tiled, c.withBias(PositionalBiases.ALIBI, PositionalBiases.alibiSlopes(6).toHeapArray(), 0f), "with ALiBi");
        assertMatchesReference(tiled, c.withBias(PositionalBiases.APE, new float[] { 0f }, 0.7f).withCausal(false).withWindow(9, 4), "bidirectional band with APE");
        assertMatchesReference(tiled, c.withWindow(AttentionMasks.UNBOUNDED, 0), "causal, no window");
    }

    /**
     * A partial tile whose first and last key are 15 apart without being consecutive: global token 5, then the band
     * 16..20 of the last block, padded with key 20 (found by the property test: the kernel once read it as 16
     * consecutive keys from 5).
     */
    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void aPartialTileThatSpansSixteenKeysIsNotConsecutive(AttentionAlgorithm tiled) {
        AttentionCase c = AttentionCase.random(430, 1, 21, 1, 1, 8, 0, 0, 5);
        assertMatchesReference(tiled, c, "window of one key, global token 5");
        assertMatchesReference(tiled, c.withCausal(true), "causal, window of one key, global token 5");
        assertMatchesReference(tiled, AttentionCase.random(431, 2, 37, 2, 1, 16, 2, 0, 3).withCausal(true), "causal W=3, global token 3, a partial last tile");
    }

    /**
     * Full tiles whose keys every row of the block sees beside tiles that some rows see only in part: a causal window
     * of W keys gives a block of 16 rows W - 15 keys that all its rows see, a whole tile of them from W = 32 on (31:
     * none; 33 and 47-49 around the next), and a band (left, right) its middle. (The cases of a mask-free path for such
     * tiles, tried and dropped: tornado-kernels/README.md, "Register tiles for flash attention".)
     */
    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void fullyVisibleTilesBesideEdgeTiles(AttentionAlgorithm tiled) {
        for (int w : new int[] { 30, 31, 32, 33, 47, 48, 49, 64 }) {
            AttentionCase c = AttentionCase.random(440 + w, 2, 113, 4, 2, 16, Window.causalSliding(w).left(), 0).withCausal(true);
            assertMatchesReference(tiled, c, "causal W " + w + ", GQA 4/2");
            assertMatchesReference(tiled, c.withCausal(false).withWindow(w, w / 2), "band (" + w + ", " + w / 2 + ")");
        }
    }

    /** Global tokens inside fully visible tiles (a global key is an ordinary key there) and a block with a global query (its run is every key). */
    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void globalTokensInsideFullyVisibleTiles(AttentionAlgorithm tiled) {
        AttentionCase c = AttentionCase.random(450, 1, 120, 2, 1, 24, Window.causalSliding(48).left(), 0, 40, 70, 71).withCausal(true);
        assertMatchesReference(tiled, c, "causal W 48, global tokens 40, 70, 71");
        assertMatchesReference(tiled, c.withBias(PositionalBiases.ALIBI, PositionalBiases.alibiSlopes(2).toHeapArray(), 0f), "with ALiBi");
        assertMatchesReference(tiled, c.withBias(PositionalBiases.APE, new float[] { 0f }, 0.5f).withCausal(false).withWindow(40, 24), "band (40, 24) with APE");
        assertMatchesReference(tiled, c.withWindow(AttentionMasks.UNBOUNDED, 0), "causal, no window: every tile left of the diagonal is fully visible");
    }

    /** Dropout on fully visible tiles: the same mask as flash's. */
    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void dropoutOnFullyVisibleTiles(AttentionAlgorithm tiled) {
        AttentionCase c = AttentionCase.random(460, 1, 96, 2, 2, 16, Window.causalSliding(64).left(), 0, 30).withCausal(true);
        IntArray windows = AttentionMasks.withDropout(c.kernelWindows(), c.numHeads(), 0.25, 99);
        float[] flash = AttentionRunner.run(AttentionAlgorithm.FLASH, c, windows);
        float[] tiledOut = AttentionRunner.run(tiled, c, windows);
        Close.assertClose(toDouble(flash), tiledOut, ABS, REL, "causal W 64, dropout 0.25: the same mask as flash");
    }

    private static double[] toDouble(float[] values) {
        double[] asDouble = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            asDouble[i] = values[i];
        }
        return asDouble;
    }

    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void dropoutMatchesFlashsMask(AttentionAlgorithm tiled) {
        AttentionCase c = AttentionCase.random(410, 1, 90, 4, 2, 20, Window.causalSliding(30).left(), 0, 3, 50).withCausal(true);
        IntArray windows = AttentionMasks.withDropout(c.kernelWindows(), c.numHeads(), 0.3, 1234);
        float[] flash = AttentionRunner.run(AttentionAlgorithm.FLASH, c, windows);
        float[] tiledOut = AttentionRunner.run(tiled, c, windows);
        Close.assertClose(toDouble(flash), tiledOut, ABS, REL, "the same mask as flash (AttentionDropoutTest holds both to float64)");
    }

    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void anyLocalSizeGivesTheSameBits(AttentionAlgorithm tiled) {
        AttentionCase c = AttentionCase.random(420, 2, 41, 2, 1, 7, Window.causalSliding(6).left(), 0, 20);
        float[] one = AttentionRunner.runFlash(tiled, c, AttentionKernels.flashGrid(c.batch(), c.numHeads(), c.seqLen(), 1));
        for (int items : new int[] { 2, 3 }) {
            assertArrayEquals(one, AttentionRunner.runFlash(tiled, c,
                    AttentionKernels.flashGrid(c.batch(), c.numHeads(), c.seqLen(), items)), items + " blocks per group");
        }
    }

    /**
     * k and v head-major ({@code [b][kvHead][t][d]}) give the same bits as token-major on the same values: only the
     * rows' addresses change. Random shapes (seeded): GQA and MHA, global tokens, ALiBi or APE, causal or a band, head
     * dimensions not a multiple of 4, lengths not a multiple of 16, windows over one chunk, dropout.
     */
    @ParameterizedTest
    @EnumSource(value = AttentionAlgorithm.class, names = { "FLASH_TILED", "FLASH_TILED_8_LANES" })
    void headMajorKeysAndValuesGiveTheSameBitsAsTokenMajor(AttentionAlgorithm tiled) {
        java.util.Random random = new java.util.Random(2026_12_01L);
        for (int trial = 0; trial < 12; trial++) {
            int kvHeads = 1 + random.nextInt(3);
            int heads = kvHeads * (1 + random.nextInt(3));
            int headDim = new int[] { 1, 3, 7, 13, 45, 64 }[random.nextInt(6)];
            int seqLen = 1 + random.nextInt(150);
            int batch = 1 + random.nextInt(2);
            int window = 1 + random.nextInt(90);
            int[] globals = random.nextBoolean() ? new int[0] : new int[] { random.nextInt(seqLen) };
            AttentionCase c = AttentionCase.random(500 + trial, batch, seqLen, heads, kvHeads, headDim, Window.causalSliding(window).left(), 0, globals)
                    .withCausal(random.nextBoolean());
            if (trial % 3 == 1) {
                c = c.withBias(PositionalBiases.ALIBI, PositionalBiases.alibiSlopes(heads).toHeapArray(), 0f);
            } else if (trial % 3 == 2) {
                c = c.withBias(PositionalBiases.APE, new float[] { 0f }, 0.6f).withWindow(window / 2, window - window / 2);
            }
            IntArray windows = trial % 4 == 3 ? AttentionMasks.withDropout(c.kernelWindows(), heads, 0.2, 7 + trial) : c.kernelWindows();
            assertArrayEquals(AttentionRunner.run(tiled, c, windows, AttentionLaunch.KvLayout.TOKEN_MAJOR),
                    AttentionRunner.run(tiled, c, windows, AttentionLaunch.KvLayout.HEAD_MAJOR), "trial " + trial + ": " + c);
        }
    }

    /** The permutation the test above relies on, on named values: [b][t][h][d] to [b][h][t][d]. */
    @Test
    void headMajorPermutationPutsEachHeadsRowsTogether() {
        // batch 1, 2 tokens, 2 heads, d 2: token-major t0h0 t0h1 t1h0 t1h1.
        float[] tokenMajor = { 1, 2, 3, 4, 5, 6, 7, 8 };
        assertArrayEquals(new float[] { 1, 2, 5, 6, 3, 4, 7, 8 }, AttentionRunner.headMajor(tokenMajor, 1, 2, 2, 2));
    }

    /** Head-major k and v for a kernel that reads them token-major only is refused, not silently misread. */
    @Test
    void headMajorIsRefusedForOtherKernels() {
        AttentionCase c = AttentionCase.random(520, 1, 20, 2, 1, 8, 4, 0);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> AttentionRunner.run(AttentionAlgorithm.FLASH, c, c.kernelWindows(), AttentionLaunch.KvLayout.HEAD_MAJOR));
    }

    /**
     * The 8-lane tiles compute the same sums in the same order as the 16-lane ones, so where both paths cut a block's
     * keys into the same chunks (every block seeing at most {@link AttentionKernels#FLASH_NARROW_CHUNK_KEYS} keys: no global
     * query, which sees every earlier key) they
     * give the same bits; with more keys the chunks differ and so may the last bits.
     */
    @Test
    void eightAndSixteenLanesGiveTheSameBitsWhereTheirChunksAgree() {
        int narrowChunk = AttentionKernels.FLASH_NARROW_CHUNK_KEYS;
        for (int w : new int[] { 1, 9, 33, narrowChunk - 24 }) {
            AttentionCase c = AttentionCase.random(480 + w, 2, 150, 4, 2, 45, Window.causalSliding(w).left(), 0).withCausal(true);
            assertArrayEquals(AttentionRunner.run(AttentionAlgorithm.FLASH_TILED, c), AttentionRunner.run(AttentionAlgorithm.FLASH_TILED_8_LANES, c),
                    "causal W " + w + ", head_dim 45, GQA 4/2");
        }
        AttentionCase alibi = AttentionCase.random(490, 1, 60, 2, 1, 64, AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED)
                .withBias(PositionalBiases.ALIBI, PositionalBiases.alibiSlopes(2).toHeapArray(), 0f);
        assertArrayEquals(AttentionRunner.run(AttentionAlgorithm.FLASH_TILED, alibi), AttentionRunner.run(AttentionAlgorithm.FLASH_TILED_8_LANES, alibi),
                "bidirectional over 60 keys, head_dim 64, ALiBi");
    }
}
