package org.attentionlab.model.spec;

/** Where the block normalises. */
public enum NormPosition implements YamlName {
    /** x + attn(norm(x)), then x + ffn(norm(x)). */
    PRE,
    /** norm(x + attn(x)), then norm(x + ffn(x)) (Edifice MultiHead). */
    POST,
    /** x + attn(norm(x)) + ffn(norm(x)) from one norm (Cohere2). */
    PARALLEL
}
