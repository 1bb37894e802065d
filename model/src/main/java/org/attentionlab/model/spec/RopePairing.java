package org.attentionlab.model.spec;

/** Which dimensions RoPE rotates together. */
public enum RopePairing implements YamlName {
    /** Half-split pairs (d, d + head_dim/2): GPT-NeoX, Llama, Edifice. */
    NEOX,
    /** Interleaved pairs (2d, 2d + 1): GPT-J, Cohere2. */
    GPTJ
}
