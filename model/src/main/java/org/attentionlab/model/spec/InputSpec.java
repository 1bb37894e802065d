package org.attentionlab.model.spec;

import java.util.Objects;
import java.util.Optional;

/** What a model reads. */
public sealed interface InputSpec {

    /** Feature vectors [batch, seq, embedDim]; {@code sinusoidal}: an encoding added once, before the first layer. */
    record Features(int embedDim, Optional<SinusoidalVariant> sinusoidal) implements InputSpec {
        public Features {
            Objects.requireNonNull(sinusoidal, "sinusoidal");
            if (embedDim < 1) {
                throw new IllegalArgumentException("embedDim must be >= 1, got " + embedDim);
            }
        }
    }

    /** Token ids [batch, seq], each below {@code vocabSize}. */
    record TokenIds(int vocabSize) implements InputSpec {
        public TokenIds {
            if (vocabSize < 1) {
                throw new IllegalArgumentException("vocabSize must be >= 1, got " + vocabSize);
            }
        }
    }
}
