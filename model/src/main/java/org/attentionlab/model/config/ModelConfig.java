package org.attentionlab.model.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model description with every default applied and every cross-field rule checked; what the builders and the
 * executor read. Field names follow configs/README.md, which documents defaults and ranges.
 *
 * @param source             the file it was loaded from (as named to the loader)
 * @param architecture       the model family
 * @param embedDim           width of each input vector; 0 when the architecture reads token ids (ape)
 * @param vocabSize          number of token ids for token-id architectures (ape); 0 otherwise
 * @param hiddenSize         model width; always numAttentionHeads * headDim
 * @param numAttentionHeads  query heads
 * @param numKeyValueHeads   key/value heads; divides numAttentionHeads (query head h uses kv head
 *                           h / (numAttentionHeads / numKeyValueHeads))
 * @param headDim            width of one head
 * @param numHiddenLayers    number of attention layers; equals layers().size()
 * @param intermediateSize   feed-forward width; 0 means the blocks have no feed-forward part
 * @param slidingWindow      the global W as configured or defaulted; 0 when none is set (then no layer slides)
 * @param ropeTheta          global RoPE base (per-layer values are in layers())
 * @param ropePairing        neox (half split) or gptj (interleaved)
 * @param attentionDropout   dropout on attention weights (training only)
 * @param dropout            hidden dropout (training only)
 * @param layerNormEps       epsilon of every norm
 * @param hiddenAct          feed-forward activation
 * @param positionEmbedding  the global setting: sinusoidal means "added to the input"; the attention-level encoding
 *                           each layer really uses is {@link LayerConfig#positionEmbedding()}
 * @param sinusoidalVariant  which sinusoidal input encoding (when positionEmbedding is sinusoidal)
 * @param alibiSlopes        slope rule for layers using ALiBi
 * @param apeScale           scale of the APE bias for layers using ape
 * @param attentionAlgorithm global default (per-layer values are in layers())
 * @param chunkSize          global default chunk length
 * @param qkNorm             global default for QK normalisation
 * @param norm               layernorm, rmsnorm or none
 * @param normPosition       pre, post or parallel
 * @param globalTokens       positions with Longformer-style global attention (ascending, distinct)
 * @param output             last, all or mean
 * @param causal             true: query i sees keys j &lt;= i only; false: bidirectional
 * @param seed               weight-initialisation seed
 * @param device             default device: {@code jvm} or {@code tornado:<backend>:<device>}
 * @param lstmHiddenSize     LSTM width for the hybrid architectures; 0 otherwise
 * @param lstmLayers         LSTM depth for the hybrid architectures; 0 otherwise
 * @param mlpSizes           widths of the ReLU MLP head (hybrid_lstm_attention_mlp); empty otherwise
 * @param layers             one resolved entry per layer, in order
 */
public record ModelConfig(
        Path source,
        Architecture architecture,
        int embedDim,
        int vocabSize,
        int hiddenSize,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int numHiddenLayers,
        int intermediateSize,
        int slidingWindow,
        double ropeTheta,
        RopePairing ropePairing,
        double attentionDropout,
        double dropout,
        double layerNormEps,
        HiddenAct hiddenAct,
        PositionEmbedding positionEmbedding,
        SinusoidalVariant sinusoidalVariant,
        AlibiSlopes alibiSlopes,
        double apeScale,
        AttentionAlgorithm attentionAlgorithm,
        int chunkSize,
        boolean qkNorm,
        Norm norm,
        NormPosition normPosition,
        List<Integer> globalTokens,
        OutputMode output,
        boolean causal,
        long seed,
        String device,
        int lstmHiddenSize,
        int lstmLayers,
        List<Integer> mlpSizes,
        List<LayerConfig> layers) {

    public ModelConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(ropePairing, "ropePairing");
        Objects.requireNonNull(hiddenAct, "hiddenAct");
        Objects.requireNonNull(positionEmbedding, "positionEmbedding");
        Objects.requireNonNull(sinusoidalVariant, "sinusoidalVariant");
        Objects.requireNonNull(alibiSlopes, "alibiSlopes");
        Objects.requireNonNull(attentionAlgorithm, "attentionAlgorithm");
        Objects.requireNonNull(norm, "norm");
        Objects.requireNonNull(normPosition, "normPosition");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(device, "device");
        globalTokens = List.copyOf(globalTokens);
        mlpSizes = List.copyOf(mlpSizes);
        layers = List.copyOf(layers);
        require(architecture.takesTokenIds() ? embedDim == 0 && vocabSize >= 1 : embedDim >= 1 && vocabSize == 0,
                "embedDim/vocabSize do not fit architecture " + architecture.yamlName());
        require(numAttentionHeads >= 1 && headDim >= 1 && numKeyValueHeads >= 1, "heads and headDim must be >= 1");
        require(hiddenSize == numAttentionHeads * headDim, "hiddenSize must equal numAttentionHeads * headDim");
        require(numAttentionHeads % numKeyValueHeads == 0, "numKeyValueHeads must divide numAttentionHeads");
        require(intermediateSize >= 0, "intermediateSize must be >= 0");
        require(numHiddenLayers >= 1 && layers.size() == numHiddenLayers, "layers() must have numHiddenLayers entries");
        for (int i = 0; i < layers.size(); i++) {
            require(layers.get(i).index() == i, "layers() must be in index order");
            require(!layers.get(i).usesRope() || headDim % 2 == 0, "RoPE needs an even headDim");
        }
        require(architecture.hasLstm()
                        ? lstmHiddenSize >= 1 && lstmLayers >= 1
                        : lstmHiddenSize == 0 && lstmLayers == 0,
                "lstm sizes do not fit architecture " + architecture.yamlName());
        require(architecture == Architecture.HYBRID_LSTM_ATTENTION_MLP ? !mlpSizes.isEmpty() : mlpSizes.isEmpty(),
                "mlpSizes do not fit architecture " + architecture.yamlName());
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The type of every layer, in order (the Hugging Face {@code layer_types} view). */
    public List<LayerType> layerTypes() {
        List<LayerType> types = new ArrayList<>(layers.size());
        for (LayerConfig layer : layers) {
            types.add(layer.layerType());
        }
        return List.copyOf(types);
    }

    /** True when a sinusoidal encoding is added to the input before the first layer. */
    public boolean sinusoidalInput() {
        return positionEmbedding == PositionEmbedding.SINUSOIDAL;
    }

    /** True when any layer uses RoPE. */
    public boolean usesRope() {
        return layers.stream().anyMatch(LayerConfig::usesRope);
    }

    /** Width of the query projection output: numAttentionHeads * headDim. */
    public int queryWidth() {
        return numAttentionHeads * headDim;
    }

    /** Width of each of the key and value projection outputs: numKeyValueHeads * headDim. */
    public int keyValueWidth() {
        return numKeyValueHeads * headDim;
    }

    /** One-line summary for logs and the CLI. */
    public String oneLine() {
        StringBuilder text = new StringBuilder(architecture.yamlName());
        if (architecture.takesTokenIds()) {
            text.append(": vocab ").append(vocabSize);
        } else {
            text.append(": embed_dim ").append(embedDim);
        }
        if (architecture.hasLstm()) {
            text.append(" -> lstm ").append(lstmHiddenSize).append('x').append(lstmLayers);
        }
        text.append(" -> hidden ").append(hiddenSize);
        text.append(", ").append(numHiddenLayers).append(numHiddenLayers == 1 ? " layer (" : " layers (")
                .append(layerSummary()).append(')');
        text.append(", heads ").append(numAttentionHeads).append('x').append(headDim);
        if (numKeyValueHeads != numAttentionHeads) {
            text.append(" kv ").append(numKeyValueHeads);
        }
        if (intermediateSize > 0) {
            text.append(", ffn ").append(intermediateSize).append(' ').append(hiddenAct.yamlName());
        } else {
            text.append(", no ffn");
        }
        text.append(", pe ").append(positionSummary());
        text.append(", ").append(norm.yamlName());
        if (norm != Norm.NONE) {
            text.append(' ').append(normPosition.yamlName());
        }
        text.append(", ").append(causal ? "causal" : "bidirectional");
        text.append(", ").append(algorithmSummary());
        if (!globalTokens.isEmpty()) {
            text.append(", global tokens ").append(globalTokens);
        }
        if (!mlpSizes.isEmpty()) {
            text.append(", mlp ").append(mlpSizes);
        }
        text.append(", output ").append(output.yamlName());
        text.append(", default device ").append(device).append(", seed ").append(seed);
        return text.toString();
    }

    private String layerSummary() {
        Map<LayerType, Integer> counts = new EnumMap<>(LayerType.class);
        for (LayerConfig layer : layers) {
            counts.merge(layer.layerType(), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        int sliding = counts.getOrDefault(LayerType.SLIDING, 0);
        if (sliding > 0) {
            List<Integer> windows = layers.stream().filter(LayerConfig::sliding).map(LayerConfig::window)
                    .distinct().toList();
            parts.add(sliding + " sliding W=" + (windows.size() == 1 ? windows.get(0).toString() : windows.toString()));
        }
        int full = counts.getOrDefault(LayerType.FULL, 0);
        if (full > 0) {
            parts.add(full + " full");
        }
        return String.join(", ", parts);
    }

    private String positionSummary() {
        Map<PositionEmbedding, Integer> counts = new EnumMap<>(PositionEmbedding.class);
        for (LayerConfig layer : layers) {
            counts.merge(layer.positionEmbedding(), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        if (sinusoidalInput()) {
            parts.add("sinusoidal input (" + sinusoidalVariant.yamlName() + ")");
        }
        for (Map.Entry<PositionEmbedding, Integer> entry : counts.entrySet()) {
            PositionEmbedding kind = entry.getKey();
            if (sinusoidalInput() && kind == PositionEmbedding.NONE && counts.size() == 1) {
                continue;
            }
            String name = switch (kind) {
                case ROPE -> "rope (theta " + number(ropeTheta) + ", " + ropePairing.yamlName() + ")";
                case ALIBI -> "alibi (" + alibiSlopes.yamlName() + ")";
                case APE -> "ape (scale " + number(apeScale) + ")";
                default -> kind.yamlName();
            };
            parts.add(counts.size() == 1 ? name : name + " on " + entry.getValue());
        }
        return String.join(", ", parts);
    }

    private String algorithmSummary() {
        List<String> parts = new ArrayList<>();
        for (AttentionAlgorithm algorithm : AttentionAlgorithm.values()) {
            long count = layers.stream().filter(layer -> layer.attentionAlgorithm() == algorithm).count();
            if (count > 0) {
                String name = algorithm.yamlName() + (count == layers.size() ? "" : " on " + count);
                parts.add(name);
            }
        }
        String text = String.join(", ", parts) + " attention";
        if (layers.stream().anyMatch(LayerConfig::qkNorm)) {
            text += ", qk_norm";
        }
        return text;
    }

    /** Numbers without a trailing ".0" for integral values: 10000 rather than 10000.0. */
    static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }
}
