package org.attentionlab.model.arch;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.attentionlab.model.config.ConfigErrors;
import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.config.Defaults;
import org.attentionlab.model.config.Key;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.layers.DenseStack;
import org.attentionlab.model.layers.Lstm;
import org.attentionlab.model.layers.OutputHead;
import org.attentionlab.model.layers.TransformerBlock;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.weights.Parameters;

/**
 * Edifice's hybrid LSTM + attention ({@code hybrid_lstm_attention}) and the same with its MLP head
 * ({@code hybrid_lstm_attention_mlp}).
 */
final class HybridLstmAttention extends Architecture {

    static final HybridLstmAttention PLAIN = new HybridLstmAttention("hybrid_lstm_attention", Set.of(Keys.EMBED_DIM, Keys.LSTM_HIDDEN_SIZE,
            Keys.LSTM_LAYERS), "Edifice `MultiHead.build_hybrid`: an LSTM (`lstm_hidden_size`, `lstm_layers`) over the input, a projection to heads"
                    + " × head_dim, causal full self-attention, residual + LayerNorm, last position. There is no feed-forward block unless"
                    + " `intermediate_size` > 0. The LSTM reads the input as it is: a sinusoidal encoding can only be given per layer.");
    static final HybridLstmAttention WITH_MLP = new HybridLstmAttention("hybrid_lstm_attention_mlp", Set.of(Keys.EMBED_DIM, Keys.LSTM_HIDDEN_SIZE,
            Keys.LSTM_LAYERS, Keys.MLP_SIZES), "the hybrid followed by Edifice's MLP head: for each width in `mlp_sizes`, a dense layer followed by"
                    + " `hidden_act`.");

    private HybridLstmAttention(String yamlName, Set<Key<?>> ownKeys, String summary) {
        super(yamlName, Defaults.none().with(Keys.HEAD_DIM, 64).with(Keys.NORM_POSITION, NormPosition.POST).with(Keys.DROPOUT, 0.1), ownKeys, summary);
    }

    @Override
    public void check(ModelSpec spec, ConfigErrors errors) throws ConfigException {
        if (spec.settings().get(Keys.POSITION_EMBEDDING) == PositionEmbedding.SINUSOIDAL) {
            throw errors.at(Keys.POSITION_EMBEDDING, "architecture " + yamlName() + " has no input encoding (its LSTM reads the input as it is):"
                    + " give sinusoidal per layer (layers: {0: {position_embedding: sinusoidal}}), or use none, rope, alibi or ape");
        }
    }

    @Override
    public List<Layer> build(ModelSpec spec, Parameters parameters) {
        int width = spec.settings().get(Keys.LSTM_HIDDEN_SIZE);
        List<Layer> layers = new ArrayList<>();
        layers.add(new Lstm(parameters, ((InputSpec.Features) spec.input()).embedDim(), width, spec.settings().get(Keys.LSTM_LAYERS)));
        for (BlockSpec block : spec.blocks()) {
            layers.add(new TransformerBlock(block, parameters, width));
        }
        layers.add(new OutputHead(parameters, Optional.empty(), width, spec.output()));
        if (accepts(Keys.MLP_SIZES)) {
            layers.add(new DenseStack(parameters, width, spec.settings().get(Keys.MLP_SIZES), spec.settings().get(Keys.HIDDEN_ACT),
                    spec.output() != OutputMode.ALL));
        }
        return layers;
    }
}
