package org.attentionlab.model.arch;

import java.util.List;

import org.attentionlab.model.config.ModelConfig;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.weights.Parameters;

/**
 * Edifice's MultiHead sliding-window model: always a dense input projection to heads·head_dim (or hidden_size),
 * a sinusoidal encoding added to it, post-norm blocks (attention + residual → LN → FFN(ffn_dim) + residual →
 * LN), the last position.
 */
public final class MultiHeadSlidingWindowBuilder {

    private MultiHeadSlidingWindowBuilder() {
    }

    public static List<Layer> layers(ModelConfig config, Parameters parameters) {
        return TransformerStack.layers(config, parameters, true);
    }
}
