package org.attentionlab.model.train;

import java.nio.file.Path;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.layers.DenseStack;
import org.attentionlab.model.reference.ModelReference;
import org.attentionlab.model.spec.HiddenAct;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The MLP head of hybrid_lstm_attention_mlp ({@code mlp.<i>}: a linear layer and the activation per width) against
 * central finite differences of its float64 forward, on the pooled output (one row per sequence) and on every position,
 * with every activation. Tolerance as the block test's (1e-5 of each tensor's largest gradient).
 */
class DenseStackGradientTest {

    static final int BATCH = 2;
    static final int SEQ = 5;

    @ParameterizedTest(name = "{0}, output {1}")
    @CsvSource({ "relu, last", "gelu, all", "silu, mean", "gelu_pytorch_tanh, all" })
    void gradientsMatchFiniteDifferences(String act, String output) {
        ModelSpec spec = ConfigLoader.parse("""
                architecture: hybrid_lstm_attention_mlp
                embed_dim: 3
                lstm_hidden_size: 6
                num_attention_heads: 1
                head_dim: 2
                mlp_sizes: [7, 5, 4]
                hidden_act: %s
                output: %s
                dropout: 0
                """.formatted(act, output), Path.of("mlp.yaml"));
        Model model = Model.build(spec);
        LayerTrainingRun.randomizeParameters(model, 41);
        TrainableLayer mlp = (TrainableLayer) model.layers().stream().filter(l -> l instanceof DenseStack).findFirst().orElseThrow();
        int rows = output.equals("all") ? BATCH * SEQ : BATCH;
        float[] x = LayerTrainingRun.random(rows * 6, 7);
        float[] dOut = LayerTrainingRun.random(rows * 4, 8);
        LayerTrainingRun.Result result = LayerTrainingRun.run(model, mlp, BATCH, SEQ, x, dOut, LayerTrainingRun.Dropout.OFF);
        HiddenAct activation = HiddenAct.valueOf(act.toUpperCase(java.util.Locale.ROOT));
        LayerGradients.assertMatchFiniteDifferences(result, LayerTrainingRun.parameters(model), "mlp.", TransformerBlockGradientTest.widen(x),
                TransformerBlockGradientTest.widen(dOut),
                (parameters, input) -> new ModelReference(parameters, BATCH, SEQ, ModelReference.DropoutMask.NONE).denseStack(input, rows, 6, 3, activation),
                1e-5);
    }
}
