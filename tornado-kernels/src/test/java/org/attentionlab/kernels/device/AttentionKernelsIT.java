package org.attentionlab.kernels.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.kernels.AttentionKernels;
import org.attentionlab.kernels.AttentionLaunch;
import org.attentionlab.kernels.AttentionMasks;
import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.PositionalBiases;
import org.attentionlab.kernels.testing.AttentionAlgorithm;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.AttentionRunner;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The four attention kernels on a TornadoVM device, through a TaskGraph ({@link AttentionRunner#run}: inputs
 * transferred in, the output, filled with NaN on the host, transferred out), against the same kernel called as
 * plain Java ({@link AttentionRunner#runPlain}; for the KernelContext kernel {@code flash}, which has no plain call,
 * the {@code standard} kernel, which computes the same function) within {@link DeviceCheck}'s tolerance, and against
 * the float64 reference within the unit tests' tolerance.
 *
 * <p>The cases cover every mask and bias the kernels take: causal sliding window, bidirectional local window with
 * global tokens, asymmetric FlashAttention window, full and causal attention; grouped-query heads; ALiBi (a power of
 * two and not), APE; odd sizes, size 1, the largest flash head dimension, more keys than one memory-efficient chunk
 * and several flash query blocks and key tiles; logits of 1e4. Each case costs one kernel JIT per algorithm (0.5 to 2
 * s on PoCL), so there are few, each chosen to exercise something the others do not.
 */
class AttentionKernelsIT {

    /** The unit tests' tolerance against the float64 reference (AttentionKernelsEdgeCaseTest). */
    private static final double REFERENCE_ABS = 1e-5;
    private static final double REFERENCE_REL = 1e-4;

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    private static AttentionCase alibi(AttentionCase c, float[] slopes) {
        return c.withBias(PositionalBiases.ALIBI, slopes, 0f);
    }

    static List<Arguments> cases() {
        Window causalW5 = Window.causalSliding(5);
        Window local6 = Window.bidirectionalLocal(6);
        Window flashWindow = Window.flashAttention(2, 5);
        List<Arguments> named = new ArrayList<>();
        named.add(Arguments.of("causal sliding window W=5, GQA 4/2, ALiBi, odd sizes",
                alibi(AttentionCase.random(101, 2, 37, 4, 2, 7, causalW5.left(), causalW5.right()), PositionalBiases.alibiSlopes(4).toHeapArray())
                        .withChunkSize(5)));
        named.add(Arguments.of("local window w=6 with global tokens 0, 17, 40, APE",
                AttentionCase.random(102, 1, 45, 3, 3, 16, local6.left(), local6.right(), 0, 17, 40).withBias(PositionalBiases.APE, new float[] { 0f }, 0.3f)));
        named.add(Arguments.of("full bidirectional, GQA 6/3, head_dim 64, ALiBi for 6 heads (not a power of two)",
                alibi(AttentionCase.random(103, 1, 70, 6, 3, 64, AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED),
                        PositionalBiases.alibiSlopes(6).toHeapArray()).withChunkSize(16)));
        // TornadoVM once failed to compile flash for a sequence shorter than one query block with a window.
        named.add(Arguments.of("9 rows (shorter than a flash block), causal sliding window W=4, batch 2",
                AttentionCase.random(107, 2, 9, 4, 4, 4, Window.causalSliding(4).left(), 0)));
        named.add(Arguments.of("size one everywhere, causal", AttentionCase.random(104, 1, 1, 1, 1, 1, Window.causal().left(), Window.causal().right())));
        named.add(Arguments.of("causal over 300 keys (three memory-efficient chunks, two flash key tiles), MQA 2/1, Edifice ALiBi",
                alibi(AttentionCase.random(105, 1, 300, 2, 1, 8, Window.causal().left(), Window.causal().right()),
                        PositionalBiases.alibiSlopesEdifice(2).toHeapArray()).withChunkSize(200)));
        named.add(Arguments.of("FlashAttention window (2, 5), head_dim 256 (the flash maximum), global token 32",
                AttentionCase.random(106, 2, 33, 1, 1, AttentionKernels.FLASH_MAX_HEAD_DIM, flashWindow.left(), flashWindow.right(), 32)));
        named.add(Arguments.of("a window per head (1, 4, 9, unbounded), causal with global tokens 0 and 21, GQA 4/2, ALiBi",
                alibi(AttentionCase.random(108, 2, 37, 4, 2, 8, 0, 0, 0, 21).withWindows(new int[] { 0, 0, 3, 0, 8, 0, AttentionMasks.UNBOUNDED, 0 })
                        .withCausal(true), PositionalBiases.alibiSlopes(4).toHeapArray()).withChunkSize(6)));
        named.add(Arguments.of("causal W=37 over 100 rows, head_dim 45 (flash_tiled's output tiles of 8 leave 5), GQA 4/2, global tokens 3 and 50",
                AttentionCase.random(109, 1, 100, 4, 2, 45, Window.causalSliding(37).left(), 0, 3, 50).withCausal(true)));
        named.add(Arguments.of("causal W=48 over 120 rows: tiles every row of a block sees beside edge tiles, global tokens 40 and 70 inside them, ALiBi",
                alibi(AttentionCase.random(112, 1, 120, 2, 1, 24, Window.causalSliding(48).left(), 0, 40, 70).withCausal(true),
                        PositionalBiases.alibiSlopes(2).toHeapArray())));
        named.add(Arguments.of("the multiscale-swa twin's layer 0: causal windows 1, 2, 4, 8 per head, global token 2, GQA 4/2, head_dim 6, L 11, batch 2",
                AttentionCase.random(111, 2, 11, 4, 2, 6, 0, 0, 2).withWindows(new int[] { 0, 0, 1, 0, 3, 0, 7, 0 }).withCausal(true)));
        List<Arguments> all = new ArrayList<>();
        for (AttentionAlgorithm algorithm : AttentionAlgorithm.values()) {
            for (Arguments a : named) {
                all.add(Arguments.of(algorithm, a.get()[0], a.get()[1]));
            }
        }
        return all;
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void deviceMatchesJava(AttentionAlgorithm algorithm, String name, AttentionCase c) {
        float[] device = AttentionRunner.run(algorithm, c);
        float[] java = AttentionRunner.runPlain(algorithm.isFlash() ? AttentionAlgorithm.STANDARD : algorithm, c);
        String what = "AttentionKernels." + algorithm.configName() + ": " + name;
        DeviceCheck.assertMatchesJava(java, device, what);
        DeviceCheck.assertMatchesReference(c.reference(), device, REFERENCE_ABS, REFERENCE_REL, what);
    }

    /**
     * Logits of order 1e4 (scale 1e4): every output finite (the kernels' masked sentinel is finite and the softmax
     * subtracts the row maximum, so nothing overflows even under TornadoVM's finite-math compilation) and equal to
     * Java's. At this scale the softmax is all but one-hot, so the output is the value row of the strongest key.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("algorithms")
    void largeLogitsStayFinite(AttentionAlgorithm algorithm) {
        Window causalW9 = Window.causalSliding(9);
        AttentionCase c = AttentionCase.random(107, 1, 40, 2, 2, 8, causalW9.left(), causalW9.right()).withScale(1e4f);
        float[] device = AttentionRunner.run(algorithm, c);
        for (int i = 0; i < device.length; i++) {
            assertTrue(Float.isFinite(device[i]), algorithm + ": element " + i + " is " + device[i]);
        }
        float[] java = AttentionRunner.runPlain(algorithm.isFlash() ? AttentionAlgorithm.STANDARD : algorithm, c);
        DeviceCheck.assertMatchesJava(java, device, "AttentionKernels." + algorithm.configName() + ": logits of 1e4, causal window W=9");
    }

    /** Attention dropout (p = 0.3): the same mask on the device as in Java, every kernel against the standard one as Java. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("algorithms")
    void dropoutMatchesJava(AttentionAlgorithm algorithm) {
        AttentionCase c = AttentionCase.random(110, 1, 70, 4, 2, 16, Window.causalSliding(21).left(), 0, 9).withCausal(true);
        IntArray windows = AttentionMasks.withDropout(c.kernelWindows(), c.numHeads(), 0.3, 77);
        float[] device = AttentionRunner.run(algorithm, c, windows);
        float[] java = AttentionRunner.runPlain(algorithm.isFlash() ? AttentionAlgorithm.STANDARD : algorithm, c, windows);
        DeviceCheck.assertMatchesJava(java, device, "AttentionKernels." + algorithm.configName() + ": dropout 0.3, causal W=21, GQA 4/2, global token 9");
    }

    /**
     * flashTiled with k and v head-major ({@code [b][kvHead][t][d]}, the layout a model's forward gives it) on the
     * device: the same bits as token-major on the device, both lane widths; cases with GQA, global tokens, a bias,
     * head dimensions not a multiple of 4 and lengths not a multiple of 16.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("headMajorCases")
    void headMajorKeysAndValuesGiveTheSameBitsOnTheDevice(AttentionAlgorithm tiled, String name, AttentionCase c) {
        float[] tokenMajor = AttentionRunner.run(tiled, c, c.kernelWindows(), AttentionLaunch.KvLayout.TOKEN_MAJOR);
        float[] headMajor = AttentionRunner.run(tiled, c, c.kernelWindows(), AttentionLaunch.KvLayout.HEAD_MAJOR);
        assertArrayEquals(tokenMajor, headMajor, tiled.configName() + ", head-major k and v: " + name);
        DeviceCheck.assertMatchesReference(c.reference(), headMajor, REFERENCE_ABS, REFERENCE_REL, tiled.configName() + ", head-major: " + name);
    }

    static List<Arguments> headMajorCases() {
        List<Arguments> named = new ArrayList<>();
        named.add(Arguments.of("causal W=37 over 100 rows, head_dim 45, GQA 4/2, global tokens 3 and 50, batch 2",
                AttentionCase.random(121, 2, 100, 4, 2, 45, Window.causalSliding(37).left(), 0, 3, 50).withCausal(true)));
        named.add(Arguments.of("band (30, 9) over 150 rows (several chunks), head_dim 13, GQA 6/3, ALiBi for 6 heads, global token 77",
                alibi(AttentionCase.random(122, 1, 150, 6, 3, 13, 30, 9, 77), PositionalBiases.alibiSlopes(6).toHeapArray())));
        named.add(Arguments.of("causal, no window, over 90 rows, head_dim 64, MQA 2/1, APE",
                AttentionCase.random(123, 1, 90, 2, 1, 64, AttentionMasks.UNBOUNDED, 0).withCausal(true).withBias(PositionalBiases.APE, new float[] { 0f }, 0.4f)));
        List<Arguments> all = new ArrayList<>();
        for (AttentionAlgorithm tiled : new AttentionAlgorithm[] { AttentionAlgorithm.FLASH_TILED, AttentionAlgorithm.FLASH_TILED_8_LANES }) {
            for (Arguments a : named) {
                all.add(Arguments.of(tiled, a.get()[0], a.get()[1]));
            }
        }
        return all;
    }

    static AttentionAlgorithm[] algorithms() {
        return AttentionAlgorithm.values();
    }
}
