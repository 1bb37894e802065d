package org.attentionlab.kernels;

import java.util.stream.Stream;

import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.testing.AttentionBackwardRunner;
import org.attentionlab.kernels.testing.AttentionBackwardRunner.Result;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.Close;
import org.attentionlab.kernels.testing.Goldens;
import org.attentionlab.kernels.testing.Goldens.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attention backward kernels against PyTorch 1.13 autograd through dense masked attention
 * (scripts/goldens/attention_backward.py, which lists the same cases): the output, the row log-sum-exp and dq, dk,
 * dv for the same q, k, v and output gradient. Both sides are fp32 with different summation orders: tolerance
 * {@code 1e-5 + 1e-4 |want|}, as the forward goldens (every difference seen is within {@code 1e-6 + 1e-6 |want|}).
 */
class AttentionBackwardGoldensTest {

    private static final double ABS = 1e-5;
    private static final double REL = 1e-4;

    private static Goldens goldens;

    @BeforeAll
    static void load() {
        goldens = Goldens.load("/goldens/attention_backward.safetensors");
    }

    /** A golden case's mask and bias, as the script builds them; a one-sided band is a causal mask (global tokens included). */
    record Spec(String name, Window window, int[] globalTokens, int biasKind, float apeScale) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Spec> cases() {
        return Stream.of(new Spec("swa_w4_gqa_alibi_h6", Window.causalSliding(4), new int[0], PositionalBiases.ALIBI, 0f),
                new Spec("local_w4_global_0_9", Window.bidirectionalLocal(4), new int[] { 0, 9 }, PositionalBiases.NONE, 0f),
                new Spec("ape_causal_s0.3", Window.causal(), new int[0], PositionalBiases.APE, 0.3f),
                new Spec("causal_global_last_mqa", Window.causal(), new int[] { 9 }, PositionalBiases.NONE, 0f),
                new Spec("causal_swa_w3_global_2_7_gqa", Window.causalSliding(3), new int[] { 2, 7 }, PositionalBiases.NONE, 0f));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPyTorchAutograd(Spec spec) {
        Tensor q = goldens.tensor(spec.name() + ".q");
        Tensor k = goldens.tensor(spec.name() + ".k");
        Tensor v = goldens.tensor(spec.name() + ".v");
        int heads = q.dim(2);
        int headDim = q.dim(3);
        float[] slopes = spec.biasKind() == PositionalBiases.ALIBI ? PositionalBiases.alibiSlopes(heads).toHeapArray() : new float[] { 0f };
        AttentionCase c = new AttentionCase(q.dim(0), q.dim(1), heads, k.dim(2), headDim, AttentionCase.uniformWindows(heads, spec.window().left(), spec.window().right()),
                spec.window().right() == 0, spec.globalTokens(),
                spec.biasKind(), slopes, spec.apeScale(), (float) (1.0 / Math.sqrt(headDim)), 8, q.values(), k.values(), v.values());
        Result result = AttentionBackwardRunner.runPlain(c, goldens.tensor(spec.name() + ".dout").values());
        Close.assertClose(goldens.tensor(spec.name() + ".out").values(), result.out(), ABS, REL, spec.name() + " out");
        Close.assertClose(goldens.tensor(spec.name() + ".lse").values(), result.logSumExp(), ABS, REL, spec.name() + " lse");
        Close.assertClose(goldens.tensor(spec.name() + ".dq").values(), result.dq(), ABS, REL, spec.name() + " dq");
        Close.assertClose(goldens.tensor(spec.name() + ".dk").values(), result.dk(), ABS, REL, spec.name() + " dk");
        Close.assertClose(goldens.tensor(spec.name() + ".dv").values(), result.dv(), ABS, REL, spec.name() + " dv");
    }
}
