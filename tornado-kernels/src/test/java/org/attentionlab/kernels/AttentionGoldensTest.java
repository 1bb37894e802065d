package org.attentionlab.kernels;

import org.attentionlab.kernels.testing.AttentionAlgorithm;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;

import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.AttentionRunner;
import org.attentionlab.kernels.testing.Close;
import org.attentionlab.kernels.testing.Goldens;
import org.attentionlab.kernels.testing.Goldens.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The four attention algorithms against PyTorch 1.13's dense masked attention (scripts/goldens/attention.py,
 * which lists the same cases). Tolerance: |got - want| <= 1e-5 + 1e-4 |want| (both sides fp32).
 */
class AttentionGoldensTest {

    private static final double ABS = 1e-5;
    private static final double REL = 1e-4;

    private static Goldens goldens;

    @BeforeAll
    static void load() {
        goldens = Goldens.load("/goldens/attention.safetensors");
    }

    /** A golden case's mask and bias, as the script builds them; a one-sided band is a causal mask (global tokens included). */
    record Spec(String name, Window window, int[] globalTokens, int biasKind, float apeScale) {
    }

    static Stream<Arguments> cases() {
        Spec[] specs = { new Spec("causal_swa_w3", Window.causalSliding(3), new int[0], PositionalBiases.NONE, 0f),
                new Spec("full", Window.full(), new int[0], PositionalBiases.NONE, 0f),
                new Spec("local_w5", Window.bidirectionalLocal(5), new int[0], PositionalBiases.NONE, 0f),
                new Spec("local_w4_global_0_7", Window.bidirectionalLocal(4), new int[] { 0, 7 }, PositionalBiases.NONE, 0f),
                new Spec("alibi_causal_h6", Window.causal(), new int[0], PositionalBiases.ALIBI, 0f),
                new Spec("alibi_swa_w4_h12", Window.causalSliding(4), new int[0], PositionalBiases.ALIBI, 0f),
                new Spec("ape_full_s0.1", Window.full(), new int[0], PositionalBiases.APE, 0.1f),
                new Spec("gqa_causal_swa_w4", Window.causalSliding(4), new int[0], PositionalBiases.NONE, 0f) };
        return Stream.of(specs).flatMap(spec -> Stream.of(AttentionAlgorithm.values()).map(algorithm -> Arguments.of(spec, algorithm)));
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void matchesPyTorch(Spec spec, AttentionAlgorithm algorithm) {
        Tensor q = goldens.tensor(spec.name() + ".q");
        Tensor k = goldens.tensor(spec.name() + ".k");
        Tensor v = goldens.tensor(spec.name() + ".v");
        Tensor out = goldens.tensor(spec.name() + ".out");
        int heads = q.dim(2);
        int headDim = q.dim(3);
        float[] slopes = spec.biasKind() == PositionalBiases.ALIBI ? PositionalBiases.alibiSlopes(heads).toHeapArray() : new float[] { 0f };
        AttentionCase c = new AttentionCase(q.dim(0), q.dim(1), heads, k.dim(2), headDim, AttentionCase.uniformWindows(heads, spec.window().left(), spec.window().right()),
                spec.window().right() == 0, spec.globalTokens(),
                spec.biasKind(), slopes, spec.apeScale(), (float) (1.0 / Math.sqrt(headDim)), 3, q.values(), k.values(), v.values());
        assertArrayEquals(q.shape(), out.shape());
        Close.assertClose(out.values(), AttentionRunner.run(algorithm, c), ABS, REL, algorithm + " on " + spec.name());
    }

    @Test
    void alibiSlopesMatchThePythonReferenceRule() {
        assertArrayEquals(goldens.tensor("alibi.slopes_h6").values(), PositionalBiases.alibiSlopes(6).toHeapArray());
        assertArrayEquals(goldens.tensor("alibi.slopes_h12").values(), PositionalBiases.alibiSlopes(12).toHeapArray());
    }

    @Test
    void apeMatchesTheNotebookFunction() {
        Tensor notebook = goldens.tensor("ape_notebook.bias");
        assertArrayEquals(new int[] { 5, 5 }, notebook.shape());
        assertArrayEquals(notebook.values(), PositionalBiases.denseBias(PositionalBiases.APE, PositionalBiases.noSlopes(), 0, 5, 0.1f).toHeapArray(), 1e-8f);
        assertEquals(0.08f, notebook.values()[1], 1e-7f);
    }
}
