package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertClose;
import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.attentionlab.kernels.testing.Closeness.toDoubles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.attentionlab.kernels.reference.LinearReference;
import org.attentionlab.kernels.reference.NormalizationReference;
import org.attentionlab.kernels.testing.Goldens;
import org.attentionlab.kernels.testing.Goldens.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The kernels against PyTorch 1.13 outputs (scripts/goldens/ops.py). Both sides are fp32, so tolerances are the
 * float64-reference tolerances of the other tests, doubled where both sides round the same way.
 */
class OpsGoldensTest {

    private static final Goldens GOLDENS = Goldens.load("/goldens/ops.safetensors");

    private static float[] values(String name) {
        return GOLDENS.tensor(name).values();
    }

    @ParameterizedTest
    @ValueSource(strings = { "a", "b" })
    void rotaryEmbeddingBothPairings(String config) {
        Tensor input = GOLDENS.tensor("rope." + config + ".input");
        int batch = input.dim(0), seq = input.dim(1), heads = input.dim(2), headDim = input.dim(3);
        float theta = GOLDENS.scalar("rope." + config + ".theta");
        int offset = (int) GOLDENS.scalar("rope." + config + ".position_offset");
        for (boolean interleaved : new boolean[] { false, true }) {
            FloatArray x = FloatArray.fromArray(input.values());
            RotaryEmbedding.apply(x, batch, seq, heads, headDim, offset, theta, interleaved ? RotaryEmbedding.GPTJ : RotaryEmbedding.NEOX);
            String golden = "rope." + config + (interleaved ? ".gptj" : ".neox");
            double[] bound = RotaryEmbeddingTest.bound(input.values(), batch, seq, heads, headDim, offset, interleaved, 5e-7);
            assertWithin(golden, toDoubles(values(golden)), x.toHeapArray(), bound);
        }
    }

    @Test
    void layerNorm() {
        Tensor input = GOLDENS.tensor("layer_norm.input");
        int rows = input.dim(0), dim = input.dim(1);
        FloatArray out = new FloatArray(rows * dim);
        Normalization.layerNorm(FloatArray.fromArray(input.values()), FloatArray.fromArray(values("layer_norm.weight")), FloatArray.fromArray(values("layer_norm.bias")),
                out, rows, dim, GOLDENS.scalar("layer_norm.eps"));
        float[] golden = values("layer_norm.output");
        float[] actual = out.toHeapArray();
        // Row 2 has mean 100 and spread 0.03: PyTorch 1.13's fp32 moments are off by ~1.3e-4 there (float64 says so),
        // so that row is held to PyTorch's error, and the kernel to the float64 reference on the same input.
        int illConditionedRow = 2;
        double[] bound = new double[golden.length];
        for (int i = 0; i < golden.length; i++) {
            bound[i] = (i / dim == illConditionedRow ? 2e-4 : 1e-5) + 1e-4 * Math.abs(golden[i]);
        }
        assertWithin("layer_norm vs PyTorch", toDoubles(golden), actual, bound);
        double[] exact = NormalizationReference.layerNorm(input.values(), values("layer_norm.weight"), values("layer_norm.bias"), rows, dim, GOLDENS.scalar("layer_norm.eps"));
        assertClose("layer_norm vs float64", exact, actual, 1e-5, 1e-4);
    }

    @Test
    void rmsNorm() {
        Tensor input = GOLDENS.tensor("rms_norm.input");
        int rows = input.dim(0), dim = input.dim(1);
        FloatArray out = new FloatArray(rows * dim);
        Normalization.rmsNorm(FloatArray.fromArray(input.values()), FloatArray.fromArray(values("rms_norm.weight")), out, rows, dim, GOLDENS.scalar("rms_norm.eps"));
        assertClose("rms_norm", toDoubles(values("rms_norm.output")), out.toHeapArray(), 1e-5, 1e-4);
    }

    @Test
    void qkLayerNorm() {
        Tensor input = GOLDENS.tensor("qk_layer_norm.input");
        FloatArray x = FloatArray.fromArray(input.values());
        Normalization.qkLayerNorm(x, input.dim(0), input.dim(1), input.dim(2), input.dim(3), GOLDENS.scalar("qk_layer_norm.eps"));
        assertClose("qk_layer_norm", toDoubles(values("qk_layer_norm.output")), x.toHeapArray(), 1e-5, 1e-4);
    }

    @Test
    void activations() {
        float[] input = values("activations.input");
        int n = input.length;
        FloatArray x = FloatArray.fromArray(input);
        FloatArray out = new FloatArray(n);
        Activations.geluErf(x, out, n);
        assertClose("gelu_erf", toDoubles(values("activations.gelu_erf")), out.toHeapArray(), 1e-6, 1e-5);
        Activations.geluTanh(x, out, n);
        assertClose("gelu_tanh", toDoubles(values("activations.gelu_tanh")), out.toHeapArray(), 1e-6, 1e-5);
        Activations.silu(x, out, n);
        assertClose("silu", toDoubles(values("activations.silu")), out.toHeapArray(), 1e-6, 1e-5);
        Activations.relu(x, out, n);
        assertArrayEquals(values("activations.relu"), out.toHeapArray());
    }

    @Test
    void softmax() {
        Tensor input = GOLDENS.tensor("softmax.input");
        FloatArray out = new FloatArray(input.values().length);
        Activations.softmaxRows(FloatArray.fromArray(input.values()), out, input.dim(0), input.dim(1));
        assertClose("softmax", toDoubles(values("softmax.output")), out.toHeapArray(), 1e-6, 1e-5);
    }

    @Test
    void linearThroughTaskGraph() {
        Tensor input = GOLDENS.tensor("linear.input");
        Tensor weight = GOLDENS.tensor("linear.weight");
        int rows = input.dim(0), in = input.dim(1), out = weight.dim(0);
        float[] bias = values("linear.bias");
        float[] actual = LinearKernelsTest.linearThroughPlan(input.values(), weight.values(), bias, rows, in, out);
        double[] bound = LinearReference.errorBound(LinearReference.linear(input.values(), weight.values(), bias, rows, in, out).magnitudes(), in);
        for (int i = 0; i < bound.length; i++) {
            bound[i] *= 2;
        }
        assertWithin("linear", toDoubles(values("linear.output")), actual, bound);
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void lstmThroughTaskGraph(boolean initialState) {
        Tensor input = GOLDENS.tensor("lstm.input");
        Tensor weightIh = GOLDENS.tensor("lstm.weight_ih_l0");
        int batch = input.dim(0), seq = input.dim(1), inputSize = input.dim(2), hidden = weightIh.dim(0) / 4;
        LstmKernelsTest.Parameters parameters = new LstmKernelsTest.Parameters(weightIh.values(), values("lstm.weight_hh_l0"), values("lstm.bias_ih_l0"),
                values("lstm.bias_hh_l0"));
        LstmKernelsTest.SequenceResult result = LstmKernelsTest.runSequence(input.values(), parameters, initialState ? values("lstm.h0") : null,
                initialState ? values("lstm.c0") : null, batch, seq, inputSize, hidden);
        String prefix = initialState ? "lstm." : "lstm.zero_state.";
        assertClose(prefix + "output", toDoubles(values(prefix + "output")), result.output(), 3e-5, 1e-4);
        assertClose(prefix + "h_n", toDoubles(values(prefix + "h_n")), result.hN(), 3e-5, 1e-4);
        assertClose(prefix + "c_n", toDoubles(values(prefix + "c_n")), result.cN(), 3e-5, 1e-4);
    }
}
