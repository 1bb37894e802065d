package org.attentionlab.model.spec;

/**
 * The language-model head: {@code lm_head} maps the final hidden states to {@code vocabSize} logits, which are then
 * multiplied by {@code logitScale} (Cohere2's {@code logit_scale}; 1 elsewhere). {@code tied}: the head's weight is
 * the token embedding's ({@code embed_tokens.weight}, [vocab, hidden] is exactly a Linear's [out, in]), so there is
 * no {@code lm_head.weight} tensor (Hugging Face's {@code tie_word_embeddings}).
 */
public record LmHeadSpec(int vocabSize, boolean tied, double logitScale) {

    public LmHeadSpec {
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabSize must be >= 1, got " + vocabSize);
        }
        if (!Double.isFinite(logitScale)) {
            throw new IllegalArgumentException("logitScale must be finite, got " + logitScale);
        }
    }
}
