package org.attentionlab.model.spec;

/** What the model returns. */
public enum OutputMode implements YamlName {
    /** The last position: [batch, hidden]. */
    LAST,
    /** Every position: [batch, seq, hidden]. */
    ALL,
    /** The mean over positions: [batch, hidden]. */
    MEAN,
    /** The language-model head's logits at every position: [batch, seq, vocab_size] (final norm, then lm_head). */
    LOGITS
}
