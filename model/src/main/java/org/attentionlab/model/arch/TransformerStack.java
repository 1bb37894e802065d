package org.attentionlab.model.arch;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.model.config.LayerConfig;
import org.attentionlab.model.config.ModelConfig;
import org.attentionlab.model.config.Norm;
import org.attentionlab.model.config.NormPosition;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.layers.InputEncoding;
import org.attentionlab.model.layers.OutputHead;
import org.attentionlab.model.layers.TransformerBlock;
import org.attentionlab.model.weights.Parameters;

/**
 * input encoding → one transformer block per configured layer → output head: what the transformer
 * architectures share. Each architecture's builder decides what differs (when there is an input projection).
 */
final class TransformerStack {

    private TransformerStack() {
    }

    static List<Layer> layers(ModelConfig config, Parameters parameters, boolean inputProjection) {
        List<Layer> layers = new ArrayList<>();
        layers.add(new InputEncoding(parameters, config.embedDim(), config.hiddenSize(), inputProjection,
                config.sinusoidalInput() ? config.sinusoidalVariant() : null));
        for (LayerConfig layer : config.layers()) {
            layers.add(new TransformerBlock(config, layer, parameters, "layers." + layer.index(), config.hiddenSize(), true));
        }
        // Post-norm blocks end normalised; pre-norm and parallel stacks end with a final norm.
        boolean finalNorm = config.normPosition() != NormPosition.POST && config.norm() != Norm.NONE;
        layers.add(new OutputHead(parameters, finalNorm ? config.norm() : null, config.layerNormEps(), config.hiddenSize(), config.output()));
        return layers;
    }
}
