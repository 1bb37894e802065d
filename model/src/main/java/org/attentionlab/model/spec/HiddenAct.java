package org.attentionlab.model.spec;

/** The feed-forward activation (Hugging Face {@code hidden_act} names). */
public enum HiddenAct implements YamlName {
    /** Exact GELU, x * Phi(x) with erf. */
    GELU,
    /** The tanh approximation of GELU. */
    GELU_PYTORCH_TANH,
    /** x * sigmoid(x). */
    SILU,
    /** max(x, 0). */
    RELU
}
