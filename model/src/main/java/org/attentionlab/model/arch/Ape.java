package org.attentionlab.model.arch;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.attentionlab.model.config.ConfigErrors;
import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.config.Defaults;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.layers.EmbeddedQkvAttention;
import org.attentionlab.model.layers.OutputHead;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.weights.Parameters;

/** The "Attention Positional Encoding" notebook: embedded QKV from token ids and a distance bias on the logits. */
final class Ape extends Architecture {

    Ape() {
        super("ape", Defaults.none().with(Keys.HIDDEN_SIZE, 64).with(Keys.NUM_ATTENTION_HEADS, 1).with(Keys.POSITION_EMBEDDING, PositionEmbedding.APE)
                .with(Keys.NORM, Norm.NONE).with(Keys.OUTPUT, OutputMode.ALL).with(Keys.CAUSAL, false), Set.of(Keys.VOCAB_SIZE),
                "the \"Attention Positional Encoding\" notebook: token ids are embedded to width 3 × hidden_size and split into q, k, v"
                        + " (\"embedded QKV\", no projection layers); the bias `(1 - |i - j| / L) × ape_scale` is added to the logits; attention"
                        + " is bidirectional by default and every position is returned. One attention layer, no feed-forward block, no norm"
                        + " and no residual (`norm`, `norm_position`, `dropout`, `hidden_act`, `ffn_type` and the bias switches have nothing"
                        + " to act on), no language-model head.");
    }

    @Override
    public void check(ModelSpec spec, ConfigErrors errors) throws ConfigException {
        if (spec.blocks().size() != 1) {
            throw errors.at(Keys.NUM_HIDDEN_LAYERS, "architecture ape has exactly one attention layer, got " + spec.blocks().size());
        }
        int intermediate = spec.settings().get(Keys.INTERMEDIATE_SIZE);
        if (intermediate != 0) {
            throw errors.at(Keys.INTERMEDIATE_SIZE, "architecture ape has no feed-forward block (its attention reads the embedded q, k and v"
                    + " directly), got " + intermediate);
        }
        int heads = spec.settings().get(Keys.NUM_ATTENTION_HEADS);
        if (spec.settings().get(Keys.NUM_KEY_VALUE_HEADS) != heads) {
            throw errors.at(Keys.NUM_KEY_VALUE_HEADS, "architecture ape splits its embedding into q, k and v of one width: num_key_value_heads"
                    + " must equal num_attention_heads (" + heads + ")");
        }
        if (spec.settings().get(Keys.POSITION_EMBEDDING) == PositionEmbedding.SINUSOIDAL
                || spec.blocks().get(0).positionEmbedding() == PositionEmbedding.SINUSOIDAL) {
            throw errors.atLayer(0, Keys.POSITION_EMBEDDING, "architecture ape reads token ids: there is no feature stream to add a sinusoidal"
                    + " encoding to (use ape, alibi, rope or none)");
        }
    }

    @Override
    public List<Layer> build(ModelSpec spec, Parameters parameters) {
        int vocabSize = ((InputSpec.TokenIds) spec.input()).vocabSize();
        return List.of(new EmbeddedQkvAttention(parameters, vocabSize, spec.hiddenSize(), spec.blocks().get(0)),
                new OutputHead(parameters, Optional.empty(), spec.hiddenSize(), spec.output()));
    }
}
