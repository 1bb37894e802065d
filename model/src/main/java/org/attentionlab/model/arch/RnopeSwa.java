package org.attentionlab.model.arch;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.attentionlab.model.config.Defaults;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.LayerPattern;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.spec.Window;
import org.attentionlab.model.weights.HuggingFaceNames;
import org.attentionlab.model.weights.Parameters;

/** Edifice's RNoPE-SWA: sliding-window attention blocks without positional encoding. */
final class RnopeSwa extends Architecture {

    RnopeSwa() {
        super("rnope_swa", TransformerStack.DEFAULTS.with(Keys.HIDDEN_SIZE, 256).with(Keys.NUM_HIDDEN_LAYERS, 6).with(Keys.INTERMEDIATE_SIZE, Keys.FOUR_TIMES_HIDDEN)
                .with(Keys.SLIDING_WINDOW, new Window.Sliding(128)).with(Keys.SLIDING_WINDOW_PATTERN, LayerPattern.ALL_SLIDING).with(Keys.DROPOUT, 0.1), TransformerStack.OWN_KEYS,
                "Edifice `RNoPESWA`: an input projection embed_dim → hidden_size when the two differ, pre-norm transformer blocks"
                        + " (`x + drop(attn(LN(x)))`, `x + drop(FFN(LN(x)))`, FFN = dense(intermediate) → GELU → dense(hidden)) with"
                        + " sliding-window attention and no positional encoding, a final LayerNorm, last position out. With RMSNorm, RoPE,"
                        + " SwiGLU, no biases, token ids and logits it is a Mistral-style decoder (see \"Token input and logits\").");
    }

    /** As Mistral (and Llama) name theirs: a pre-norm decoder of these blocks is MistralForCausalLM. */
    @Override
    public Optional<HuggingFaceNames> huggingFaceNames() {
        return Optional.of(HuggingFaceNames.DECODER);
    }

    @Override
    public List<Layer> build(ModelSpec spec, Parameters parameters) {
        return TransformerStack.layers(spec, parameters, false);
    }
}
