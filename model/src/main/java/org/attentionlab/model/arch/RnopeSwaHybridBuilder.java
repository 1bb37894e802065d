package org.attentionlab.model.arch;

import java.util.List;

import org.attentionlab.model.config.ModelConfig;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.weights.Parameters;

/**
 * "Rope to Nope and Back Again" (Cohere, 2025) / Hugging Face Cohere2: sliding-window layers with RoPE
 * interleaved with full-attention layers without positional encoding (every 4th by default, resolved by the
 * config), pre-norm or Cohere2's parallel block, a final norm; an input projection when embed_dim differs.
 */
public final class RnopeSwaHybridBuilder {

    private RnopeSwaHybridBuilder() {
    }

    public static List<Layer> layers(ModelConfig config, Parameters parameters) {
        return TransformerStack.layers(config, parameters, config.embedDim() != config.hiddenSize());
    }
}
