package org.attentionlab.model.config;

import java.util.List;

/**
 * What each architecture uses for a key the config leaves out (configs/README.md has the same table).
 * Exactly one of hiddenSize and headDim is set: the other follows from the head count.
 *
 * @param intermediateSize feed-forward width, or -1 for "4 x hidden_size"; 0 means no feed-forward block
 * @param slidingWindow    default W, or null when the architecture has no sliding layers by default
 */
record ArchitectureDefaults(
        Integer hiddenSize,
        Integer headDim,
        int heads,
        int layers,
        int intermediateSize,
        Integer slidingWindow,
        LayerPattern layerTypes,
        double dropout,
        Norm norm,
        NormPosition normPosition,
        PositionEmbedding positionEmbedding,
        OutputMode output,
        boolean causal,
        int vocabSize,
        int lstmHiddenSize,
        int lstmLayers,
        List<Integer> mlpSizes) {

    static final int FOUR_TIMES_HIDDEN = -1;

    static ArchitectureDefaults of(Architecture architecture) {
        return switch (architecture) {
            // Edifice RNoPESWA: pre-norm transformer blocks, sliding window 128, no positional encoding.
            case RNOPE_SWA -> new ArchitectureDefaults(256, null, 4, 6, FOUR_TIMES_HIDDEN, 128,
                    LayerPattern.ALL_SLIDING, 0.1, Norm.LAYERNORM, NormPosition.PRE, PositionEmbedding.NONE,
                    OutputMode.LAST, true, 0, 0, 0, List.of());
            // Edifice MultiHead.build_sliding_window: hidden = heads x head_dim, ffn_dim 256, post-norm, sinusoidal.
            case MULTIHEAD_SLIDING_WINDOW -> new ArchitectureDefaults(null, 64, 4, 2, 256, 60,
                    LayerPattern.ALL_SLIDING, 0.1, Norm.LAYERNORM, NormPosition.POST, PositionEmbedding.SINUSOIDAL,
                    OutputMode.LAST, true, 0, 0, 0, List.of());
            // Edifice MultiHead.build_hybrid: LSTM, projection, one causal full-attention layer, residual + norm,
            // no feed-forward block.
            case HYBRID_LSTM_ATTENTION -> new ArchitectureDefaults(null, 64, 4, 1, 0, null,
                    LayerPattern.ALL_FULL, 0.1, Norm.LAYERNORM, NormPosition.POST, PositionEmbedding.NONE,
                    OutputMode.LAST, true, 0, 256, 1, List.of());
            case HYBRID_LSTM_ATTENTION_MLP -> new ArchitectureDefaults(null, 64, 4, 1, 0, null,
                    LayerPattern.ALL_FULL, 0.1, Norm.LAYERNORM, NormPosition.POST, PositionEmbedding.NONE,
                    OutputMode.LAST, true, 0, 256, 1, List.of(256, 256));
            // Cohere "Rope to Nope and Back Again" / HF Cohere2, scaled down: window 4096, every 4th layer full,
            // RoPE on sliding layers only.
            case RNOPE_SWA_HYBRID -> new ArchitectureDefaults(256, null, 4, 4, FOUR_TIMES_HIDDEN, 4096,
                    LayerPattern.every(4), 0.0, Norm.LAYERNORM, NormPosition.PRE, PositionEmbedding.ROPE,
                    OutputMode.ALL, true, 0, 0, 0, List.of());
            // The APE notebook: token ids, embedded QKV of width 3 x 64, one head, APE bias, bidirectional,
            // attention only (no norm, no feed-forward block), every position out.
            case APE -> new ArchitectureDefaults(64, null, 1, 1, 0, null,
                    LayerPattern.ALL_FULL, 0.0, Norm.NONE, NormPosition.PRE, PositionEmbedding.APE,
                    OutputMode.ALL, false, 100, 0, 0, List.of());
        };
    }

    int intermediateFor(int hidden) {
        return intermediateSize == FOUR_TIMES_HIDDEN ? 4 * hidden : intermediateSize;
    }
}
