package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The configs shipped in configs/ load, and say what their comments claim. */
class ExampleConfigsTest {

    private static final Path CONFIGS = Path.of("..", "configs");

    private static ModelConfig load(String relative) throws ConfigException {
        return ConfigLoader.load(CONFIGS.resolve(relative));
    }

    @TestFactory
    Stream<DynamicTest> everyExampleLoads() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(CONFIGS)) {
            files = walk.filter(path -> path.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(files.size() >= 7, "expected the example configs under " + CONFIGS.toAbsolutePath());
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : files) {
            tests.add(DynamicTest.dynamicTest(CONFIGS.relativize(file).toString(), () -> {
                ModelConfig config = ConfigLoader.load(file);
                assertEquals(config.numHiddenLayers(), config.layers().size());
                String line = config.oneLine();
                assertFalse(line.contains("\n"));
                assertTrue(line.startsWith(config.architecture().yamlName() + ":"), line);
            }));
        }
        return tests.stream();
    }

    @Test
    void rnopeSwaExampleIsExactlyTheEdificeDefaults() throws ConfigException {
        ModelConfig written = load("rnope-swa.yaml");
        ModelConfig defaults = ConfigLoader.parse("architecture: rnope_swa\nembed_dim: 256\n", written.source());
        assertEquals(defaults, written);
    }

    @Test
    void multiheadExample() throws ConfigException {
        ModelConfig config = load("multihead-sliding-window.yaml");
        assertEquals(256, config.hiddenSize());
        assertEquals(List.of(60, 60), config.layers().stream().map(LayerConfig::window).toList());
        assertTrue(config.sinusoidalInput());
        assertEquals(NormPosition.POST, config.normPosition());
        assertEquals(256, config.intermediateSize());
    }

    @Test
    void hybridExamples() throws ConfigException {
        ModelConfig plain = load("hybrid-lstm-attention.yaml");
        assertEquals(256, plain.lstmHiddenSize());
        assertEquals(1, plain.lstmLayers());
        assertEquals(List.of(LayerType.FULL), plain.layerTypes());
        assertTrue(plain.causal());
        ModelConfig mlp = load("hybrid-lstm-attention-mlp.yaml");
        assertEquals(List.of(256, 256), mlp.mlpSizes());
    }

    @Test
    void cohereExampleHasRopeOnSlidingLayersOnly() throws ConfigException {
        ModelConfig config = load("rnope-swa-hybrid.yaml");
        assertEquals(List.of(LayerType.SLIDING, LayerType.SLIDING, LayerType.SLIDING, LayerType.FULL),
                config.layerTypes());
        assertEquals(List.of(PositionEmbedding.ROPE, PositionEmbedding.ROPE, PositionEmbedding.ROPE,
                PositionEmbedding.NONE), config.layers().stream().map(LayerConfig::positionEmbedding).toList());
        assertEquals(List.of(4096, 4096, 4096, 0), config.layers().stream().map(LayerConfig::window).toList());
        assertEquals(2, config.numKeyValueHeads());
    }

    @Test
    void apeExample() throws ConfigException {
        ModelConfig config = load("ape.yaml");
        assertEquals(0, config.embedDim());
        assertEquals(100, config.vocabSize());
        assertEquals(64, config.hiddenSize());
        assertEquals(PositionEmbedding.APE, config.layers().get(0).positionEmbedding());
        assertFalse(config.causal());
    }

    @Test
    void ropeAblationDiffersFromItsBaseOnlyInPositionEmbedding() throws ConfigException {
        ModelConfig base = load("rnope-swa.yaml");
        ModelConfig ablation = load("ablations/rnope-swa-rope.yaml");
        assertTrue(ablation.layers().stream().allMatch(LayerConfig::usesRope));
        List<LayerConfig> baseLayersWithRope = base.layers().stream()
                .map(layer -> new LayerConfig(layer.index(), layer.layerType(), layer.window(),
                        PositionEmbedding.ROPE, layer.ropeTheta(), layer.ropePairing(), layer.attentionAlgorithm(),
                        layer.chunkSize(), layer.qkNorm()))
                .toList();
        ModelConfig expected = new ModelConfig(ablation.source(), base.architecture(), base.embedDim(),
                base.vocabSize(), base.hiddenSize(), base.numAttentionHeads(), base.numKeyValueHeads(),
                base.headDim(), base.numHiddenLayers(), base.intermediateSize(), base.slidingWindow(),
                base.ropeTheta(), base.ropePairing(), base.attentionDropout(), base.dropout(), base.layerNormEps(),
                base.hiddenAct(), PositionEmbedding.ROPE, base.sinusoidalVariant(), base.alibiSlopes(),
                base.apeScale(), base.attentionAlgorithm(), base.chunkSize(), base.qkNorm(), base.norm(),
                base.normPosition(), base.globalTokens(), base.output(), base.causal(), base.seed(), base.device(),
                base.lstmHiddenSize(), base.lstmLayers(), base.mlpSizes(), baseLayersWithRope);
        assertEquals(expected, ablation);
    }

    @Test
    void alibiAblationAppliesItsOverrides() throws ConfigException {
        ModelConfig config = load("ablations/rnope-swa-alibi-first-half.yaml");
        assertEquals(List.of(PositionEmbedding.ALIBI, PositionEmbedding.ALIBI, PositionEmbedding.ALIBI,
                PositionEmbedding.NONE, PositionEmbedding.NONE, PositionEmbedding.NONE),
                config.layers().stream().map(LayerConfig::positionEmbedding).toList());
        assertEquals(LayerType.FULL, config.layers().get(5).layerType());
        assertEquals(0, config.layers().get(5).window());
    }
}
