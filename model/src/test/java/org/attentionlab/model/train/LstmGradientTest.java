package org.attentionlab.model.train;

import java.nio.file.Path;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.exec.LaunchGeometry;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.layers.Lstm;
import org.attentionlab.model.reference.ModelReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The stacked LSTM's backward (through its layers and through time: the gate gradients, W_hh and both biases from
 * them, W_ih and the input gradient as the input projection's linear backward) against central finite differences of
 * torch.nn.LSTM's equations in float64 ({@code LstmReference}, layer by layer), for one to three layers with inputs
 * narrower and wider than the hidden state.
 *
 * <p>Tolerance 1e-5 of each tensor's largest gradient, as the transformer block's: float32 sums of a few dozen terms
 * per step, carried through at most 6 steps of the recurrence (worst seen below 1e-6). Leaving out one step's
 * recurrent term, or adding the gates' sum to b_ih twice, is an error of the gradient's own size.
 */
class LstmGradientTest {

    static final int BATCH = 2;
    static final int SEQ = 6;

    @ParameterizedTest(name = "{0} layer(s), input {1}, hidden {2}")
    @CsvSource({ "1, 5, 4", "2, 3, 6", "3, 4, 3" })
    void gradientsMatchFiniteDifferences(int layers, int inputSize, int hidden) {
        check(layers, inputSize, hidden, LayerTrainingRun.ROW_BLOCKS);
    }

    /** The input projections register-tiled ({@code linearTiled}, {@code productTiled}), as on an OpenCL CPU device. */
    @ParameterizedTest(name = "register tiles, {0} layer(s), input {1}, hidden {2}")
    @CsvSource({ "2, 3, 6" })
    void registerTiledGradientsMatchFiniteDifferences(int layers, int inputSize, int hidden) {
        check(layers, inputSize, hidden, LayerTrainingRun.REGISTER_TILES);
    }

    /** The same with the tiles for 8 lanes ({@code vector_lanes: 8}). */
    @ParameterizedTest(name = "register tiles for 8 lanes, {0} layer(s), input {1}, hidden {2}")
    @CsvSource({ "2, 3, 6" })
    void eightLaneRegisterTiledGradientsMatchFiniteDifferences(int layers, int inputSize, int hidden) {
        check(layers, inputSize, hidden, LayerTrainingRun.REGISTER_TILES_8_LANES);
    }

    private static void check(int layers, int inputSize, int hidden, LaunchGeometry geometry) {
        Model model = Model.build(ConfigLoader.parse("""
                architecture: hybrid_lstm_attention
                embed_dim: %d
                lstm_hidden_size: %d
                lstm_layers: %d
                num_attention_heads: 1
                head_dim: 2
                dropout: 0
                """.formatted(inputSize, hidden, layers), Path.of("lstm.yaml")));
        LayerTrainingRun.randomizeParameters(model, 31 + layers);
        TrainableLayer lstm = (TrainableLayer) model.layers().stream().filter(l -> l instanceof Lstm).findFirst().orElseThrow();
        float[] x = LayerTrainingRun.random(BATCH * SEQ * inputSize, 5);
        float[] dOut = LayerTrainingRun.random(BATCH * SEQ * hidden, 6);
        LayerTrainingRun.Result result = LayerTrainingRun.run(model, java.util.List.of(lstm), BATCH, SEQ, FloatArray.fromArray(x), dOut,
                LayerTrainingRun.Dropout.OFF, geometry);
        LayerGradients.assertMatchFiniteDifferences(result, LayerTrainingRun.parameters(model), "lstm.", TransformerBlockGradientTest.widen(x),
                TransformerBlockGradientTest.widen(dOut),
                (parameters, input) -> new ModelReference(parameters, BATCH, SEQ, ModelReference.DropoutMask.NONE).lstm(input, inputSize, hidden, layers),
                1e-5);
    }
}
