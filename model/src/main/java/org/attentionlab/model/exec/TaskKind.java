package org.attentionlab.model.exec;

import java.util.Locale;

/** What a forward task computes, for the time per kind of work that {@code scripts/run --profile} reports. */
public enum TaskKind {
    /** Token embeddings, the input projection, sinusoidal encodings, embedded q/k/v. */
    EMBEDDING,
    /** Block norms and the final norm. */
    NORMS,
    /** The attention projections: fused q/k/v and o_proj. */
    PROJECTIONS,
    /** The attention core: QK-norm, RoPE and the attention kernel. */
    ATTENTION,
    /** The feed-forward block: up (and gate) projection with its activation, down projection. */
    FFN,
    /** Residual adds and dropout when they are tasks of their own (dropout runs). */
    RESIDUAL,
    /** LSTM input projections and recurrences. */
    RECURRENT,
    /** What turns the last hidden states into the output: pooling, the MLP head, lm_head, score. */
    HEAD;

    /** The name in reports: lowercase. */
    public String reportName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
