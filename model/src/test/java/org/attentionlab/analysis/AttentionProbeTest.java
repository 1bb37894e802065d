package org.attentionlab.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.weights.Parameters;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The probe's probabilities are the layer's: for a one-layer post-norm model without feed-forward block, the model's
 * output must equal LayerNorm(x + o_proj(Σ_j p_ij v_j)) computed here in float64 from the probe's rows and the
 * layer's parameters. Each row sums to 1 and sees only the keys the mask allows.
 */
class AttentionProbeTest {

    static final String BASE = """
            architecture: rnope_swa
            embed_dim: 16
            hidden_size: 16
            num_attention_heads: 4
            num_hidden_layers: 1
            intermediate_size: 0
            norm_position: post
            output: all
            seed: 7
            """;

    @ParameterizedTest
    @ValueSource(strings = { "sliding_window: 5\nposition_embedding: none", "sliding_window: 6\nposition_embedding: rope\nrope_pairing: gptj\nqk_norm: true",
            "sliding_window: 64\nposition_embedding: alibi\nnum_key_value_heads: 2", "sliding_window: 4\nposition_embedding: ape\ncausal: false",
            "sliding_window: 3\nposition_embedding: rope\nglobal_tokens: [0, 7]",
            "sliding_window: 5\nposition_embedding: alibi\nattention_bias: false\nnorm_bias: false" })
    void probabilitiesReproduceTheLayer(String variant) {
        Model model = Model.build(ConfigLoader.parse(BASE + variant + "\n", Path.of("probe.yaml")));
        if (variant.contains("attention_bias: false")) {
            assertTrue(model.parameters().all().stream().noneMatch(q -> q.name().endsWith("_proj.bias") || q.name().endsWith("norm.bias")), "no biases");
        }
        int batch = 2;
        int seqLen = 11;
        int width = 16;
        AnalysisContext context = new AnalysisContext(model, null, seqLen, batch, 1, 3);
        AttentionProbe.Input input = context.input();
        List<AttentionProbe.LayerAttention> layers = AttentionProbe.measure(model, input, null);
        assertEquals(1, layers.size());
        AttentionProbe.LayerAttention layer = layers.get(0);

        Map<String, float[]> p = new HashMap<>();
        for (Parameters.Parameter parameter : model.parameters().all()) {
            p.put(parameter.name(), parameter.data().toHeapArray());
        }
        int heads = layer.heads();
        int headDim = layer.headDim();
        int kvHeads = p.get("layers.0.attn.v_proj.weight").length / width / headDim;
        double[] v = linear(input.features(), p.get("layers.0.attn.v_proj.weight"), p.get("layers.0.attn.v_proj.bias"), batch * seqLen, width, kvHeads * headDim);
        double[] attended = new double[batch * seqLen * heads * headDim];
        boolean[] ok = { true };
        layer.forEachRow((b, h, i, keys, probabilities, count) -> {
            double sum = 0;
            for (int t = 0; t < count; t++) {
                sum += probabilities[t];
                ok[0] &= probabilities[t] >= 0 && keys[t] >= 0 && keys[t] < seqLen;
                int kv = h / (heads / kvHeads);
                for (int d = 0; d < headDim; d++) {
                    attended[((b * seqLen + i) * heads + h) * headDim + d] += probabilities[t] * v[((b * seqLen + keys[t]) * kvHeads + kv) * headDim + d];
                }
            }
            ok[0] &= Math.abs(sum - 1) < 1e-9;
        });
        assertTrue(ok[0], "rows are probability distributions over valid keys");
        double[] update = linear(attended, p.get("layers.0.attn.o_proj.weight"), p.get("layers.0.attn.o_proj.bias"), batch * seqLen, heads * headDim, width);
        double[] expected = new double[batch * seqLen * width];
        for (int r = 0; r < batch * seqLen; r++) {
            double mean = 0;
            double square = 0;
            for (int c = 0; c < width; c++) {
                double y = input.features()[r * width + c] + update[r * width + c];
                expected[r * width + c] = y;
                mean += y / width;
            }
            for (int c = 0; c < width; c++) {
                square += Math.pow(expected[r * width + c] - mean, 2) / width;
            }
            for (int c = 0; c < width; c++) {
                float[] normBias = p.get("layers.0.attn_norm.bias");
                expected[r * width + c] = (expected[r * width + c] - mean) / Math.sqrt(square + 1e-5) * p.get("layers.0.attn_norm.weight")[c]
                        + (normBias == null ? 0 : normBias[c]);
            }
        }
        float[] actual;
        try (ModelExecution execution = model.prepare(RunShape.inference(batch, seqLen), null)) {
            for (int i = 0; i < input.features().length; i++) {
                execution.floatInput().set(i, input.features()[i]);
            }
            FloatArray out = execution.run();
            actual = out.toHeapArray();
        }
        assertEquals(expected.length, actual.length);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst < 2e-4, "largest difference from the model's output: " + worst);
    }

    static double[] linear(float[] x, float[] weight, float[] bias, int rows, int in, int out) {
        double[] xd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xd[i] = x[i];
        }
        return linear(xd, weight, bias, rows, in, out);
    }

    static double[] linear(double[] x, float[] weight, float[] bias, int rows, int in, int out) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double acc = bias == null ? 0 : bias[o];
                for (int i = 0; i < in; i++) {
                    acc += x[r * in + i] * weight[o * in + i];
                }
                y[r * out + o] = acc;
            }
        }
        return y;
    }
}
