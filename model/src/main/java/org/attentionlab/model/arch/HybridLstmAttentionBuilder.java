package org.attentionlab.model.arch;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.model.config.Architecture;
import org.attentionlab.model.config.LayerConfig;
import org.attentionlab.model.config.ModelConfig;
import org.attentionlab.model.config.OutputMode;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.layers.DenseStack;
import org.attentionlab.model.layers.Lstm;
import org.attentionlab.model.layers.OutputHead;
import org.attentionlab.model.layers.TransformerBlock;
import org.attentionlab.model.weights.Parameters;

/**
 * Edifice's hybrid LSTM + attention: an LSTM over all time steps, then causal multi-head attention on its
 * outputs with a residual and a norm (an FFN only when intermediate_size > 0), the last position; the MLP variant
 * adds dense layers on top.
 */
public final class HybridLstmAttentionBuilder {

    private HybridLstmAttentionBuilder() {
    }

    public static List<Layer> layers(ModelConfig config, Parameters parameters) {
        List<Layer> layers = new ArrayList<>();
        int width = config.lstmHiddenSize();
        layers.add(new Lstm(parameters, config.embedDim(), width, config.lstmLayers()));
        for (LayerConfig layer : config.layers()) {
            layers.add(new TransformerBlock(config, layer, parameters, "layers." + layer.index(), width, config.intermediateSize() > 0));
        }
        layers.add(new OutputHead(parameters, null, config.layerNormEps(), width, config.output()));
        if (config.architecture() == Architecture.HYBRID_LSTM_ATTENTION_MLP) {
            layers.add(new DenseStack(parameters, width, config.mlpSizes(), config.hiddenAct(), config.output() != OutputMode.ALL));
        }
        return layers;
    }
}
