package org.attentionlab.model.arch;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.attentionlab.model.config.Defaults;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.LayerPattern;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.spec.Window;
import org.attentionlab.model.weights.HuggingFaceNames;
import org.attentionlab.model.weights.Parameters;

/** Cohere "Rope to Nope and Back Again" / Hugging Face Cohere2: RoPE sliding layers interleaved with full NoPE layers. */
final class RnopeSwaHybrid extends Architecture {

    RnopeSwaHybrid() {
        super("rnope_swa_hybrid", TransformerStack.DEFAULTS.with(Keys.HIDDEN_SIZE, 256).with(Keys.NUM_HIDDEN_LAYERS, 4)
                .with(Keys.INTERMEDIATE_SIZE, Keys.FOUR_TIMES_HIDDEN).with(Keys.SLIDING_WINDOW, new Window.Sliding(4096)).with(Keys.SLIDING_WINDOW_PATTERN, LayerPattern.every(4))
                .with(Keys.POSITION_EMBEDDING, PositionEmbedding.ROPE).with(Keys.OUTPUT, OutputMode.ALL), TransformerStack.OWN_KEYS,
                "Cohere \"Rope to Nope and Back Again\" (arXiv 2501.18795) as Hugging Face Cohere2 lays it out: every 4th layer is full"
                        + " attention with no positional encoding, the others are sliding-window layers with RoPE. Here `position_embedding`"
                        + " applies to the sliding layers; full layers have none unless a per-layer override says otherwise (that is the point"
                        + " of the architecture). Cohere2 uses interleaved RoPE pairs (`rope_pairing: gptj`), the parallel block"
                        + " (`norm_position: parallel`), SwiGLU without biases and a LayerNorm without bias, token ids and tied logits"
                        + " scaled by 0.0625 (configs/rnope-swa-hybrid.yaml sets all of it); the defaults are `neox`, `pre` and a GELU MLP"
                        + " with biases, small sizes so it runs quickly, and the paper's window 4096 (any sequence length works; shorter"
                        + " sequences simply see all previous keys). An input projection embed_dim → hidden_size when the two differ; a final"
                        + " norm.");
    }

    /** The point of the architecture: global layers see no position information unless a layers: entry says so. */
    @Override
    public PositionEmbedding positionEmbedding(LayerType layerType, PositionEmbedding configured) {
        return layerType == LayerType.FULL ? PositionEmbedding.NONE : super.positionEmbedding(layerType, configured);
    }

    /** As Cohere2 names its decoder. */
    @Override
    public Optional<HuggingFaceNames> huggingFaceNames() {
        return Optional.of(HuggingFaceNames.DECODER);
    }

    @Override
    public List<Layer> build(ModelSpec spec, Parameters parameters) {
        return TransformerStack.layers(spec, parameters, false);
    }
}
