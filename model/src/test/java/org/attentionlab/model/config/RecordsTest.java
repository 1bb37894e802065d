package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.HashSet;
import org.junit.jupiter.api.Test;

/** The records refuse inconsistent values when built by hand, and the enums round-trip their YAML names. */
class RecordsTest {

    private static LayerConfig sliding(int index, int window) {
        return new LayerConfig(index, LayerType.SLIDING, window, PositionEmbedding.NONE, 10000, RopePairing.NEOX,
                AttentionAlgorithm.STANDARD, 32, false);
    }

    @Test
    void layerConfigChecksItsInvariants() {
        assertThrows(IllegalArgumentException.class, () -> sliding(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new LayerConfig(0, LayerType.FULL, 5,
                PositionEmbedding.NONE, 10000, RopePairing.NEOX, AttentionAlgorithm.STANDARD, 32, false));
        assertEquals("sliding W=4, pe none, standard", sliding(0, 4).describe());
    }

    @Test
    void modelConfigChecksConsistency() throws ConfigException {
        ModelConfig good = ConfigLoader.parse("architecture: rnope_swa\nembed_dim: 8\nnum_hidden_layers: 2\n",
                Path.of("x.yaml"));
        List<LayerConfig> oneLayer = List.of(sliding(0, 4));
        assertThrows(IllegalArgumentException.class, () -> copyWithLayers(good, oneLayer));
        List<LayerConfig> misnumbered = List.of(sliding(0, 4), sliding(0, 4));
        assertThrows(IllegalArgumentException.class, () -> copyWithLayers(good, misnumbered));
        List<LayerConfig> renumbered = List.of(sliding(0, 4), sliding(1, 4));
        assertEquals(List.of(4, 4), copyWithLayers(good, renumbered).layers().stream().map(LayerConfig::window)
                .toList());
    }

    @Test
    void modelConfigListsAreImmutableCopies() throws ConfigException {
        ModelConfig config = ConfigLoader.parse("architecture: rnope_swa\nembed_dim: 8\nglobal_tokens: [3]\n",
                Path.of("x.yaml"));
        assertThrows(UnsupportedOperationException.class, () -> config.layers().clear());
        assertThrows(UnsupportedOperationException.class, () -> config.globalTokens().add(1));
    }

    private static ModelConfig copyWithLayers(ModelConfig c, List<LayerConfig> layers) {
        return new ModelConfig(c.source(), c.architecture(), c.embedDim(), c.vocabSize(), c.hiddenSize(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.numHiddenLayers(), c.intermediateSize(),
                c.slidingWindow(), c.ropeTheta(), c.ropePairing(), c.attentionDropout(), c.dropout(),
                c.layerNormEps(), c.hiddenAct(), c.positionEmbedding(), c.sinusoidalVariant(), c.alibiSlopes(),
                c.apeScale(), c.attentionAlgorithm(), c.chunkSize(), c.qkNorm(), c.norm(), c.normPosition(),
                c.globalTokens(), c.output(), c.causal(), c.seed(), c.device(), c.lstmHiddenSize(), c.lstmLayers(),
                c.mlpSizes(), new ArrayList<>(layers));
    }

    @Test
    void enumsRoundTripTheirYamlNames() {
        List<Class<? extends Enum<?>>> types = List.of(Architecture.class, LayerType.class,
                PositionEmbedding.class, SinusoidalVariant.class, AlibiSlopes.class, RopePairing.class,
                AttentionAlgorithm.class, Norm.class, NormPosition.class, OutputMode.class, HiddenAct.class);
        for (Class<? extends Enum<?>> type : types) {
            Set<String> names = new HashSet<>();
            for (Enum<?> constant : type.getEnumConstants()) {
                String name = ((YamlName) constant).yamlName();
                assertEquals(name.toLowerCase(), name, "YAML names are lower case");
                assertEquals(true, names.add(name), "duplicate YAML name " + name);
            }
        }
        assertEquals(Architecture.RNOPE_SWA_HYBRID, Architecture.fromYamlName("rnope_swa_hybrid"));
        assertEquals(HiddenAct.GELU_PYTORCH_TANH, HiddenAct.fromYamlName("gelu_pytorch_tanh"));
        assertEquals(LayerType.FULL, LayerType.fromYamlName("full_attention"));
        assertNull(Norm.fromYamlName("batchnorm"));
    }
}
