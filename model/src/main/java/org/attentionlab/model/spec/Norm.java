package org.attentionlab.model.spec;

/** The normalisation used in each block. */
public enum Norm implements YamlName {
    /** LayerNorm with weight and bias. */
    LAYERNORM,
    /** RMSNorm with weight only. */
    RMSNORM,
    /** No normalisation (the APE notebook). */
    NONE
}
