package org.attentionlab.model.spec;

/** How a layer computes attention; all give the same result up to rounding. */
public enum AttentionAlgorithm implements YamlName {
    /** Materialise the masked score rows, softmax, weighted sum. */
    STANDARD,
    /** Queries in chunks of chunk_size against all visible keys (Edifice chunked_attention). */
    CHUNKED,
    /** Keys in chunks of chunk_size with an online softmax (Rabe and Staats). */
    MEMORY_EFFICIENT,
    /** Tiled online-softmax kernel (FlashAttention-style). */
    FLASH
}
