package org.attentionlab.model.spec;

/**
 * The shape of a feed-forward block (Hugging Face's MLP classes): plain or gated. A gated block multiplies an
 * activated {@code gate_proj} with {@code up_proj} before {@code down_proj}, as Llama, Mistral and Cohere2 do.
 */
public enum FfnType implements YamlName {
    /** {@code down(act(up(x)))}: Edifice's and the original Transformer's two-layer MLP. */
    MLP,
    /** {@code down(silu(gate(x)) * up(x))} (Shazeer 2020; Llama, Mistral, Cohere2). */
    SWIGLU,
    /** {@code down(gelu(gate(x)) * up(x))}, GELU in the erf or tanh form (Shazeer 2020; Gemma). */
    GEGLU;

    /** Whether the block has a gate_proj. */
    public boolean gated() {
        return this != MLP;
    }

    /** Whether {@code act} can be this block's activation: any for mlp, SiLU for swiglu, a GELU for geglu. */
    public boolean admits(HiddenAct act) {
        return switch (this) {
        case MLP -> true;
        case SWIGLU -> act == HiddenAct.SILU;
        case GEGLU -> act == HiddenAct.GELU || act == HiddenAct.GELU_PYTORCH_TANH;
        };
    }
}
