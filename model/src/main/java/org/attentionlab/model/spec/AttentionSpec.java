package org.attentionlab.model.spec;

import java.util.Objects;
import java.util.Optional;

/**
 * One layer's scaled-dot-product attention: heads (query head h reads kv head h / (heads / kvHeads)), the mask, the
 * logit bias, RoPE when the layer rotates queries and keys, QK-norm (a per-head LayerNorm without weights, with
 * {@code normEps}), and how it is computed.
 *
 * @param chunkSize query chunk (chunked) or key chunk (memory_efficient) length; carried for every algorithm so a
 *                  sweep can switch algorithms without losing it
 * @param dropout   dropout probability of the attention weights ({@code attention_dropout}), in [0, 1): applied in
 *                  training and in forward runs with dropout on, never in evaluation
 */
public record AttentionSpec(int heads, int kvHeads, int headDim, Mask mask, PositionBias bias, Optional<RopeSpec> rope, boolean qkNorm, double normEps,
        AttentionAlgorithm algorithm, int chunkSize, double dropout) {

    public AttentionSpec {
        Objects.requireNonNull(mask, "mask");
        Objects.requireNonNull(bias, "bias");
        Objects.requireNonNull(rope, "rope");
        Objects.requireNonNull(algorithm, "algorithm");
        if (heads < 1 || kvHeads < 1 || headDim < 1 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " / kv heads " + kvHeads + " / head_dim " + headDim + " do not fit together");
        }
        if (rope.isPresent() && headDim % 2 != 0) {
            throw new IllegalArgumentException("RoPE needs an even head_dim, got " + headDim);
        }
        if (rope.isPresent() && !(bias instanceof PositionBias.None)) {
            throw new IllegalArgumentException("a layer has one position embedding: RoPE and " + bias);
        }
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be >= 1, got " + chunkSize);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("attention dropout must be in [0, 1), got " + dropout);
        }
    }

    /** Width of the queries (and of the attention output): heads x headDim. */
    public int queryWidth() {
        return heads * headDim;
    }

    /** Width of each of the keys and values: kvHeads x headDim. */
    public int keyValueWidth() {
        return kvHeads * headDim;
    }
}
