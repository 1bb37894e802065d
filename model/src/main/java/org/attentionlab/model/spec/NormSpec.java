package org.attentionlab.model.spec;

import java.util.Objects;

/** A normalisation over the last dimension: LayerNorm (weight and bias), RMSNorm (weight) or none, and its epsilon. */
public record NormSpec(Norm kind, double eps) {

    public NormSpec {
        Objects.requireNonNull(kind, "kind");
        if (!(eps > 0) || eps > 1) {
            throw new IllegalArgumentException("eps must be in (0, 1], got " + eps);
        }
    }
}
