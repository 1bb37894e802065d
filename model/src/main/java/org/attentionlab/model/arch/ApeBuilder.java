package org.attentionlab.model.arch;

import java.util.List;

import org.attentionlab.model.config.ModelConfig;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.layers.EmbeddedQkvAttention;
import org.attentionlab.model.layers.OutputHead;
import org.attentionlab.model.weights.Parameters;

/**
 * The "Attention Positional Encoding" notebook: token ids → embedded QKV (an embedding of width 3·d split into
 * q, k, v, no projections) → attention with the APE distance bias added to the logits.
 */
public final class ApeBuilder {

    private ApeBuilder() {
    }

    public static List<Layer> layers(ModelConfig config, Parameters parameters) {
        return List.of(new EmbeddedQkvAttention(config, parameters),
                new OutputHead(parameters, null, config.layerNormEps(), config.hiddenSize(), config.output()));
    }
}
