package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Layer types, the pattern shorthand and per-layer overrides. */
class LayerResolutionTest {

    private static ModelConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, Path.of("layers.yaml"));
    }

    private static List<Object> column(ModelConfig config, java.util.function.Function<LayerConfig, Object> field) {
        return config.layers().stream().map(field).toList();
    }

    /** Hugging Face Cohere2: "sliding_attention" if (i + 1) % pattern else "full_attention". */
    private static String cohere2LayerTypes(int layers, int pattern) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            names.add((i + 1) % pattern != 0 ? "sliding_attention" : "full_attention");
        }
        return "[" + String.join(", ", names) + "]";
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "1, 5", "2, 5", "3, 7", "4, 4", "4, 9", "6, 6", "5, 3"})
    void integerPatternEqualsExplicitLayerTypes(int pattern, int layers) throws ConfigException {
        String common = "architecture: rnope_swa_hybrid\nembed_dim: 8\nnum_hidden_layers: " + layers + "\n";
        ModelConfig shorthand = parse(common + "sliding_window_pattern: " + pattern + "\n");
        ModelConfig explicit = parse(common + "layer_types: " + cohere2LayerTypes(layers, pattern) + "\n");
        assertEquals(explicit, shorthand);
        String cycle = "S".repeat(pattern - 1) + "F";
        ModelConfig letters = parse(common + "sliding_window_pattern: \"" + cycle.toLowerCase() + "\"\n");
        assertEquals(explicit, letters);
    }

    @Test
    void stringPatternRepeatsAndIsCut() throws ConfigException {
        ModelConfig config = parse("architecture: rnope_swa\nembed_dim: 8\nnum_hidden_layers: 5\n"
                + "sliding_window_pattern: SFF\n");
        assertEquals(List.of(LayerType.SLIDING, LayerType.FULL, LayerType.FULL, LayerType.SLIDING, LayerType.FULL),
                config.layerTypes());
    }

    @Test
    void overridesApplyInFileOrderAndLaterWins() throws ConfigException {
        ModelConfig config = parse("""
                architecture: rnope_swa
                embed_dim: 8
                hidden_size: 16
                num_attention_heads: 2
                num_hidden_layers: 6
                sliding_window: 10
                layers:
                  all: {position_embedding: rope, chunk_size: 8}
                  1-3: {position_embedding: alibi, sliding_window: 3}
                  2: {position_embedding: none, qk_norm: true, rope_theta: 50}
                  5:
                    layer_type: full_attention
                    attention_algorithm: flash
                """);
        assertEquals(List.of(PositionEmbedding.ROPE, PositionEmbedding.ALIBI, PositionEmbedding.NONE,
                PositionEmbedding.ALIBI, PositionEmbedding.ROPE, PositionEmbedding.ROPE),
                column(config, LayerConfig::positionEmbedding));
        assertEquals(List.of(10, 3, 3, 3, 10, 0), column(config, LayerConfig::window));
        assertEquals(List.of(false, false, true, false, false, false), column(config, LayerConfig::qkNorm));
        assertEquals(List.of(10000.0, 10000.0, 50.0, 10000.0, 10000.0, 10000.0),
                column(config, LayerConfig::ropeTheta));
        assertEquals(List.of(8, 8, 8, 8, 8, 8), column(config, LayerConfig::chunkSize));
        assertEquals(LayerType.FULL, config.layers().get(5).layerType());
        assertEquals(AttentionAlgorithm.FLASH, config.layers().get(5).attentionAlgorithm());
        assertEquals(AttentionAlgorithm.STANDARD, config.layers().get(4).attentionAlgorithm());
    }

    @Test
    void laterAllOverridesEarlierSpecificEntries() throws ConfigException {
        ModelConfig config = parse("""
                architecture: rnope_swa
                embed_dim: 8
                num_hidden_layers: 3
                layers:
                  1: {position_embedding: alibi}
                  all: {position_embedding: ape}
                """);
        assertEquals(List.of(PositionEmbedding.APE, PositionEmbedding.APE, PositionEmbedding.APE),
                column(config, LayerConfig::positionEmbedding));
    }

    @Test
    void overrideCanMakeAFullLayerSlideAndGiveItAWindow() throws ConfigException {
        ModelConfig config = parse("""
                architecture: hybrid_lstm_attention
                embed_dim: 8
                num_hidden_layers: 2
                layers:
                  1: {layer_type: sliding_attention, sliding_window: 16}
                """);
        assertEquals(List.of(LayerType.FULL, LayerType.SLIDING), config.layerTypes());
        assertEquals(List.of(0, 16), column(config, LayerConfig::window));
    }

    @Test
    void windowOverrideOnAMixOfLayersAppliesToTheSlidingOnes() throws ConfigException {
        ModelConfig config = parse("""
                architecture: rnope_swa_hybrid
                embed_dim: 8
                layers:
                  all: {sliding_window: 64}
                """);
        assertEquals(List.of(64, 64, 64, 0), column(config, LayerConfig::window));
    }

    @Test
    void fullLayersInRnopeSwaHybridCanBeGivenAnEncoding() throws ConfigException {
        ModelConfig config = parse("""
                architecture: rnope_swa_hybrid
                embed_dim: 8
                layers:
                  3: {position_embedding: rope}
                """);
        assertEquals(List.of(PositionEmbedding.ROPE, PositionEmbedding.ROPE, PositionEmbedding.ROPE,
                PositionEmbedding.ROPE), column(config, LayerConfig::positionEmbedding));
    }

    @Test
    void layerTypeOverrideTurnsRopeOffForTheNewFullLayerOfTheCohereStack() throws ConfigException {
        ModelConfig config = parse("""
                architecture: rnope_swa_hybrid
                embed_dim: 8
                layers:
                  0: {layer_type: full_attention}
                """);
        assertEquals(List.of(PositionEmbedding.NONE, PositionEmbedding.ROPE, PositionEmbedding.ROPE,
                PositionEmbedding.NONE), column(config, LayerConfig::positionEmbedding));
    }

    @Test
    void sinusoidalInputLeavesLayersWithoutAttentionLevelEncoding() throws ConfigException {
        ModelConfig config = parse("""
                architecture: rnope_swa
                embed_dim: 8
                num_hidden_layers: 2
                position_embedding: sinusoidal
                sinusoidal_variant: edifice
                layers:
                  1: {position_embedding: rope}
                """);
        assertEquals(true, config.sinusoidalInput());
        assertEquals(SinusoidalVariant.EDIFICE, config.sinusoidalVariant());
        assertEquals(List.of(PositionEmbedding.NONE, PositionEmbedding.ROPE),
                column(config, LayerConfig::positionEmbedding));
    }

    @Test
    void oddHeadDimIsFineWithoutRope() throws ConfigException {
        ModelConfig config = parse("architecture: rnope_swa\nembed_dim: 8\nhidden_size: 99\nnum_attention_heads: 3\n"
                + "position_embedding: alibi\n");
        assertEquals(33, config.headDim());
    }

    @Test
    void windowOfOneAndHugeWindowsAreAllowed() throws ConfigException {
        assertEquals(1, parse("architecture: rnope_swa\nembed_dim: 8\nsliding_window: 1\n").slidingWindow());
        assertEquals(1 << 30, parse("architecture: rnope_swa\nembed_dim: 8\nsliding_window: 1_073_741_824\n")
                .slidingWindow());
        ConfigException error = assertThrows(ConfigException.class,
                () -> parse("architecture: rnope_swa\nembed_dim: 8\nsliding_window: 1073741825\n"));
        assertEquals("layers.yaml:3:17: sliding_window: must be at most 1073741824, got 1073741825",
                error.getMessage());
    }

    @Test
    void layerIndexKeysMayBeNumbersOrRanges() throws ConfigException {
        ModelConfig config = parse("""
                architecture: rnope_swa
                embed_dim: 8
                num_hidden_layers: 4
                layers:
                  "0": {qk_norm: true}
                  2 - 3: {qk_norm: true}
                """);
        assertEquals(List.of(true, false, true, true), column(config, LayerConfig::qkNorm));
    }
}
