package org.attentionlab.model.arch;

import java.util.List;
import java.util.Set;

import org.attentionlab.model.config.Defaults;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.LayerPattern;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.spec.Window;
import org.attentionlab.model.weights.Parameters;

/** Edifice's MultiHead sliding-window model: sinusoidal input encoding, post-norm blocks. */
final class MultiHeadSlidingWindow extends Architecture {

    MultiHeadSlidingWindow() {
        super("multihead_sliding_window", TransformerStack.DEFAULTS.with(Keys.HEAD_DIM, 64).with(Keys.NUM_HIDDEN_LAYERS, 2).with(Keys.INTERMEDIATE_SIZE, 256)
                .with(Keys.SLIDING_WINDOW, new Window.Sliding(60)).with(Keys.SLIDING_WINDOW_PATTERN, LayerPattern.ALL_SLIDING)
                .with(Keys.POSITION_EMBEDDING, PositionEmbedding.SINUSOIDAL).with(Keys.NORM_POSITION, NormPosition.POST).with(Keys.DROPOUT, 0.1),
                TransformerStack.OWN_KEYS,
                "Edifice `MultiHead.build_sliding_window`: input projection to heads × head_dim, sinusoidal encoding added once, then per"
                        + " layer `norm(x + attn(x))`, `norm(x + ffn(x))` (post-norm), FFN `intermediate_size` (Edifice's `ffn_dim`) with GELU,"
                        + " last position out. Edifice's own sinusoidal formula is `sinusoidal_variant: edifice`; the default is the standard"
                        + " one. If `hidden_size` is given, head_dim becomes hidden_size / heads (as Edifice's `build/1` does). Token ids"
                        + " (`vocab_size`) are embedded at hidden_size, without the projection.");
    }

    @Override
    public List<Layer> build(ModelSpec spec, Parameters parameters) {
        return TransformerStack.layers(spec, parameters, true);
    }
}
