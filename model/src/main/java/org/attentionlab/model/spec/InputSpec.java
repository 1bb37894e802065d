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

    /**
     * Token ids [batch, seq], each below {@code vocabSize}, looked up in an embedding table; {@code sinusoidal}: an
     * encoding added to the embedded stream once, before the first layer.
     */
    record TokenIds(int vocabSize, Optional<SinusoidalVariant> sinusoidal) implements InputSpec {
        public TokenIds {
            Objects.requireNonNull(sinusoidal, "sinusoidal");
            if (vocabSize < 1) {
                throw new IllegalArgumentException("vocabSize must be >= 1, got " + vocabSize);
            }
        }

        /** Token ids without an input encoding. */
        public TokenIds(int vocabSize) {
            this(vocabSize, Optional.empty());
        }
    }

    /** The sinusoidal encoding added to the input stream once, if any. */
    Optional<SinusoidalVariant> sinusoidal();
}
