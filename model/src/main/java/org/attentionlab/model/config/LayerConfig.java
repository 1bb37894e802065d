package org.attentionlab.model.config;

import java.util.Objects;

/**
 * One attention layer, fully resolved: global settings, architecture defaults and per-layer overrides applied.
 *
 * @param index              0-based layer index
 * @param layerType          sliding or full attention
 * @param window             W for a sliding layer (query i sees keys i - W &lt; j &lt;= i when causal,
 *                           |i - j| &lt;= W/2 when bidirectional); 0 for a full layer
 * @param positionEmbedding  this layer's encoding: none, rope, alibi, ape, or sinusoidal (set per layer: added to
 *                           this block's input; the model-level sinusoidal encoding is added once to the model's
 *                           input instead, see {@link ModelConfig#positionEmbedding()}, and layers do not inherit it)
 * @param ropeTheta          RoPE base (used when positionEmbedding is rope)
 * @param ropePairing        which dimensions RoPE rotates together
 * @param attentionAlgorithm how the layer computes attention
 * @param chunkSize          query or key chunk length for chunked / memory-efficient / flash attention
 * @param qkNorm             whether queries and keys are normalised per head before the dot product
 */
public record LayerConfig(
        int index,
        LayerType layerType,
        int window,
        PositionEmbedding positionEmbedding,
        double ropeTheta,
        RopePairing ropePairing,
        AttentionAlgorithm attentionAlgorithm,
        int chunkSize,
        boolean qkNorm) {

    public LayerConfig {
        Objects.requireNonNull(layerType, "layerType");
        Objects.requireNonNull(positionEmbedding, "positionEmbedding");
        Objects.requireNonNull(ropePairing, "ropePairing");
        Objects.requireNonNull(attentionAlgorithm, "attentionAlgorithm");
        if (index < 0) {
            throw new IllegalArgumentException("layer index " + index + " is negative");
        }
        if (layerType == LayerType.SLIDING && window < 1) {
            throw new IllegalArgumentException("layer " + index + ": a sliding layer needs window >= 1, got " + window);
        }
        if (layerType == LayerType.FULL && window != 0) {
            throw new IllegalArgumentException("layer " + index + ": a full layer has window 0, got " + window);
        }
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) {
            throw new IllegalArgumentException("layer " + index + ": ropeTheta must be finite and > 0, got "
                    + ropeTheta);
        }
        if (chunkSize < 1) {
            throw new IllegalArgumentException("layer " + index + ": chunkSize must be >= 1, got " + chunkSize);
        }
    }

    /** True for a sliding-window layer. */
    public boolean sliding() {
        return layerType == LayerType.SLIDING;
    }

    /** True when this layer rotates queries and keys with RoPE. */
    public boolean usesRope() {
        return positionEmbedding == PositionEmbedding.ROPE;
    }

    /** A short description such as {@code sliding W=128, rope, flash}. */
    public String describe() {
        StringBuilder text = new StringBuilder(sliding() ? "sliding W=" + window : "full");
        text.append(", pe ").append(positionEmbedding.yamlName());
        if (usesRope()) {
            text.append(" (theta ").append(ModelConfig.number(ropeTheta)).append(", ").append(ropePairing.yamlName())
                    .append(')');
        }
        text.append(", ").append(attentionAlgorithm.yamlName());
        if (attentionAlgorithm != AttentionAlgorithm.STANDARD) {
            text.append(" chunk ").append(chunkSize);
        }
        if (qkNorm) {
            text.append(", qk_norm");
        }
        return text.toString();
    }
}
