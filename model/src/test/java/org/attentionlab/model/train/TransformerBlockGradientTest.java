package org.attentionlab.model.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.attentionlab.kernels.Activations;
import org.attentionlab.kernels.reference.ActivationReference;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.LaunchGeometry;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.layers.TransformerBlock;
import org.attentionlab.model.reference.ModelReference;
import org.attentionlab.model.spec.BlockSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A transformer block's backward against central finite differences of a float64 forward written separately
 * ({@link ModelReference}): the input gradient and every parameter's gradient of {@code sum(dOut * block(x))}, for
 * every block layout, norm, position encoding, mask, attention algorithm, activation, GQA and dropout.
 *
 * <p>Tolerance: the kernels run in float32 (unit roundoff 6e-8) over sums of at most a few dozen terms, and the
 * float64 differences are exact to ~1e-9; so each gradient element must be within {@code 1e-5} of the largest
 * gradient of its tensor (plus 1e-6; the worst seen was 9e-7). A missing or misplaced term is an error of the order of the
 * gradient itself (leaving out RoPE's backward on dq: errors of 0.2 to 2).
 */
class TransformerBlockGradientTest {

    static final int BATCH = 2;
    static final int SEQ = 6;

    static final String BASE = """
            architecture: rnope_swa
            embed_dim: 8
            hidden_size: 8
            num_attention_heads: 2
            num_hidden_layers: 1
            intermediate_size: 12
            sliding_window: 3
            dropout: 0
            output: all
            """;

    static Stream<Arguments> blocks() {
        return Stream.of(
                Arguments.of("pre layernorm gelu sliding", ""),
                Arguments.of("post rmsnorm relu rope neox gqa full", "norm: rmsnorm\nnorm_position: post\nhidden_act: relu\nposition_embedding: rope\n"
                        + "num_key_value_heads: 1\nlayer_types: [full_attention]\n"),
                Arguments.of("parallel silu alibi qk_norm", "norm_position: parallel\nhidden_act: silu\nposition_embedding: alibi\nqk_norm: true\n"),
                Arguments.of("ape bidirectional global tokens", "position_embedding: ape\ncausal: false\nglobal_tokens: [0, 3]\nsliding_window: 2\n"),
                Arguments.of("causal global tokens, flash", "global_tokens: [1, 4]\nsliding_window: 2\nattention_algorithm: flash\n"),
                Arguments.of("a window per head, gqa, chunked", "sliding_window: [1, 3, 2, 5]\nnum_attention_heads: 4\nnum_key_value_heads: 2\n"
                        + "hidden_size: 8\nattention_algorithm: chunked\nchunk_size: 2\n"),
                Arguments.of("no norm, tanh gelu, no ffn, sinusoidal", "norm: none\nhidden_act: gelu_pytorch_tanh\nintermediate_size: 0\n"
                        + "layers:\n  0: {position_embedding: sinusoidal}\n"),
                Arguments.of("rope gptj, flash, 4 heads 2 kv", "position_embedding: rope\nrope_pairing: gptj\nattention_algorithm: flash\n"
                        + "num_attention_heads: 4\nnum_key_value_heads: 2\nhidden_size: 8\n"),
                Arguments.of("chunked, rmsnorm parallel", "attention_algorithm: chunked\nchunk_size: 2\nnorm: rmsnorm\nnorm_position: parallel\n"),
                Arguments.of("memory efficient, post, qk_norm, rope", "attention_algorithm: memory_efficient\nchunk_size: 4\nnorm_position: post\n"
                        + "qk_norm: true\nposition_embedding: rope\n"),
                Arguments.of("swiglu, no biases", "ffn_type: swiglu\nhidden_act: silu\nattention_bias: false\nmlp_bias: false\nnorm_bias: false\n"),
                Arguments.of("geglu erf, parallel", "ffn_type: geglu\nhidden_act: gelu\nnorm_position: parallel\n"),
                Arguments.of("geglu tanh, post, rmsnorm", "ffn_type: geglu\nhidden_act: gelu_pytorch_tanh\nnorm_position: post\nnorm: rmsnorm\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blocks")
    void gradientsMatchFiniteDifferences(String name, String yaml) {
        check(yaml, LayerTrainingRun.Dropout.OFF, 11);
    }

    /**
     * The block trained with the register-tiled projections and gradient products an OpenCL CPU device gets
     * ({@code MatrixMultiply.linearTiled}, {@code productTiled}), here on the JVM implementation: plain and gated FFN.
     */
    @ParameterizedTest(name = "register tiles, {0}")
    @MethodSource("tiledBlocks")
    void registerTiledGradientsMatchFiniteDifferences(String name, String yaml) {
        check(yaml, LayerTrainingRun.Dropout.OFF, 13, LayerTrainingRun.REGISTER_TILES);
    }

    /** {@link #registerTiledGradientsMatchFiniteDifferences} with the tiles for 8 lanes ({@code vector_lanes: 8}). */
    @ParameterizedTest(name = "register tiles for 8 lanes, {0}")
    @MethodSource("tiledBlocks")
    void eightLaneRegisterTiledGradientsMatchFiniteDifferences(String name, String yaml) {
        check(yaml, LayerTrainingRun.Dropout.OFF, 13, LayerTrainingRun.REGISTER_TILES_8_LANES);
    }

    static Stream<Arguments> tiledBlocks() {
        return blocks().filter(a -> a.get()[0].equals("pre layernorm gelu sliding") || a.get()[0].equals("swiglu, no biases"));
    }

    @ParameterizedTest(name = "dropout, {0}")
    @MethodSource("layouts")
    void dropoutUsesOneMaskForwardAndBackward(String layout) {
        check("dropout: 0.3\nnorm_position: " + layout + "\n", new LayerTrainingRun.Dropout(true, 5, 7), 12);
    }

    static Stream<String> layouts() {
        return Stream.of("pre", "post", "parallel");
    }

    private static void check(String yaml, LayerTrainingRun.Dropout dropout, long seed) {
        check(yaml, dropout, seed, LayerTrainingRun.ROW_BLOCKS);
    }

    private static void check(String yaml, LayerTrainingRun.Dropout dropout, long seed, LaunchGeometry geometry) {
        ModelSpec spec = ConfigLoader.parse(merge(BASE, yaml), Path.of("block.yaml"));
        Model model = Model.build(spec);
        LayerTrainingRun.randomizeParameters(model, seed);
        TrainableLayer block = (TrainableLayer) model.layers().stream().filter(l -> l instanceof TransformerBlock).findFirst().orElseThrow();
        BlockSpec blockSpec = spec.blocks().get(0);
        int width = spec.hiddenSize();
        float[] x = LayerTrainingRun.random(BATCH * SEQ * width, seed + 1);
        float[] dOut = LayerTrainingRun.random(BATCH * SEQ * width, seed + 2);
        LayerTrainingRun.Result result = LayerTrainingRun.run(model, List.of(block), BATCH, SEQ, FloatArray.fromArray(x), dOut, dropout, geometry);

        ModelReference.DropoutMask mask = dropoutMask(dropout, blockSpec.dropout());
        LayerGradients.assertMatchFiniteDifferences(result, LayerTrainingRun.parameters(model), "layers.0.", widen(x), widen(dOut),
                (parameters, input) -> new ModelReference(parameters, BATCH, SEQ, mask).block(blockSpec, width, input), 1e-5);
    }

    /** The kernels' dropout mask from its specification: element i of a stream is kept iff its uniform is at least p. */
    static ModelReference.DropoutMask dropoutMask(LayerTrainingRun.Dropout dropout, double p) {
        if (!dropout.on() || p == 0) {
            return ModelReference.DropoutMask.NONE;
        }
        float probability = (float) p;
        return (stream, index) -> {
            int seed = LayerTrainingRun.dropoutSeed(dropout, BATCH, SEQ, stream) + dropout.step() * Activations.DROPOUT_STEP_STRIDE;
            return ActivationReference.dropoutUniform(seed, index) >= probability ? 1.0 / (1.0 - probability) : 0.0;
        };
    }

    /** A YAML base with keys replaced by the override's (simple top-level keys, one per line). */
    static String merge(String base, String override) {
        StringBuilder out = new StringBuilder();
        for (String line : base.split("\n")) {
            String key = line.substring(0, line.indexOf(':'));
            if (!override.startsWith(key + ":") && !override.contains("\n" + key + ":")) {
                out.append(line).append('\n');
            }
        }
        return out.append(override).toString();
    }

    static double[] widen(float[] values) {
        double[] wide = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            wide[i] = values[i];
        }
        return wide;
    }

    /** Element-wise closeness relative to the largest expected magnitude of the tensor. */
    static final class Closeness {
        static void assertClose(String what, double[] expected, float[] actual, double relative) {
            double scale = 0;
            for (double e : expected) {
                scale = Math.max(scale, Math.abs(e));
            }
            double worst = 0;
            int worstAt = -1;
            for (int i = 0; i < expected.length; i++) {
                double error = Math.abs(expected[i] - actual[i]);
                if (!(error <= worst)) { // NaN counts as the worst
                    worst = error;
                    worstAt = i;
                }
            }
            double allowed = relative * scale + 1e-6;
            double w = worst;
            int at = worstAt;
            assertTrue(w <= allowed, () -> what + ": element " + at + " is " + actual[at] + ", expected " + expected[at] + " (error " + w
                    + " > allowed " + allowed + ")");
        }
    }
}
