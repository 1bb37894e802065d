package org.attentionlab.model.spec;

import java.util.Objects;

/** Rotary position embedding of queries and keys: the base and which dimensions rotate together. */
public record RopeSpec(double theta, RopePairing pairing) {

    public RopeSpec {
        Objects.requireNonNull(pairing, "pairing");
        if (!(theta > 0) || Double.isInfinite(theta)) {
            throw new IllegalArgumentException("theta must be finite and > 0, got " + theta);
        }
    }
}
