package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import org.attentionlab.model.spec.AlibiSlopes;
import org.attentionlab.model.spec.AttentionAlgorithm;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.Device;
import org.attentionlab.model.spec.HiddenAct;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.PositionBias;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.spec.RopePairing;
import org.attentionlab.model.spec.RopeSpec;
import org.attentionlab.model.spec.SinusoidalVariant;
import org.attentionlab.model.spec.Window;
import org.junit.jupiter.api.Test;

/** What a config that names only its architecture resolves to; the numbers come from the seeds and the README. */
class DefaultsTest {

    static ModelSpec parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, Path.of("defaults.yaml"));
    }

    private static void assertCommonDefaults(ModelSpec spec) {
        Settings s = spec.settings();
        assertEquals(10000.0, s.get(Keys.ROPE_THETA));
        assertEquals(RopePairing.NEOX, s.get(Keys.ROPE_PAIRING));
        assertEquals(0.0, s.get(Keys.ATTENTION_DROPOUT));
        assertEquals(1e-5, s.get(Keys.LAYER_NORM_EPS));
        assertEquals(HiddenAct.GELU, s.get(Keys.HIDDEN_ACT));
        assertEquals(SinusoidalVariant.STANDARD, s.get(Keys.SINUSOIDAL_VARIANT));
        assertEquals(AlibiSlopes.REFERENCE, s.get(Keys.ALIBI_SLOPES));
        assertEquals(0.1, s.get(Keys.APE_SCALE));
        assertEquals(AttentionAlgorithm.STANDARD, s.get(Keys.ATTENTION_ALGORITHM));
        assertEquals(32, s.get(Keys.CHUNK_SIZE));
        assertFalse(s.get(Keys.QK_NORM));
        assertEquals(List.of(), s.get(Keys.GLOBAL_TOKENS));
        assertEquals(0L, spec.seed());
        assertEquals(Device.JVM, spec.device());
        assertEquals(s.get(Keys.NUM_ATTENTION_HEADS), s.get(Keys.NUM_KEY_VALUE_HEADS));
        for (BlockSpec block : spec.blocks()) {
            assertEquals(AttentionAlgorithm.STANDARD, block.attention().algorithm());
            assertEquals(32, block.attention().chunkSize());
            assertFalse(block.attention().qkNorm());
            assertEquals(1e-5, block.attention().normEps());
            block.attention().rope().ifPresent(rope -> assertEquals(new RopeSpec(10000, RopePairing.NEOX), rope));
        }
    }

    @Test
    void rnopeSwaIsEdificeRNoPESWA() throws ConfigException {
        ModelSpec spec = parse("architecture: rnope_swa\nembed_dim: 32\n");
        Settings s = spec.settings();
        assertCommonDefaults(spec);
        assertEquals(new InputSpec.Features(32, Optional.empty()), spec.input());
        assertEquals(256, spec.hiddenSize());
        assertEquals(4, s.get(Keys.NUM_ATTENTION_HEADS));
        assertEquals(64, s.get(Keys.HEAD_DIM));
        assertEquals(6, s.get(Keys.NUM_HIDDEN_LAYERS));
        assertEquals(1024, s.get(Keys.INTERMEDIATE_SIZE));
        assertEquals(new Window.Sliding(128), s.get(Keys.SLIDING_WINDOW));
        assertEquals(Collections.nCopies(6, LayerType.SLIDING), spec.layerTypes());
        assertTrue(spec.blocks().stream().allMatch(b -> b.window() == 128));
        assertTrue(spec.blocks().stream().allMatch(b -> b.positionEmbedding() == PositionEmbedding.NONE));
        assertTrue(spec.blocks().stream().allMatch(b -> b.ffn().orElseThrow().size() == 1024 && b.ffn().get().act() == HiddenAct.GELU));
        assertEquals(0.1, s.get(Keys.DROPOUT));
        assertEquals(PositionEmbedding.NONE, s.get(Keys.POSITION_EMBEDDING));
        assertEquals(Norm.LAYERNORM, s.get(Keys.NORM));
        assertEquals(NormPosition.PRE, spec.normPosition());
        assertEquals(OutputMode.LAST, spec.output());
        assertTrue(s.get(Keys.CAUSAL));
        assertTrue(s.find(Keys.VOCAB_SIZE).isEmpty());
        assertTrue(s.find(Keys.LSTM_HIDDEN_SIZE).isEmpty());
        assertTrue(s.find(Keys.MLP_SIZES).isEmpty());
    }

    @Test
    void multiheadSlidingWindowIsEdificeMultiHead() throws ConfigException {
        ModelSpec spec = parse("architecture: multihead_sliding_window\nembed_dim: 1024\n");
        Settings s = spec.settings();
        assertCommonDefaults(spec);
        assertEquals(4, s.get(Keys.NUM_ATTENTION_HEADS));
        assertEquals(64, s.get(Keys.HEAD_DIM));
        assertEquals(256, spec.hiddenSize());
        assertEquals(2, spec.blocks().size());
        assertEquals(256, s.get(Keys.INTERMEDIATE_SIZE));
        assertEquals(new Window.Sliding(60), s.get(Keys.SLIDING_WINDOW));
        assertEquals(List.of(LayerType.SLIDING, LayerType.SLIDING), spec.layerTypes());
        assertEquals(PositionEmbedding.SINUSOIDAL, s.get(Keys.POSITION_EMBEDDING));
        assertEquals(new InputSpec.Features(1024, Optional.of(SinusoidalVariant.STANDARD)), spec.input());
        assertTrue(spec.blocks().stream().allMatch(b -> b.positionEmbedding() == PositionEmbedding.NONE));
        assertEquals(NormPosition.POST, spec.normPosition());
        assertEquals(0.1, s.get(Keys.DROPOUT));
        assertEquals(OutputMode.LAST, spec.output());
    }

    @Test
    void multiheadHiddenSizeOverridesHeadDimLikeEdificeBuild() throws ConfigException {
        ModelSpec spec = parse("architecture: multihead_sliding_window\nembed_dim: 8\nhidden_size: 128\n");
        assertEquals(128, spec.hiddenSize());
        assertEquals(32, spec.settings().get(Keys.HEAD_DIM));
        ModelSpec byHeadDim = parse("architecture: multihead_sliding_window\nembed_dim: 8\nhead_dim: 16\nnum_attention_heads: 2\n");
        assertEquals(32, byHeadDim.hiddenSize());
    }

    @Test
    void hybridsAreEdificeBuildHybrid() throws ConfigException {
        for (String name : List.of("hybrid_lstm_attention", "hybrid_lstm_attention_mlp")) {
            ModelSpec spec = parse("architecture: " + name + "\nembed_dim: 16\n");
            Settings s = spec.settings();
            assertCommonDefaults(spec);
            assertEquals(256, s.get(Keys.LSTM_HIDDEN_SIZE));
            assertEquals(1, s.get(Keys.LSTM_LAYERS));
            assertEquals(4, s.get(Keys.NUM_ATTENTION_HEADS));
            assertEquals(64, s.get(Keys.HEAD_DIM));
            assertEquals(256, spec.hiddenSize());
            assertEquals(1, spec.blocks().size());
            assertEquals(0, s.get(Keys.INTERMEDIATE_SIZE));
            assertTrue(spec.blocks().get(0).ffn().isEmpty());
            assertTrue(s.find(Keys.SLIDING_WINDOW).isEmpty());
            assertEquals(List.of(LayerType.FULL), spec.layerTypes());
            assertEquals(0, spec.blocks().get(0).window());
            assertTrue(s.get(Keys.CAUSAL));
            assertEquals(0.1, s.get(Keys.DROPOUT));
            assertEquals(NormPosition.POST, spec.normPosition());
            assertEquals(OutputMode.LAST, spec.output());
            assertEquals(name.endsWith("mlp") ? Optional.of(List.of(256, 256)) : Optional.empty(), s.find(Keys.MLP_SIZES));
        }
    }

    @Test
    void rnopeSwaHybridIsCohereStyle() throws ConfigException {
        ModelSpec spec = parse("architecture: rnope_swa_hybrid\nembed_dim: 64\nnum_hidden_layers: 8\n");
        assertCommonDefaults(spec);
        assertEquals(256, spec.hiddenSize());
        assertEquals(4, spec.settings().get(Keys.NUM_ATTENTION_HEADS));
        assertEquals(new Window.Sliding(4096), spec.settings().get(Keys.SLIDING_WINDOW));
        List<LayerType> expectedTypes = List.of(LayerType.SLIDING, LayerType.SLIDING, LayerType.SLIDING, LayerType.FULL, LayerType.SLIDING,
                LayerType.SLIDING, LayerType.SLIDING, LayerType.FULL);
        assertEquals(expectedTypes, spec.layerTypes());
        assertEquals(expectedTypes, spec.settings().get(Keys.LAYER_TYPES));
        for (BlockSpec block : spec.blocks()) {
            boolean full = block.layerType() == LayerType.FULL;
            assertEquals(full ? PositionEmbedding.NONE : PositionEmbedding.ROPE, block.positionEmbedding());
            assertEquals(full ? 0 : 4096, block.window());
            assertEquals(full ? Optional.empty() : Optional.of(new RopeSpec(10000, RopePairing.NEOX)), block.attention().rope());
        }
        assertEquals(4, parse("architecture: rnope_swa_hybrid\nembed_dim: 64\n").blocks().size());
        assertEquals(OutputMode.ALL, spec.output());
        assertEquals(0.0, spec.settings().get(Keys.DROPOUT));
        assertEquals(NormPosition.PRE, spec.normPosition());
    }

    @Test
    void rnopeSwaHybridGlobalEncodingAppliesToSlidingLayersOnly() throws ConfigException {
        ModelSpec spec = parse("architecture: rnope_swa_hybrid\nembed_dim: 64\nposition_embedding: alibi\n");
        assertEquals(List.of(PositionEmbedding.ALIBI, PositionEmbedding.ALIBI, PositionEmbedding.ALIBI, PositionEmbedding.NONE),
                spec.blocks().stream().map(BlockSpec::positionEmbedding).toList());
        assertEquals(new PositionBias.Alibi(AlibiSlopes.REFERENCE), spec.blocks().get(0).attention().bias());
        ModelSpec gptj = parse("architecture: rnope_swa_hybrid\nembed_dim: 64\nrope_pairing: gptj\nnorm_position: parallel\n");
        assertEquals(RopePairing.GPTJ, gptj.blocks().get(0).attention().rope().orElseThrow().pairing());
        assertEquals(NormPosition.PARALLEL, gptj.normPosition());
        assertEquals(NormPosition.PARALLEL, gptj.blocks().get(0).normPosition());
    }

    @Test
    void apeIsTheNotebook() throws ConfigException {
        ModelSpec spec = parse("architecture: ape\n");
        assertCommonDefaults(spec);
        assertEquals(new InputSpec.TokenIds(100), spec.input());
        assertTrue(spec.settings().find(Keys.EMBED_DIM).isEmpty());
        assertEquals(64, spec.hiddenSize());
        assertEquals(1, spec.settings().get(Keys.NUM_ATTENTION_HEADS));
        assertEquals(64, spec.settings().get(Keys.HEAD_DIM));
        assertEquals(1, spec.blocks().size());
        assertEquals(0, spec.settings().get(Keys.INTERMEDIATE_SIZE));
        assertEquals(List.of(LayerType.FULL), spec.layerTypes());
        assertEquals(PositionEmbedding.APE, spec.blocks().get(0).positionEmbedding());
        assertEquals(new PositionBias.Ape(0.1), spec.blocks().get(0).attention().bias());
        assertFalse(spec.settings().get(Keys.CAUSAL));
        assertEquals(Norm.NONE, spec.norm().kind());
        assertEquals(OutputMode.ALL, spec.output());
    }

    @Test
    void explicitValuesReplaceDefaults() throws ConfigException {
        ModelSpec spec = parse("""
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
        Settings s = spec.settings();
        assertEquals(96, spec.hiddenSize());
        assertEquals(16, s.get(Keys.HEAD_DIM));
        assertEquals(2, s.get(Keys.NUM_KEY_VALUE_HEADS));
        assertEquals(32, spec.blocks().get(0).attention().keyValueWidth());
        assertEquals(96, spec.blocks().get(0).attention().queryWidth());
        assertEquals(0, s.get(Keys.INTERMEDIATE_SIZE));
        assertEquals(500000.0, s.get(Keys.ROPE_THETA));
        assertEquals(0.25, s.get(Keys.ATTENTION_DROPOUT));
        assertEquals(0.0, s.get(Keys.DROPOUT));
        assertEquals(1e-6, s.get(Keys.LAYER_NORM_EPS));
        assertEquals(HiddenAct.GELU_PYTORCH_TANH, s.get(Keys.HIDDEN_ACT));
        assertEquals(AlibiSlopes.EDIFICE, s.get(Keys.ALIBI_SLOPES));
        assertEquals(-0.5, s.get(Keys.APE_SCALE));
        assertEquals(Norm.RMSNORM, spec.norm().kind());
        assertEquals(NormPosition.PARALLEL, spec.normPosition());
        assertEquals(List.of(0, 4, 9), s.get(Keys.GLOBAL_TOKENS));
        assertEquals(OutputMode.MEAN, spec.output());
        assertFalse(s.get(Keys.CAUSAL));
        assertEquals(-12345678901L, spec.seed());
        assertEquals(new Device(1, 2), spec.device());
        for (BlockSpec block : spec.blocks()) {
            assertEquals(7, block.window());
            assertEquals(PositionEmbedding.ALIBI, block.positionEmbedding());
            assertEquals(new PositionBias.Alibi(AlibiSlopes.EDIFICE), block.attention().bias());
            assertEquals(AttentionAlgorithm.MEMORY_EFFICIENT, block.attention().algorithm());
            assertEquals(5, block.attention().chunkSize());
            assertTrue(block.attention().qkNorm());
            assertEquals(1e-6, block.attention().normEps());
            assertFalse(block.attention().mask().causal());
            assertEquals(List.of(0, 4, 9), block.attention().mask().globalTokens());
            assertTrue(block.ffn().isEmpty());
            assertEquals(0.0, block.dropout());
        }
    }

    @Test
    void layerCountFollowsLayerTypesWhenNotGiven() throws ConfigException {
        ModelSpec spec = parse("architecture: rnope_swa\nembed_dim: 8\nlayer_types: [full_attention, sliding_attention, full_attention]\n");
        assertEquals(3, spec.settings().get(Keys.NUM_HIDDEN_LAYERS));
        assertEquals(List.of(LayerType.FULL, LayerType.SLIDING, LayerType.FULL), spec.layerTypes());
        assertEquals(List.of(0, 128, 0), spec.blocks().stream().map(BlockSpec::window).toList());
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
        String dropped = parse("architecture: rnope_swa\nembed_dim: 64\nattention_dropout: 0.1\n").oneLine();
        assertTrue(dropped.contains(", standard attention, attention dropout 0.1, output "), dropped);
    }
}
