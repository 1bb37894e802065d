package org.attentionlab.model.spec;

/** Which sinusoidal input encoding to add. */
public enum SinusoidalVariant implements YamlName {
    /** Vaswani et al.: sin/cos pairs with frequencies 10000^(-2k/d). */
    STANDARD,
    /** Edifice's simplified encoding, frequency 1/(1 + 0.01 k). */
    EDIFICE
}
