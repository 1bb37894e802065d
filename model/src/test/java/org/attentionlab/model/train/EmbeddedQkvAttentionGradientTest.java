package org.attentionlab.model.train;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.TrainableTokenLayer;
import org.attentionlab.model.layers.EmbeddedQkvAttention;
import org.attentionlab.model.reference.ModelReference;
import org.attentionlab.model.spec.BlockSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ape's layer (token ids → rows of {@code embedding.weight} split into q, k and v → attention with the APE bias) against
 * central finite differences of its float64 forward: the table's gradient gathers every position's dq, dk and dv into
 * its id's row (ids repeat), through each mask, bias and attention algorithm the layer can be given. Tolerance as the
 * block test's (1e-5 of the largest gradient).
 */
class EmbeddedQkvAttentionGradientTest {

    static final int BATCH = 2;
    static final int SEQ = 6;
    static final int VOCAB = 5;

    static Stream<Arguments> layers() {
        return Stream.of(Arguments.of("the notebook's: APE, bidirectional", ""),
                Arguments.of("causal, ALiBi, two heads", "causal: true\nposition_embedding: alibi\nnum_attention_heads: 2\n"),
                Arguments.of("RoPE, QK-norm, flash", "position_embedding: rope\nqk_norm: true\nattention_algorithm: flash\nnum_attention_heads: 2\n"),
                Arguments.of("sliding window, a global token, memory efficient", "sliding_window: 2\nlayer_types: [sliding_attention]\nglobal_tokens: [1]\n"
                        + "attention_algorithm: memory_efficient\nchunk_size: 2\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void gradientsMatchFiniteDifferences(String name, String yaml) {
        ModelSpec spec = ConfigLoader.parse("architecture: ape\nvocab_size: " + VOCAB + "\nhidden_size: 8\n" + yaml, Path.of("ape.yaml"));
        Model model = Model.build(spec);
        LayerTrainingRun.randomizeParameters(model, 51);
        TrainableTokenLayer layer = (TrainableTokenLayer) model.layers().stream().filter(l -> l instanceof EmbeddedQkvAttention).findFirst().orElseThrow();
        int[] ids = new SplittableRandom(9).ints(BATCH * SEQ, 0, VOCAB).toArray();
        float[] dOut = LayerTrainingRun.random(BATCH * SEQ * 8, 10);
        LayerTrainingRun.Result result = LayerTrainingRun.runTokens(model, layer, BATCH, SEQ, ids, dOut);
        BlockSpec block = spec.blocks().get(0);
        LayerGradients.assertMatchFiniteDifferences(result, LayerTrainingRun.parameters(model), "embedding.", null, TransformerBlockGradientTest.widen(dOut),
                (parameters, unused) -> new ModelReference(parameters, BATCH, SEQ, ModelReference.DropoutMask.NONE).embeddedQkvAttention(block, ids, 8),
                1e-5);
    }
}
