package org.attentionlab.model.arch;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.attentionlab.model.config.Defaults;
import org.attentionlab.model.config.Key;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.layers.InputEncoding;
import org.attentionlab.model.layers.LanguageModelHead;
import org.attentionlab.model.layers.OutputHead;
import org.attentionlab.model.layers.TokenEmbedding;
import org.attentionlab.model.layers.TransformerBlock;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.weights.Parameters;

/**
 * input (features, or token ids through {@code embed_tokens}) → one transformer block per layer → output head (and
 * {@code lm_head} for logits): what the transformer architectures share. Each architecture decides what differs.
 */
final class TransformerStack {

    /**
     * What every transformer architecture reads beyond the common keys: feature width or vocabulary, and the
     * language-model head's settings.
     */
    static final Set<Key<?>> OWN_KEYS = Set.of(Keys.EMBED_DIM, Keys.VOCAB_SIZE, Keys.TIE_WORD_EMBEDDINGS, Keys.LOGIT_SCALE);

    /** Feature input unless vocab_size is given (ape's default vocabulary is not theirs). */
    static final Defaults DEFAULTS = Defaults.none().with(Keys.VOCAB_SIZE, new Key.Default.Unset<>());

    private TransformerStack() {
    }

    /**
     * @param projectEqualWidths whether feature input is projected ({@code input_proj}) even when embed_dim equals
     *                           hidden_size (Edifice's MultiHead always projects); token ids are embedded at
     *                           hidden_size and never projected
     */
    static List<Layer> layers(ModelSpec spec, Parameters parameters, boolean projectEqualWidths) {
        int hidden = spec.hiddenSize();
        List<Layer> layers = new ArrayList<>();
        TokenEmbedding embedding = null;
        switch (spec.input()) {
        case InputSpec.TokenIds ids -> {
            embedding = new TokenEmbedding(parameters, ids.vocabSize(), hidden, ids.sinusoidal());
            layers.add(embedding);
        }
        case InputSpec.Features features -> layers.add(new InputEncoding(parameters, features.embedDim(), hidden,
                projectEqualWidths || features.embedDim() != hidden, features.sinusoidal()));
        }
        for (BlockSpec block : spec.blocks()) {
            layers.add(new TransformerBlock(block, parameters, hidden));
        }
        // Post-norm blocks end normalised; pre-norm and parallel stacks end with a final norm.
        boolean finalNorm = spec.normPosition() != NormPosition.POST && spec.norm().kind() != Norm.NONE;
        // Logits are computed at every position, from the final-normed stream.
        OutputMode pooling = spec.output() == OutputMode.LOGITS ? OutputMode.ALL : spec.output();
        layers.add(new OutputHead(parameters, finalNorm ? Optional.of(spec.norm()) : Optional.empty(), hidden, pooling));
        if (spec.lmHead().isPresent()) {
            layers.add(new LanguageModelHead(parameters, spec.lmHead().get(), hidden, embedding));
        }
        return layers;
    }
}
