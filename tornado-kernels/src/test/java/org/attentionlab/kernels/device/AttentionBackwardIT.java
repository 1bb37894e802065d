package org.attentionlab.kernels.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.attentionlab.kernels.Activations;
import org.attentionlab.kernels.AttentionKernels;
import org.attentionlab.kernels.AttentionLaunch.Backward;
import org.attentionlab.kernels.AttentionMasks;
import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.PositionalBiases;
import org.attentionlab.kernels.reference.AttentionBackwardReference.Gradients;
import org.attentionlab.kernels.reference.DroppedAttentionReference;
import org.attentionlab.kernels.testing.AttentionAlgorithm;
import org.attentionlab.kernels.testing.AttentionBackwardRunner;
import org.attentionlab.kernels.testing.AttentionBackwardRunner.Result;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.AttentionRunner;
import org.attentionlab.kernels.testing.Closeness;
import org.attentionlab.kernels.testing.DroppedProbabilities;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The attention backward kernels on a TornadoVM device: one TaskGraph of the forward ({@code memoryEfficient}),
 * {@code rowLogSumExp}, {@code rowOutputGradientDot}, {@code queryGradient} and {@code keyValueGradient}, or the
 * register-tiled {@code flashLogSumExp}, {@code rowOutputGradientDot}, {@code flashQueryGradient} and
 * {@code flashKeyValueGradient} on their grids (AttentionLaunch.Backward), the intermediates staying on the device, against the same five kernels called as plain Java and against the float64
 * reference with the unit tests' tolerance; run twice, the device gives the same bits (no atomics, a fixed order).
 * With attention dropout too: the same cases with p = 0.2, and the masks every algorithm's forward and the backward
 * draw on the device read back and compared with the specification's.
 *
 * <p>Device against Java: {@code |device - java| <= 1e-5 + 1e-5 (|java| + magnitude)}, {@link DeviceCheck}'s
 * tolerance widened by the element's magnitude (the sum of the absolute values of its terms, from the reference):
 * a gradient can be much smaller than its terms, and the device's few-ulp differences (fma, OpenCL's exp and log)
 * scale with the terms.
 */
class AttentionBackwardIT {

    private static final AtomicInteger GRAPHS = new AtomicInteger();

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    private static AttentionCase alibi(AttentionCase c) {
        return c.withBias(PositionalBiases.ALIBI, PositionalBiases.alibiSlopes(c.numHeads()).toHeapArray(), 0f);
    }

    static List<Arguments> cases() {
        Window causalW5 = Window.causalSliding(5);
        Window local6 = Window.bidirectionalLocal(6);
        return List.of(Arguments.of("causal sliding window W=5, GQA 4/2, ALiBi, odd sizes",
                alibi(AttentionCase.random(201, 2, 37, 4, 2, 7, causalW5.left(), causalW5.right()))),
                Arguments.of("local window w=6 with global tokens 0, 17, 44 (the last), APE",
                        AttentionCase.random(202, 1, 45, 3, 3, 16, local6.left(), local6.right(), 0, 17, 44)
                                .withBias(PositionalBiases.APE, new float[] { 0f }, 0.3f)),
                Arguments.of("full bidirectional, GQA 6/3, head_dim 64, ALiBi for 6 heads",
                        alibi(AttentionCase.random(203, 1, 70, 6, 3, 64, AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED))),
                Arguments.of("size one everywhere, causal", AttentionCase.random(204, 1, 1, 1, 1, 1, Window.causal().left(), Window.causal().right())),
                Arguments.of("a window per head (1, 4, 9, unbounded), causal with global tokens 0 and 21, GQA 4/2, ALiBi",
                        alibi(AttentionCase.random(208, 2, 37, 4, 2, 8, 0, 0, 0, 21)
                                .withWindows(new int[] { 0, 0, 3, 0, 8, 0, AttentionMasks.UNBOUNDED, 0 }).withCausal(true))),
                Arguments.of("causal sliding window W=13 (not a tile multiple), L=21, head_dim 45, global token 4",
                        AttentionCase.random(212, 1, 21, 2, 1, 45, Window.causalSliding(13).left(), Window.causalSliding(13).right(), 4).withCausal(true)));
    }

    /** Every case with each of the backward's kernel sets (AttentionLaunch.Backward): the rows, and the register tiles. */
    static List<Arguments> casesByKernels() {
        List<Arguments> all = new ArrayList<>();
        for (Backward kernels : Backward.values()) {
            for (Arguments c : cases()) {
                all.add(Arguments.of(kernels + ", " + c.get()[0], c.get()[1], kernels));
            }
        }
        return all;
    }

    private static Result onDevice(AttentionCase c, float[] dOut, Backward kernels) {
        return AttentionBackwardRunner.run(c, dOut, "attentionBackward" + GRAPHS.incrementAndGet(), c.kernelWindows(), kernels);
    }

    /** The backward's tasks on the device (by rows, or by register tiles) against the per-row kernels in Java and the reference. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("casesByKernels")
    void deviceMatchesJavaAndTheReference(String name, AttentionCase c, Backward kernels) {
        float[] dOut = AttentionCase.uniform(new Random(205), c.q().length);
        Result device = onDevice(c, dOut, kernels);
        Result java = AttentionBackwardRunner.runPlain(c, dOut);
        Gradients want = c.referenceGradients(dOut);
        String what = "attention backward: " + name;
        DeviceCheck.assertMatchesJava(java.logSumExp(), device.logSumExp(), what + ", L");
        DeviceCheck.assertMatchesJava(java.rowDot(), device.rowDot(), what + ", D");
        DeviceCheck.assertWithinJava(java.dq(), device.dq(), bound(java.dq(), want.dqMagnitude()), what + ", dq");
        DeviceCheck.assertWithinJava(java.dk(), device.dk(), bound(java.dk(), want.dkMagnitude()), what + ", dk");
        DeviceCheck.assertWithinJava(java.dv(), device.dv(), bound(java.dv(), want.dvMagnitude()), what + ", dv");
        DeviceCheck.assertWithinReference(want.dq(), device.dq(), referenceBound(want.dqMagnitude(), 1e-5), what + ", dq");
        DeviceCheck.assertWithinReference(want.dk(), device.dk(), referenceBound(want.dkMagnitude(), 1e-5), what + ", dk");
        DeviceCheck.assertWithinReference(want.dv(), device.dv(), referenceBound(want.dvMagnitude(), 1e-5), what + ", dv");
    }

    @ParameterizedTest
    @EnumSource(Backward.class)
    void twoDeviceRunsGiveTheSameBits(Backward kernels) {
        AttentionCase c = (AttentionCase) cases().get(0).get()[1];
        float[] dOut = AttentionCase.uniform(new Random(206), c.q().length);
        Result first = onDevice(c, dOut, kernels);
        Result second = onDevice(c, dOut, kernels);
        assertArrayEquals(first.dq(), second.dq(), 0f);
        assertArrayEquals(first.dk(), second.dk(), 0f);
        assertArrayEquals(first.dv(), second.dv(), 0f);
        DeviceCheck.report("itself", "attention backward, " + kernels + ": two device runs (bit for bit)", 0.0);
    }

    /**
     * Logits of order 1e4: every L and gradient finite on the device (finite-math compilation), L equal to Java's,
     * the gradients within AttentionBackwardEdgeCaseTest's 1e-2 of their magnitude of the reference (the logits'
     * fp32 rounding, about 1e-3 at this size, differs between the device and Java and moves P at near ties).
     */
    @ParameterizedTest
    @EnumSource(Backward.class)
    void largeLogitsStayFinite(Backward kernels) {
        Window causalW9 = Window.causalSliding(9);
        AttentionCase c = alibi(AttentionCase.random(207, 1, 40, 2, 2, 8, causalW9.left(), causalW9.right(), 3)).withScale(1e4f);
        float[] dOut = AttentionCase.uniform(new Random(208), c.q().length);
        Result device = onDevice(c, dOut, kernels);
        Result java = AttentionBackwardRunner.runPlain(c, dOut);
        Gradients want = c.referenceGradients(dOut);
        for (float[] values : new float[][] { device.logSumExp(), device.dq(), device.dk(), device.dv() }) {
            Closeness.assertFinite("attention backward at logits of 1e4", values);
        }
        String what = "attention backward, " + kernels + ", logits of 1e4: ";
        DeviceCheck.assertMatchesJava(java.logSumExp(), device.logSumExp(), what + "L");
        DeviceCheck.assertWithinReference(want.dq(), device.dq(), referenceBound(want.dqMagnitude(), 1e-2), what + "dq");
        DeviceCheck.assertWithinReference(want.dk(), device.dk(), referenceBound(want.dkMagnitude(), 1e-2), what + "dk");
        DeviceCheck.assertWithinReference(want.dv(), device.dv(), referenceBound(want.dvMagnitude(), 1e-2), what + "dv");
    }

    // ---- attention dropout: the windows array's keep threshold and seed, the mask regenerated in the backward

    private static final double DROPOUT = 0.2;
    private static final int DROPOUT_SEED = -1_234_567;

    private static double[] dropoutFactors(AttentionCase c, double p, int seed) {
        return DroppedAttentionReference.mask(c.referenceShape(), AttentionMasks.keepThreshold(p), seed);
    }

    /** The cases above with attention dropout: device against Java and against the float64 reference with the specification's mask. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("casesByKernels")
    void droppedBackwardMatchesJavaAndTheReference(String name, AttentionCase c, Backward kernels) {
        float[] dOut = AttentionCase.uniform(new Random(209), c.q().length);
        Result device = AttentionBackwardRunner.run(c, dOut, "droppedBackward" + GRAPHS.incrementAndGet(), c.kernelWindows(DROPOUT, DROPOUT_SEED),
                kernels);
        Result java = AttentionBackwardRunner.runPlain(c, dOut, c.kernelWindows(DROPOUT, DROPOUT_SEED));
        double[] factors = dropoutFactors(c, DROPOUT, DROPOUT_SEED);
        Gradients want = DroppedAttentionReference.gradients(c.referenceShape(), Closeness.toDoubles(c.q()), Closeness.toDoubles(c.k()),
                Closeness.toDoubles(c.v()), Closeness.toDoubles(dOut), c.referenceMask(), c.referenceBias(), c.scale(), factors);
        double[] out = DroppedAttentionReference.attention(c.referenceShape(), Closeness.toDoubles(c.q()), Closeness.toDoubles(c.k()),
                Closeness.toDoubles(c.v()), c.referenceMask(), c.referenceBias(), c.scale(), factors);
        String what = "attention backward with dropout " + DROPOUT + ": " + name;
        DeviceCheck.assertMatchesJava(java.out(), device.out(), what + ", out");
        DeviceCheck.assertMatchesReference(out, device.out(), 1e-5, 1e-4, what + ", out");
        DeviceCheck.assertMatchesJava(java.rowDot(), device.rowDot(), what + ", D");
        DeviceCheck.assertWithinJava(java.dq(), device.dq(), bound(java.dq(), want.dqMagnitude()), what + ", dq");
        DeviceCheck.assertWithinJava(java.dk(), device.dk(), bound(java.dk(), want.dkMagnitude()), what + ", dk");
        DeviceCheck.assertWithinJava(java.dv(), device.dv(), bound(java.dv(), want.dvMagnitude()), what + ", dv");
        DeviceCheck.assertWithinReference(want.dq(), device.dq(), referenceBound(want.dqMagnitude(), 1e-5), what + ", dq");
        DeviceCheck.assertWithinReference(want.dk(), device.dk(), referenceBound(want.dkMagnitude(), 1e-5), what + ", dk");
        DeviceCheck.assertWithinReference(want.dv(), device.dv(), referenceBound(want.dvMagnitude(), 1e-5), what + ", dv");
    }

    /**
     * Every algorithm's forward on the device draws the specification's mask and the device's backward regenerates it
     * (both read back with one-hot values and gradients, {@link DroppedProbabilities}): the hash's shifts and
     * wrap-around multiplications give the same bits on the device as in Java.
     */
    @Test
    void theDevicesMasksAreTheSpecifications() {
        Window causalW6 = Window.causalSliding(6);
        AttentionCase c = DroppedProbabilities.withOneHotValues(AttentionCase.random(210, 2, 20, 3, 3, 20, causalW6.left(), causalW6.right(), 7)
                .withCausal(true));
        double p = 0.35;
        int seed = 0x7EADBEEF;
        double[] factors = dropoutFactors(c, p, seed);
        Result backward = AttentionBackwardRunner.run(c, DroppedProbabilities.oneHotGradients(c), "droppedMask" + GRAPHS.incrementAndGet(),
                c.kernelWindows(p, seed));
        for (AttentionAlgorithm algorithm : AttentionAlgorithm.values()) {
            int[] counts = DroppedProbabilities.assertSameMask("device, " + algorithm, c, factors, AttentionRunner.run(algorithm, c, c.kernelWindows(p, seed)),
                    backward.dv(), 1e-5);
            DeviceCheck.report("the specification", "attention dropout mask of " + algorithm + " (forward and backward, " + counts[0] + " kept, "
                    + counts[1] + " dropped)", 0.0);
        }
    }

    /**
     * As a training step runs it: {@code seedDropoutAtStep} writes the step's seed into the window array on the device,
     * then the forward reads it there; the seed and the output equal Java's with that seed.
     */
    @Test
    void theSeedWrittenOnTheDeviceDrivesTheForward() {
        AttentionCase c = AttentionCase.random(211, 2, 9, 2, 2, 4, 3, 0).withCausal(true);
        int seed = 77;
        int stepSeed = seed + 5 * Activations.DROPOUT_STEP_STRIDE;
        IntArray windows = c.kernelWindows(0.3, 0);
        IntArray counter = IntArray.fromArray(new int[] { 5 });
        IntArray globals = IntArray.fromArray(new int[] { 0 });
        FloatArray slopes = FloatArray.fromArray(c.slopes());
        FloatArray q = FloatArray.fromArray(c.q());
        FloatArray k = FloatArray.fromArray(c.k());
        FloatArray v = FloatArray.fromArray(c.v());
        FloatArray out = new FloatArray(c.q().length);
        TaskGraph graph = DeviceTasks.graph("seedDropout").transferToDevice(DataTransferMode.EVERY_EXECUTION, windows, counter, globals, slopes, q, k, v)
                .task("seed", AttentionKernels::seedDropoutAtStep, windows, c.numHeads(), seed, counter)
                .task(DeviceTasks.TASK, AttentionKernels::memoryEfficient, q, k, v, out, globals, 0, slopes, c.batch(), c.seqLen(), c.numHeads(),
                        c.numKvHeads(), c.headDim(), windows, 1, c.biasKind(), c.apeScale(), c.scale(), 4)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, windows, out);
        DeviceTasks.execute(graph);
        int[] expectedWindows = c.kernelWindows(0.3, 0).toHeapArray();
        expectedWindows[2 * c.numHeads() + 2] = stepSeed;
        assertArrayEquals(expectedWindows, windows.toHeapArray(), "the window array after seedDropoutAtStep on the device");
        float[] java = AttentionRunner.runPlain(AttentionAlgorithm.MEMORY_EFFICIENT, c, c.kernelWindows(0.3, stepSeed));
        DeviceCheck.assertMatchesJava(java, out.toHeapArray(), "memoryEfficient after seedDropoutAtStep on the device");
    }

    private static double[] bound(float[] java, double[] magnitude) {
        double[] bound = new double[java.length];
        for (int e = 0; e < java.length; e++) {
            bound[e] = DeviceCheck.ABS + DeviceCheck.REL * (Math.abs(java[e]) + magnitude[e]);
        }
        return bound;
    }

    /** {@code 1e-7 + rel * magnitude}; AttentionBackwardPropertyTest's tolerance is rel = 1e-5. */
    private static double[] referenceBound(double[] magnitude, double rel) {
        double[] bound = new double[magnitude.length];
        for (int e = 0; e < magnitude.length; e++) {
            bound[e] = 1e-7 + rel * magnitude[e];
        }
        return bound;
    }
}
