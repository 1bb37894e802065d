package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.attentionlab.model.spec.AttentionAlgorithm;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.spec.RopeSpec;
import org.attentionlab.model.spec.SinusoidalVariant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Layer types, the pattern shorthand and per-layer overrides. */
class LayerResolutionTest {

    private static ModelSpec parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, Path.of("layers.yaml"));
    }

    private static List<Object> column(ModelSpec config, java.util.function.Function<BlockSpec, Object> field) {
        return config.blocks().stream().map(field).toList();
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
        ModelSpec shorthand = parse(common + "sliding_window_pattern: " + pattern + "\n");
        ModelSpec explicit = parse(common + "layer_types: " + cohere2LayerTypes(layers, pattern) + "\n");
        assertEquals(explicit, shorthand);
        String cycle = "S".repeat(pattern - 1) + "F";
        ModelSpec letters = parse(common + "sliding_window_pattern: \"" + cycle.toLowerCase() + "\"\n");
        assertEquals(explicit, letters);
    }

    @Test
    void stringPatternRepeatsAndIsCut() throws ConfigException {
        ModelSpec config = parse("architecture: rnope_swa\nembed_dim: 8\nnum_hidden_layers: 5\n"
                + "sliding_window_pattern: SFF\n");
        assertEquals(List.of(LayerType.SLIDING, LayerType.FULL, LayerType.FULL, LayerType.SLIDING, LayerType.FULL),
                config.layerTypes());
    }

    @Test
    void overridesApplyInFileOrderAndLaterWins() throws ConfigException {
        ModelSpec config = parse("""
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
                  4: {rope_theta: 60}
                """);
        assertEquals(List.of(PositionEmbedding.ROPE, PositionEmbedding.ALIBI, PositionEmbedding.NONE,
                PositionEmbedding.ALIBI, PositionEmbedding.ROPE, PositionEmbedding.ROPE),
                column(config, BlockSpec::positionEmbedding));
        assertEquals(List.of(10, 3, 3, 3, 10, 0), column(config, BlockSpec::window));
        assertEquals(List.of(false, false, true, false, false, false), column(config, b -> b.attention().qkNorm()));
        assertEquals(List.of(Optional.of(10000.0), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(60.0), Optional.of(10000.0)),
                column(config, b -> b.attention().rope().map(RopeSpec::theta)));
        assertEquals(List.of(8, 8, 8, 8, 8, 8), column(config, b -> b.attention().chunkSize()));
        assertEquals(LayerType.FULL, config.blocks().get(5).layerType());
        assertEquals(AttentionAlgorithm.FLASH, config.blocks().get(5).attention().algorithm());
        assertEquals(AttentionAlgorithm.STANDARD, config.blocks().get(4).attention().algorithm());
    }

    @Test
    void laterAllOverridesEarlierSpecificEntries() throws ConfigException {
        ModelSpec config = parse("""
                architecture: rnope_swa
                embed_dim: 8
                num_hidden_layers: 3
                layers:
                  1: {position_embedding: alibi}
                  all: {position_embedding: ape}
                """);
        assertEquals(List.of(PositionEmbedding.APE, PositionEmbedding.APE, PositionEmbedding.APE),
                column(config, BlockSpec::positionEmbedding));
    }

    @Test
    void overrideCanMakeAFullLayerSlideAndGiveItAWindow() throws ConfigException {
        ModelSpec config = parse("""
                architecture: hybrid_lstm_attention
                embed_dim: 8
                num_hidden_layers: 2
                layers:
                  1: {layer_type: sliding_attention, sliding_window: 16}
                """);
        assertEquals(List.of(LayerType.FULL, LayerType.SLIDING), config.layerTypes());
        assertEquals(List.of(0, 16), column(config, BlockSpec::window));
    }

    @Test
    void windowOverrideOnAMixOfLayersAppliesToTheSlidingOnes() throws ConfigException {
        ModelSpec config = parse("""
                architecture: rnope_swa_hybrid
                embed_dim: 8
                layers:
                  all: {sliding_window: 64}
                """);
        assertEquals(List.of(64, 64, 64, 0), column(config, BlockSpec::window));
    }

    @Test
    void fullLayersInRnopeSwaHybridCanBeGivenAnEncoding() throws ConfigException {
        ModelSpec config = parse("""
                architecture: rnope_swa_hybrid
                embed_dim: 8
                layers:
                  3: {position_embedding: rope}
                """);
        assertEquals(List.of(PositionEmbedding.ROPE, PositionEmbedding.ROPE, PositionEmbedding.ROPE,
                PositionEmbedding.ROPE), column(config, BlockSpec::positionEmbedding));
    }

    @Test
    void layerTypeOverrideTurnsRopeOffForTheNewFullLayerOfTheCohereStack() throws ConfigException {
        ModelSpec config = parse("""
                architecture: rnope_swa_hybrid
                embed_dim: 8
                layers:
                  0: {layer_type: full_attention}
                """);
        assertEquals(List.of(PositionEmbedding.NONE, PositionEmbedding.ROPE, PositionEmbedding.ROPE,
                PositionEmbedding.NONE), column(config, BlockSpec::positionEmbedding));
    }

    @Test
    void sinusoidalInputLeavesLayersWithoutAttentionLevelEncoding() throws ConfigException {
        ModelSpec config = parse("""
                architecture: rnope_swa
                embed_dim: 8
                num_hidden_layers: 2
                position_embedding: sinusoidal
                sinusoidal_variant: edifice
                layers:
                  1: {position_embedding: rope}
                """);
        assertEquals(new InputSpec.Features(8, Optional.of(SinusoidalVariant.EDIFICE)), config.input());
        assertEquals(List.of(PositionEmbedding.NONE, PositionEmbedding.ROPE),
                column(config, BlockSpec::positionEmbedding));
    }

    @Test
    void oddHeadDimIsFineWithoutRope() throws ConfigException {
        ModelSpec config = parse("architecture: rnope_swa\nembed_dim: 8\nhidden_size: 99\nnum_attention_heads: 3\n"
                + "position_embedding: alibi\n");
        assertEquals(33, config.settings().get(Keys.HEAD_DIM));
    }

    @Test
    void windowOfOneAndHugeWindowsAreAllowed() throws ConfigException {
        assertEquals(1, parse("architecture: rnope_swa\nembed_dim: 8\nsliding_window: 1\n").blocks().get(0).window());
        assertEquals(1 << 30, parse("architecture: rnope_swa\nembed_dim: 8\nsliding_window: 1_073_741_824\n")
                .blocks().get(0).window());
        ConfigException error = assertThrows(ConfigException.class,
                () -> parse("architecture: rnope_swa\nembed_dim: 8\nsliding_window: 1073741825\n"));
        assertEquals("layers.yaml:3:17: sliding_window: must be at most 1073741824, got 1073741825",
                error.getMessage());
    }

    @Test
    void layerIndexKeysMayBeNumbersOrRanges() throws ConfigException {
        ModelSpec config = parse("""
                architecture: rnope_swa
                embed_dim: 8
                num_hidden_layers: 4
                layers:
                  "0": {qk_norm: true}
                  2 - 3: {qk_norm: true}
                """);
        assertEquals(List.of(true, false, true, true), column(config, b -> b.attention().qkNorm()));
    }
}
