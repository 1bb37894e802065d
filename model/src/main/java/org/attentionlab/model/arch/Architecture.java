package org.attentionlab.model.arch;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.attentionlab.model.config.ConfigErrors;
import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.config.Defaults;
import org.attentionlab.model.config.Key;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.weights.HuggingFaceNames;
import org.attentionlab.model.weights.Parameters;

/**
 * A model family a config can name, as one object: its name, what configs/README.md says of it, the defaults it
 * gives in place of the keys' own, the architecture-specific keys it reads (those it does not read are errors), the
 * rules it adds to every key's own checks, and how its layers are built from the resolved spec. The catalog is
 * {@link Architectures}.
 */
public abstract class Architecture {

    private final String yamlName;
    private final Defaults defaults;
    private final Set<Key<?>> ownKeys;
    private final String summary;

    /**
     * @param yamlName the {@code architecture:} value
     * @param defaults the defaults it gives in place of the keys' own
     * @param ownKeys  the architecture-specific keys ({@link Key#specific()}) it reads; a token-id architecture lists
     *                 vocab_size
     * @param summary  a paragraph for configs/README.md: where it comes from and how its layers are arranged
     */
    protected Architecture(String yamlName, Defaults defaults, Set<Key<?>> ownKeys, String summary) {
        this.yamlName = yamlName;
        this.defaults = defaults;
        this.ownKeys = Set.copyOf(ownKeys);
        this.summary = summary;
    }

    public final String yamlName() {
        return yamlName;
    }

    public final Defaults defaults() {
        return defaults;
    }

    public final Set<Key<?>> ownKeys() {
        return ownKeys;
    }

    public final String summary() {
        return summary;
    }

    /** Whether a config of this architecture may set {@code key}. */
    public final boolean accepts(Key<?> key) {
        return !key.specific() || ownKeys.contains(key);
    }

    /**
     * The position embedding of a layer no {@code layers:} entry gives one: the configured one when it acts inside
     * attention, else none (a sinusoidal encoding is added to the input once, not per layer).
     */
    public PositionEmbedding positionEmbedding(LayerType layerType, PositionEmbedding configured) {
        return configured.isAttentionLevel() ? configured : PositionEmbedding.NONE;
    }

    /**
     * Hugging Face's names for this architecture's parameters, when it has an HF counterpart (the PyTorch twins and
     * checkpoint conversion use them); empty otherwise.
     */
    public Optional<HuggingFaceNames> huggingFaceNames() {
        return Optional.empty();
    }

    /** Checks the rules this architecture adds; a broken one is reported at the key it concerns. */
    public void check(ModelSpec spec, ConfigErrors errors) throws ConfigException {
    }

    /** The layers of a model of this architecture, their parameters declared in {@code parameters}. */
    public abstract List<Layer> build(ModelSpec spec, Parameters parameters);

    @Override
    public String toString() {
        return yamlName;
    }
}
