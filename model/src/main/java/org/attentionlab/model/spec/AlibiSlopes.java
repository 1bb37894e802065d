package org.attentionlab.model.spec;

/** How ALiBi slopes are chosen for a number of heads. */
public enum AlibiSlopes implements YamlName {
    /** The ALiBi paper's rule, also used by FlashAttention and Hugging Face (special rule for non powers of two). */
    REFERENCE,
    /** 2^(-8h/n) for every head count n. */
    EDIFICE
}
