package org.attentionlab.model.spec;

import java.util.Objects;

/**
 * A normalisation over the last dimension: LayerNorm (weight, and a bias unless {@code bias} is false, as Cohere2's),
 * RMSNorm (weight only) or none, and its epsilon.
 */
public record NormSpec(Norm kind, double eps, boolean bias) {

    public NormSpec {
        Objects.requireNonNull(kind, "kind");
        if (!(eps > 0) || eps > 1) {
            throw new IllegalArgumentException("eps must be in (0, 1], got " + eps);
        }
        if (bias && kind != Norm.LAYERNORM) {
            throw new IllegalArgumentException("only a LayerNorm has a bias, not " + kind.yamlName());
        }
    }

    /** The norm with the bias its kind has by default: LayerNorm with one, RMSNorm and none without. */
    public NormSpec(Norm kind, double eps) {
        this(kind, eps, kind == Norm.LAYERNORM);
    }
}
