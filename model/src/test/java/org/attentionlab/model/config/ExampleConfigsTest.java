package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.attentionlab.model.ExampleConfigs;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.FfnSpec;
import org.attentionlab.model.spec.FfnType;
import org.attentionlab.model.spec.HiddenAct;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.LmHeadSpec;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.spec.NormSpec;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.spec.RopePairing;
import org.attentionlab.model.spec.RopeSpec;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The configs shipped in configs/ load, and say what their comments claim. */
class ExampleConfigsTest {

    private static final Path CONFIGS = Path.of("..", "configs");

    private static ModelSpec load(String relative) throws ConfigException {
        return ConfigLoader.load(CONFIGS.resolve(relative));
    }

    @TestFactory
    Stream<DynamicTest> everyExampleLoads() throws IOException {
        List<Path> files = ExampleConfigs.examples();
        assertTrue(files.size() >= 7, "expected the example configs under " + CONFIGS.toAbsolutePath());
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : files) {
            tests.add(DynamicTest.dynamicTest(CONFIGS.relativize(file).toString(), () -> {
                ModelSpec config = ConfigLoader.load(file);
                assertEquals(config.settings().get(Keys.NUM_HIDDEN_LAYERS), config.blocks().size());
                String line = config.oneLine();
                assertFalse(line.contains("\n"));
                assertTrue(line.startsWith(config.architecture().yamlName() + ":"), line);
            }));
        }
        return tests.stream();
    }

    @Test
    void rnopeSwaExampleIsExactlyTheEdificeDefaults() throws ConfigException {
        ModelSpec written = load("rnope-swa.yaml");
        ModelSpec defaults = ConfigLoader.parse("architecture: rnope_swa\nembed_dim: 256\n", written.source());
        assertEquals(defaults, written);
    }

    @Test
    void multiheadExample() throws ConfigException {
        ModelSpec config = load("multihead-sliding-window.yaml");
        assertEquals(256, config.hiddenSize());
        assertEquals(List.of(60, 60), config.blocks().stream().map(BlockSpec::window).toList());
        assertTrue(((InputSpec.Features) config.input()).sinusoidal().isPresent());
        assertEquals(NormPosition.POST, config.normPosition());
        assertEquals(256, config.blocks().get(0).ffn().orElseThrow().size());
    }

    @Test
    void hybridExamples() throws ConfigException {
        ModelSpec plain = load("hybrid-lstm-attention.yaml");
        assertEquals(256, plain.settings().get(Keys.LSTM_HIDDEN_SIZE));
        assertEquals(1, plain.settings().get(Keys.LSTM_LAYERS));
        assertEquals(List.of(LayerType.FULL), plain.layerTypes());
        assertTrue(plain.blocks().get(0).attention().mask().causal());
        ModelSpec mlp = load("hybrid-lstm-attention-mlp.yaml");
        assertEquals(List.of(256, 256), mlp.settings().get(Keys.MLP_SIZES));
    }

    @Test
    void cohereExampleIsCohere2sLayout() throws ConfigException {
        ModelSpec config = load("rnope-swa-hybrid.yaml");
        assertEquals(List.of(LayerType.SLIDING, LayerType.SLIDING, LayerType.SLIDING, LayerType.FULL),
                config.layerTypes());
        assertEquals(List.of(PositionEmbedding.ROPE, PositionEmbedding.ROPE, PositionEmbedding.ROPE,
                PositionEmbedding.NONE), config.blocks().stream().map(BlockSpec::positionEmbedding).toList());
        assertEquals(List.of(4096, 4096, 4096, 0), config.blocks().stream().map(BlockSpec::window).toList());
        assertEquals(2, config.blocks().get(0).attention().kvHeads());
        assertEquals(new InputSpec.TokenIds(256), config.input());
        assertEquals(Optional.of(new LmHeadSpec(256, true, 0.0625)), config.lmHead());
        for (BlockSpec block : config.blocks()) {
            assertEquals(NormPosition.PARALLEL, block.normPosition());
            assertEquals(new NormSpec(Norm.LAYERNORM, 1e-5, false), block.norm());
            assertEquals(Optional.of(new FfnSpec(1024, FfnType.SWIGLU, HiddenAct.SILU, false)), block.ffn());
            assertFalse(block.attentionBias());
            block.attention().rope().ifPresent(rope -> assertEquals(new RopeSpec(10000, RopePairing.GPTJ), rope));
        }
    }

    @Test
    void apeExample() throws ConfigException {
        ModelSpec config = load("ape.yaml");
        assertEquals(new InputSpec.TokenIds(100), config.input());
        assertEquals(64, config.hiddenSize());
        assertEquals(PositionEmbedding.APE, config.blocks().get(0).positionEmbedding());
        assertFalse(config.blocks().get(0).attention().mask().causal());
    }

    @Test
    void ropeAblationDiffersFromItsBaseOnlyInPositionEmbedding() throws ConfigException {
        ModelSpec base = load("rnope-swa.yaml");
        ModelSpec ablation = load("ablations/rnope-swa-rope.yaml");
        assertTrue(ablation.blocks().stream().allMatch(b -> b.positionEmbedding() == PositionEmbedding.ROPE));
        RopeSpec rope = new RopeSpec(base.settings().get(Keys.ROPE_THETA), base.settings().get(Keys.ROPE_PAIRING));
        assertEquals(new RopeSpec(10000, RopePairing.NEOX), rope);
        List<BlockSpec> baseBlocksWithRope = base.blocks().stream()
                .map(b -> new BlockSpec(b.index(), new org.attentionlab.model.spec.AttentionSpec(b.attention().heads(), b.attention().kvHeads(),
                        b.attention().headDim(), b.attention().mask(), b.attention().bias(), java.util.Optional.of(rope), b.attention().qkNorm(),
                        b.attention().normEps(), b.attention().algorithm(), b.attention().chunkSize(), b.attention().dropout()), b.attentionBias(), b.ffn(), b.norm(), b.normPosition(),
                        b.sinusoidalInput(), b.dropout()))
                .toList();
        assertEquals(baseBlocksWithRope, ablation.blocks());
        assertEquals(base.input(), ablation.input());
        assertEquals(base.oneLine().replace("pe none", "pe rope (theta 10000, neox)"), ablation.oneLine());
    }

    @Test
    void alibiAblationAppliesItsOverrides() throws ConfigException {
        ModelSpec config = load("ablations/rnope-swa-alibi-first-half.yaml");
        assertEquals(List.of(PositionEmbedding.ALIBI, PositionEmbedding.ALIBI, PositionEmbedding.ALIBI,
                PositionEmbedding.NONE, PositionEmbedding.NONE, PositionEmbedding.NONE),
                config.blocks().stream().map(BlockSpec::positionEmbedding).toList());
        assertEquals(LayerType.FULL, config.blocks().get(5).layerType());
        assertEquals(0, config.blocks().get(5).window());
    }
}
