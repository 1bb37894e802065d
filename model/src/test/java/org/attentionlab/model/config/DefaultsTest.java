package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a config that names only its architecture resolves to; the numbers come from the seeds and the README. */
class DefaultsTest {

    private static ModelConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, Path.of("defaults.yaml"));
    }

    private static void assertCommonDefaults(ModelConfig config) {
        assertEquals(10000.0, config.ropeTheta());
        assertEquals(RopePairing.NEOX, config.ropePairing());
        assertEquals(0.0, config.attentionDropout());
        assertEquals(1e-5, config.layerNormEps());
        assertEquals(HiddenAct.GELU, config.hiddenAct());
        assertEquals(SinusoidalVariant.STANDARD, config.sinusoidalVariant());
        assertEquals(AlibiSlopes.REFERENCE, config.alibiSlopes());
        assertEquals(0.1, config.apeScale());
        assertEquals(AttentionAlgorithm.STANDARD, config.attentionAlgorithm());
        assertEquals(32, config.chunkSize());
        assertFalse(config.qkNorm());
        assertEquals(List.of(), config.globalTokens());
        assertEquals(0L, config.seed());
        assertEquals("jvm", config.device());
        assertEquals(config.numAttentionHeads(), config.numKeyValueHeads());
        for (LayerConfig layer : config.layers()) {
            assertEquals(AttentionAlgorithm.STANDARD, layer.attentionAlgorithm());
            assertEquals(32, layer.chunkSize());
            assertFalse(layer.qkNorm());
            assertEquals(10000.0, layer.ropeTheta());
        }
    }

    @Test
    void rnopeSwaIsEdificeRNoPESWA() throws ConfigException {
        ModelConfig config = parse("architecture: rnope_swa\nembed_dim: 32\n");
        assertCommonDefaults(config);
        assertEquals(32, config.embedDim());
        assertEquals(256, config.hiddenSize());
        assertEquals(4, config.numAttentionHeads());
        assertEquals(64, config.headDim());
        assertEquals(6, config.numHiddenLayers());
        assertEquals(1024, config.intermediateSize());
        assertEquals(128, config.slidingWindow());
        assertEquals(Collections.nCopies(6, LayerType.SLIDING), config.layerTypes());
        assertTrue(config.layers().stream().allMatch(layer -> layer.window() == 128));
        assertTrue(config.layers().stream().allMatch(layer -> layer.positionEmbedding() == PositionEmbedding.NONE));
        assertEquals(0.1, config.dropout());
        assertEquals(PositionEmbedding.NONE, config.positionEmbedding());
        assertEquals(Norm.LAYERNORM, config.norm());
        assertEquals(NormPosition.PRE, config.normPosition());
        assertEquals(OutputMode.LAST, config.output());
        assertTrue(config.causal());
        assertEquals(0, config.vocabSize());
        assertEquals(0, config.lstmHiddenSize());
        assertEquals(List.of(), config.mlpSizes());
    }

    @Test
    void multiheadSlidingWindowIsEdificeMultiHead() throws ConfigException {
        ModelConfig config = parse("architecture: multihead_sliding_window\nembed_dim: 1024\n");
        assertCommonDefaults(config);
        assertEquals(4, config.numAttentionHeads());
        assertEquals(64, config.headDim());
        assertEquals(256, config.hiddenSize());
        assertEquals(2, config.numHiddenLayers());
        assertEquals(256, config.intermediateSize());
        assertEquals(60, config.slidingWindow());
        assertEquals(List.of(LayerType.SLIDING, LayerType.SLIDING), config.layerTypes());
        assertEquals(PositionEmbedding.SINUSOIDAL, config.positionEmbedding());
        assertTrue(config.sinusoidalInput());
        assertTrue(config.layers().stream().allMatch(layer -> layer.positionEmbedding() == PositionEmbedding.NONE));
        assertEquals(NormPosition.POST, config.normPosition());
        assertEquals(0.1, config.dropout());
        assertEquals(OutputMode.LAST, config.output());
    }

    @Test
    void multiheadHiddenSizeOverridesHeadDimLikeEdificeBuild() throws ConfigException {
        ModelConfig config = parse("architecture: multihead_sliding_window\nembed_dim: 8\nhidden_size: 128\n");
        assertEquals(128, config.hiddenSize());
        assertEquals(32, config.headDim());
        ModelConfig byHeadDim = parse("architecture: multihead_sliding_window\nembed_dim: 8\nhead_dim: 16\n"
                + "num_attention_heads: 2\n");
        assertEquals(32, byHeadDim.hiddenSize());
    }

    @Test
    void hybridsAreEdificeBuildHybrid() throws ConfigException {
        for (String name : List.of("hybrid_lstm_attention", "hybrid_lstm_attention_mlp")) {
            ModelConfig config = parse("architecture: " + name + "\nembed_dim: 16\n");
            assertCommonDefaults(config);
            assertEquals(256, config.lstmHiddenSize());
            assertEquals(1, config.lstmLayers());
            assertEquals(4, config.numAttentionHeads());
            assertEquals(64, config.headDim());
            assertEquals(256, config.hiddenSize());
            assertEquals(1, config.numHiddenLayers());
            assertEquals(0, config.intermediateSize());
            assertEquals(0, config.slidingWindow());
            assertEquals(List.of(LayerType.FULL), config.layerTypes());
            assertEquals(0, config.layers().get(0).window());
            assertTrue(config.causal());
            assertEquals(0.1, config.dropout());
            assertEquals(NormPosition.POST, config.normPosition());
            assertEquals(OutputMode.LAST, config.output());
            assertEquals(name.endsWith("mlp") ? List.of(256, 256) : List.of(), config.mlpSizes());
        }
    }

    @Test
    void rnopeSwaHybridIsCohereStyle() throws ConfigException {
        ModelConfig config = parse("architecture: rnope_swa_hybrid\nembed_dim: 64\nnum_hidden_layers: 8\n");
        assertCommonDefaults(config);
        assertEquals(256, config.hiddenSize());
        assertEquals(4, config.numAttentionHeads());
        assertEquals(4096, config.slidingWindow());
        List<LayerType> expectedTypes = List.of(LayerType.SLIDING, LayerType.SLIDING, LayerType.SLIDING,
                LayerType.FULL, LayerType.SLIDING, LayerType.SLIDING, LayerType.SLIDING, LayerType.FULL);
        assertEquals(expectedTypes, config.layerTypes());
        for (LayerConfig layer : config.layers()) {
            boolean full = layer.layerType() == LayerType.FULL;
            assertEquals(full ? PositionEmbedding.NONE : PositionEmbedding.ROPE, layer.positionEmbedding());
            assertEquals(full ? 0 : 4096, layer.window());
            assertEquals(RopePairing.NEOX, layer.ropePairing());
        }
        assertEquals(4, parse("architecture: rnope_swa_hybrid\nembed_dim: 64\n").numHiddenLayers());
        assertEquals(OutputMode.ALL, config.output());
        assertEquals(0.0, config.dropout());
        assertEquals(NormPosition.PRE, config.normPosition());
    }

    @Test
    void rnopeSwaHybridGlobalEncodingAppliesToSlidingLayersOnly() throws ConfigException {
        ModelConfig config = parse("architecture: rnope_swa_hybrid\nembed_dim: 64\nposition_embedding: alibi\n");
        assertEquals(List.of(PositionEmbedding.ALIBI, PositionEmbedding.ALIBI, PositionEmbedding.ALIBI,
                PositionEmbedding.NONE), config.layers().stream().map(LayerConfig::positionEmbedding).toList());
        ModelConfig gptj = parse("architecture: rnope_swa_hybrid\nembed_dim: 64\nrope_pairing: gptj\n"
                + "norm_position: parallel\n");
        assertEquals(RopePairing.GPTJ, gptj.layers().get(0).ropePairing());
        assertEquals(NormPosition.PARALLEL, gptj.normPosition());
    }

    @Test
    void apeIsTheNotebook() throws ConfigException {
        ModelConfig config = parse("architecture: ape\n");
        assertCommonDefaults(config);
        assertEquals(0, config.embedDim());
        assertEquals(100, config.vocabSize());
        assertEquals(64, config.hiddenSize());
        assertEquals(1, config.numAttentionHeads());
        assertEquals(64, config.headDim());
        assertEquals(1, config.numHiddenLayers());
        assertEquals(0, config.intermediateSize());
        assertEquals(List.of(LayerType.FULL), config.layerTypes());
        assertEquals(PositionEmbedding.APE, config.layers().get(0).positionEmbedding());
        assertFalse(config.causal());
        assertEquals(Norm.NONE, config.norm());
        assertEquals(OutputMode.ALL, config.output());
    }

    @Test
    void explicitValuesReplaceDefaults() throws ConfigException {
        ModelConfig config = parse("""
                architecture: rnope_swa
                embed_dim: 48
                hidden_size: 96
                num_attention_heads: 6
                num_key_value_heads: 2
                num_hidden_layers: 3
                intermediate_size: 0
                sliding_window: 7
                rope_theta: 500000
                rope_pairing: gptj
                attention_dropout: 0.25
                dropout: 0
                layer_norm_eps: 1.0e-6
                hidden_act: gelu_pytorch_tanh
                position_embedding: alibi
                alibi_slopes: edifice
                ape_scale: -0.5
                attention_algorithm: memory_efficient
                chunk_size: 5
                qk_norm: true
                norm: rmsnorm
                norm_position: parallel
                global_tokens: [9, 0, 4]
                output: mean
                causal: false
                seed: -12345678901
                device: tornado:1:2
                """);
        assertEquals(96, config.hiddenSize());
        assertEquals(16, config.headDim());
        assertEquals(2, config.numKeyValueHeads());
        assertEquals(32, config.keyValueWidth());
        assertEquals(96, config.queryWidth());
        assertEquals(0, config.intermediateSize());
        assertEquals(500000.0, config.ropeTheta());
        assertEquals(0.25, config.attentionDropout());
        assertEquals(0.0, config.dropout());
        assertEquals(1e-6, config.layerNormEps());
        assertEquals(HiddenAct.GELU_PYTORCH_TANH, config.hiddenAct());
        assertEquals(AlibiSlopes.EDIFICE, config.alibiSlopes());
        assertEquals(-0.5, config.apeScale());
        assertEquals(Norm.RMSNORM, config.norm());
        assertEquals(NormPosition.PARALLEL, config.normPosition());
        assertEquals(List.of(0, 4, 9), config.globalTokens());
        assertEquals(OutputMode.MEAN, config.output());
        assertFalse(config.causal());
        assertEquals(-12345678901L, config.seed());
        assertEquals("tornado:1:2", config.device());
        for (LayerConfig layer : config.layers()) {
            assertEquals(7, layer.window());
            assertEquals(PositionEmbedding.ALIBI, layer.positionEmbedding());
            assertEquals(AttentionAlgorithm.MEMORY_EFFICIENT, layer.attentionAlgorithm());
            assertEquals(5, layer.chunkSize());
            assertTrue(layer.qkNorm());
            assertEquals(500000.0, layer.ropeTheta());
            assertEquals(RopePairing.GPTJ, layer.ropePairing());
        }
    }

    @Test
    void layerCountFollowsLayerTypesWhenNotGiven() throws ConfigException {
        ModelConfig config = parse("architecture: rnope_swa\nembed_dim: 8\n"
                + "layer_types: [full_attention, sliding_attention, full_attention]\n");
        assertEquals(3, config.numHiddenLayers());
        assertEquals(List.of(LayerType.FULL, LayerType.SLIDING, LayerType.FULL), config.layerTypes());
        assertEquals(List.of(0, 128, 0), config.layers().stream().map(LayerConfig::window).toList());
    }

    @Test
    void oneLineNamesTheImportantFields() throws ConfigException {
        String line = parse("architecture: rnope_swa_hybrid\nembed_dim: 64\nnum_key_value_heads: 2\n").oneLine();
        assertEquals("rnope_swa_hybrid: embed_dim 64 -> hidden 256, 4 layers (3 sliding W=4096, 1 full),"
                + " heads 4x64 kv 2, ffn 1024 gelu, pe none on 1, rope (theta 10000, neox) on 3, layernorm pre,"
                + " causal, standard attention, output all, default device jvm, seed 0", line);
        String ape = parse("architecture: ape\n").oneLine();
        assertEquals("ape: vocab 100 -> hidden 64, 1 layer (1 full), heads 1x64, no ffn, pe ape (scale 0.1), none,"
                + " bidirectional, standard attention, output all, default device jvm, seed 0", ape);
    }
}
