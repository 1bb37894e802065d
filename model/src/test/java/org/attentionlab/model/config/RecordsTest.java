package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.attentionlab.model.arch.Architecture;
import org.attentionlab.model.arch.Architectures;
import org.attentionlab.model.spec.AlibiSlopes;
import org.attentionlab.model.spec.AttentionAlgorithm;
import org.attentionlab.model.spec.AttentionSpec;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.FfnSpec;
import org.attentionlab.model.spec.FfnType;
import org.attentionlab.model.spec.HiddenAct;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.LmHeadSpec;
import org.attentionlab.model.spec.Mask;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.spec.NormSpec;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.PositionBias;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.spec.RopePairing;
import org.attentionlab.model.spec.RopeSpec;
import org.attentionlab.model.spec.SinusoidalVariant;
import org.attentionlab.model.spec.Window;
import org.attentionlab.model.spec.YamlName;
import org.junit.jupiter.api.Test;

/** The spec records refuse inconsistent values when built by hand, and the enums round-trip their YAML names. */
class RecordsTest {

    private static AttentionSpec attention(Window window, Optional<RopeSpec> rope, int headDim) {
        return new AttentionSpec(2, 1, headDim, new Mask(true, window, List.of()), new PositionBias.None(), rope, false, 1e-5,
                AttentionAlgorithm.STANDARD, 32, 0.0);
    }

    private static BlockSpec sliding(int index, int window) {
        return new BlockSpec(index, attention(new Window.Sliding(window), Optional.empty(), 4), true, Optional.empty(), new NormSpec(Norm.LAYERNORM, 1e-5),
                NormPosition.PRE, Optional.empty(), 0.0);
    }

    @Test
    void specsCheckTheirInvariants() {
        assertThrows(IllegalArgumentException.class, () -> new Window.Sliding(0));
        assertThrows(IllegalArgumentException.class, () -> new RopeSpec(0, RopePairing.NEOX));
        assertThrows(IllegalArgumentException.class, () -> new FfnSpec(0, HiddenAct.GELU));
        assertThrows(IllegalArgumentException.class, () -> new NormSpec(Norm.LAYERNORM, 0));
        assertThrows(IllegalArgumentException.class, () -> new NormSpec(Norm.RMSNORM, 1e-5, true));
        assertThrows(IllegalArgumentException.class, () -> new FfnSpec(8, FfnType.SWIGLU, HiddenAct.GELU, false));
        assertThrows(IllegalArgumentException.class, () -> new FfnSpec(8, FfnType.GEGLU, HiddenAct.SILU, false));
        assertThrows(IllegalArgumentException.class, () -> new LmHeadSpec(0, true, 1));
        assertThrows(IllegalArgumentException.class, () -> new LmHeadSpec(10, true, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> attention(new Window.Full(), Optional.of(new RopeSpec(10000, RopePairing.NEOX)), 5));
        assertThrows(IllegalArgumentException.class, () -> new AttentionSpec(4, 3, 8, new Mask(true, new Window.Full(), List.of()),
                new PositionBias.None(), Optional.empty(), false, 1e-5, AttentionAlgorithm.STANDARD, 32, 0.0));
        assertThrows(IllegalArgumentException.class, () -> new AttentionSpec(2, 1, 4, new Mask(true, new Window.Full(), List.of()),
                new PositionBias.None(), Optional.empty(), false, 1e-5, AttentionAlgorithm.STANDARD, 32, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new Mask(true, new Window.Full(), List.of(3, 3)));
        assertThrows(IllegalArgumentException.class, () -> new BlockSpec(0, new AttentionSpec(2, 1, 4, new Mask(true, new Window.Full(), List.of()),
                new PositionBias.Alibi(AlibiSlopes.REFERENCE), Optional.empty(), false, 1e-5, AttentionAlgorithm.STANDARD, 32, 0.0), true, Optional.empty(),
                new NormSpec(Norm.NONE, 1e-5), NormPosition.PRE, Optional.of(SinusoidalVariant.STANDARD), 0.0));
        assertEquals("sliding W=4, pe none, standard", sliding(0, 4).describe());
        assertEquals(LayerType.SLIDING, sliding(0, 4).layerType());
    }

    @Test
    void modelSpecChecksItsBlocks() throws ConfigException {
        ModelSpec good = ConfigLoader.parse("architecture: rnope_swa\nembed_dim: 8\nnum_hidden_layers: 2\n", Path.of("x.yaml"));
        assertThrows(IllegalArgumentException.class, () -> withBlocks(good, List.of()));
        assertThrows(IllegalArgumentException.class, () -> withBlocks(good, List.of(sliding(0, 4), sliding(0, 4))));
        assertEquals(List.of(4, 4), withBlocks(good, List.of(sliding(0, 4), sliding(1, 4))).blocks().stream().map(BlockSpec::window).toList());
    }

    @Test
    void modelSpecTiesItsHeadToLogitsAndTokenInput() throws ConfigException {
        ModelSpec features = ConfigLoader.parse("architecture: rnope_swa\nembed_dim: 8\nnum_hidden_layers: 1\n", Path.of("x.yaml"));
        assertThrows(IllegalArgumentException.class, () -> new ModelSpec(features.source(), features.architecture(), features.settings(), features.input(),
                features.blocks(), Optional.of(new LmHeadSpec(10, false, 1))));
        ModelSpec logits = ConfigLoader.parse("architecture: rnope_swa\nvocab_size: 10\nnum_hidden_layers: 1\noutput: logits\n", Path.of("x.yaml"));
        assertEquals(Optional.of(new LmHeadSpec(10, false, 1)), logits.lmHead());
        assertThrows(IllegalArgumentException.class, () -> new ModelSpec(logits.source(), logits.architecture(), logits.settings(), logits.input(),
                logits.blocks(), Optional.of(new LmHeadSpec(11, false, 1))));
        assertThrows(IllegalArgumentException.class, () -> new ModelSpec(logits.source(), logits.architecture(), logits.settings(), logits.input(),
                logits.blocks(), Optional.empty()));
    }

    @Test
    void listsAreImmutableCopies() throws ConfigException {
        ModelSpec spec = ConfigLoader.parse("architecture: rnope_swa\nembed_dim: 8\nglobal_tokens: [3]\n", Path.of("x.yaml"));
        assertThrows(UnsupportedOperationException.class, () -> spec.blocks().clear());
        assertThrows(UnsupportedOperationException.class, () -> spec.settings().get(Keys.GLOBAL_TOKENS).add(1));
        assertThrows(UnsupportedOperationException.class, () -> spec.blocks().get(0).attention().mask().globalTokens().add(1));
    }

    private static ModelSpec withBlocks(ModelSpec spec, List<BlockSpec> blocks) {
        return new ModelSpec(spec.source(), spec.architecture(), spec.settings(), spec.input(), new ArrayList<>(blocks), spec.lmHead());
    }

    @Test
    void enumsAndArchitecturesRoundTripTheirYamlNames() {
        List<Class<? extends Enum<?>>> types = List.of(LayerType.class, PositionEmbedding.class, SinusoidalVariant.class, AlibiSlopes.class,
                RopePairing.class, AttentionAlgorithm.class, Norm.class, NormPosition.class, OutputMode.class, HiddenAct.class);
        for (Class<? extends Enum<?>> type : types) {
            Set<String> names = new HashSet<>();
            for (Enum<?> constant : type.getEnumConstants()) {
                String name = ((YamlName) constant).yamlName();
                assertEquals(name.toLowerCase(), name, "YAML names are lower case");
                assertTrue(names.add(name), "duplicate YAML name " + name);
            }
        }
        Set<String> architectures = new HashSet<>();
        for (Architecture architecture : Architectures.all()) {
            assertTrue(architecture.yamlName().matches("[a-z_]+"), architecture.yamlName());
            assertTrue(architectures.add(architecture.yamlName()), "duplicate architecture " + architecture.yamlName());
        }
        assertEquals(HiddenAct.GELU_PYTORCH_TANH, YamlName.fromYamlName(HiddenAct.class, "gelu_pytorch_tanh"));
        assertEquals(LayerType.FULL, YamlName.fromYamlName(LayerType.class, "full_attention"));
        assertEquals("sliding_attention", LayerType.SLIDING.yamlName());
        assertNull(YamlName.fromYamlName(Norm.class, "batchnorm"));
    }
}
