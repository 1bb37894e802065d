package org.attentionlab.model.spec;

import java.util.Objects;
import java.util.Optional;

/**
 * One attention layer of a stack, fully resolved (global settings, architecture defaults and per-layer overrides
 * applied): its attention, whether its q/k/v/o projections have biases (Hugging Face's {@code attention_bias}), its
 * feed-forward part (empty: the block has none, e.g. {@code intermediate_size: 0}), its norm and where it sits, the
 * hidden dropout of its residual updates, and the sinusoidal encoding it adds to its input stream first (a per-layer
 * {@code position_embedding: sinusoidal}).
 */
public record BlockSpec(int index, AttentionSpec attention, boolean attentionBias, Optional<FfnSpec> ffn, NormSpec norm, NormPosition normPosition,
        Optional<SinusoidalVariant> sinusoidalInput, double dropout) {

    public BlockSpec {
        Objects.requireNonNull(attention, "attention");
        Objects.requireNonNull(ffn, "ffn");
        Objects.requireNonNull(norm, "norm");
        Objects.requireNonNull(normPosition, "normPosition");
        Objects.requireNonNull(sinusoidalInput, "sinusoidalInput");
        if (index < 0) {
            throw new IllegalArgumentException("layer index " + index + " is negative");
        }
        if (sinusoidalInput.isPresent() && (attention.rope().isPresent() || !(attention.bias() instanceof PositionBias.None))) {
            throw new IllegalArgumentException("layer " + index + " has one position embedding: sinusoidal, and also RoPE or a bias");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
    }

    public LayerType layerType() {
        return attention.mask().layerType();
    }

    /** W of a sliding layer (its widest head's when each head has its own), 0 for a full one. */
    public int window() {
        return attention.mask().window() instanceof Window.Sliding sliding ? sliding.size() : 0;
    }

    /** sliding_window as a config writes it (W, or every head's W), null for a full layer. */
    public Object windowValue() {
        return attention.mask().window() instanceof Window.Sliding sliding ? sliding.yamlValue() : null;
    }

    /** This layer's position embedding, as a config names it. */
    public PositionEmbedding positionEmbedding() {
        if (sinusoidalInput.isPresent()) {
            return PositionEmbedding.SINUSOIDAL;
        }
        if (attention.rope().isPresent()) {
            return PositionEmbedding.ROPE;
        }
        return switch (attention.bias()) {
        case PositionBias.None none -> PositionEmbedding.NONE;
        case PositionBias.Alibi alibi -> PositionEmbedding.ALIBI;
        case PositionBias.Ape ape -> PositionEmbedding.APE;
        };
    }

    /** A short description such as {@code sliding W=128, pe rope (theta 10000, neox), flash chunk 32}. */
    public String describe() {
        StringBuilder text = new StringBuilder(layerType() == LayerType.SLIDING ? "sliding W=" + windowValue() : "full");
        text.append(", pe ").append(positionEmbedding().yamlName());
        attention.rope().ifPresent(rope -> text.append(" (theta ").append(Numbers.plain(rope.theta())).append(", ").append(rope.pairing().yamlName())
                .append(')'));
        text.append(", ").append(attention.algorithm().yamlName());
        if (attention.algorithm() != AttentionAlgorithm.STANDARD) {
            text.append(" chunk ").append(attention.chunkSize());
        }
        if (attention.qkNorm()) {
            text.append(", qk_norm");
        }
        if (!attention.mask().causal()) {
            text.append(", bidirectional");
        }
        return text.toString();
    }
}
