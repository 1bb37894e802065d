package org.attentionlab.model.arch;

import java.util.List;

import org.attentionlab.model.config.ModelConfig;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.weights.Parameters;

/**
 * Edifice's RNoPE-SWA: an input projection only when embed_dim differs from hidden_size, pre-norm blocks of
 * sliding-window attention without positional encoding (per-layer overrides may add one) and a GELU FFN, a final
 * LayerNorm, the last position.
 */
public final class RnopeSwaBuilder {

    private RnopeSwaBuilder() {
    }

    public static List<Layer> layers(ModelConfig config, Parameters parameters) {
        return TransformerStack.layers(config, parameters, config.embedDim() != config.hiddenSize());
    }
}
