package org.attentionlab.model.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.attentionlab.model.arch.Architecture;
import org.attentionlab.model.spec.AttentionAlgorithm;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.Device;
import org.attentionlab.model.spec.FfnType;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.LmHeadSpec;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.spec.NormSpec;
import org.attentionlab.model.spec.Numbers;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.PositionEmbedding;

/**
 * A config resolved into what a model is built from: the architecture, every key's value ({@link #settings()}), the
 * input, one {@link BlockSpec} per attention layer and the language-model head ({@code output: logits}).
 * Immutable; {@link ConfigLoader} makes it, the architecture's {@code build} turns it into layers.
 *
 * @param source the file it was loaded from (as named to the loader)
 * @param lmHead present exactly when the output is logits; its vocabulary is the token input's
 */
public record ModelSpec(Path source, Architecture architecture, Settings settings, InputSpec input, List<BlockSpec> blocks, Optional<LmHeadSpec> lmHead) {

    public ModelSpec {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(lmHead, "lmHead");
        if (lmHead.isPresent() != (settings.get(Keys.OUTPUT) == OutputMode.LOGITS)) {
            throw new IllegalArgumentException("a language-model head goes with output logits, and only with it");
        }
        if (lmHead.isPresent() && !(input instanceof InputSpec.TokenIds ids && ids.vocabSize() == lmHead.get().vocabSize())) {
            throw new IllegalArgumentException("the language-model head's vocabulary must be the token input's, got " + input + " and " + lmHead.get());
        }
        blocks = List.copyOf(blocks);
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("a model has at least one layer");
        }
        for (int i = 0; i < blocks.size(); i++) {
            if (blocks.get(i).index() != i) {
                throw new IllegalArgumentException("blocks must be in index order, found " + blocks.get(i).index() + " at " + i);
            }
        }
    }

    /** Model width: num_attention_heads x head_dim. */
    public int hiddenSize() {
        return settings.get(Keys.HIDDEN_SIZE);
    }

    /** The norm of every block (and of the final norm where the architecture has one). */
    public NormSpec norm() {
        Norm kind = settings.get(Keys.NORM);
        return new NormSpec(kind, settings.get(Keys.LAYER_NORM_EPS), kind == Norm.LAYERNORM && settings.get(Keys.NORM_BIAS));
    }

    public NormPosition normPosition() {
        return settings.get(Keys.NORM_POSITION);
    }

    public OutputMode output() {
        return settings.get(Keys.OUTPUT);
    }

    public long seed() {
        return settings.get(Keys.SEED);
    }

    /** The device the config names (the CLI's --device overrides it). */
    public Device device() {
        return settings.get(Keys.DEVICE);
    }

    /** The type of every layer, in order (the Hugging Face {@code layer_types} view). */
    public List<LayerType> layerTypes() {
        return blocks.stream().map(BlockSpec::layerType).toList();
    }

    /** One-line summary for logs and the CLI. */
    public String oneLine() {
        StringBuilder text = new StringBuilder(architecture.yamlName());
        switch (input) {
        case InputSpec.TokenIds ids -> text.append(": vocab ").append(ids.vocabSize());
        case InputSpec.Features features -> text.append(": embed_dim ").append(features.embedDim());
        }
        settings.find(Keys.LSTM_HIDDEN_SIZE).ifPresent(width -> text.append(" -> lstm ").append(width).append('x').append(settings.get(Keys.LSTM_LAYERS)));
        text.append(" -> hidden ").append(hiddenSize());
        text.append(", ").append(blocks.size()).append(blocks.size() == 1 ? " layer (" : " layers (").append(layerSummary()).append(')');
        int heads = settings.get(Keys.NUM_ATTENTION_HEADS);
        text.append(", heads ").append(heads).append('x').append(settings.get(Keys.HEAD_DIM));
        int kvHeads = settings.get(Keys.NUM_KEY_VALUE_HEADS);
        if (kvHeads != heads) {
            text.append(" kv ").append(kvHeads);
        }
        int intermediate = settings.get(Keys.INTERMEDIATE_SIZE);
        FfnType ffnType = settings.get(Keys.FFN_TYPE);
        text.append(intermediate > 0 ? ", ffn " + intermediate + " " + (ffnType == FfnType.MLP ? "" : ffnType.yamlName() + " ")
                + settings.get(Keys.HIDDEN_ACT).yamlName() : ", no ffn");
        text.append(", pe ").append(positionSummary());
        Norm norm = settings.get(Keys.NORM);
        text.append(", ").append(norm.yamlName());
        if (norm == Norm.LAYERNORM && !settings.get(Keys.NORM_BIAS)) {
            text.append(" (no bias)");
        }
        if (norm != Norm.NONE) {
            text.append(' ').append(normPosition().yamlName());
        }
        List<String> biasFree = new ArrayList<>();
        if (!settings.get(Keys.ATTENTION_BIAS)) {
            biasFree.add("attention");
        }
        if (!settings.get(Keys.MLP_BIAS) && intermediate > 0) {
            biasFree.add("mlp");
        }
        if (!biasFree.isEmpty()) {
            text.append(", no ").append(String.join(" or ", biasFree)).append(" biases");
        }
        text.append(", ").append(settings.get(Keys.CAUSAL) ? "causal" : "bidirectional");
        text.append(", ").append(algorithmSummary());
        List<Integer> globalTokens = settings.get(Keys.GLOBAL_TOKENS);
        if (!globalTokens.isEmpty()) {
            text.append(", global tokens ").append(globalTokens);
        }
        settings.find(Keys.MLP_SIZES).ifPresent(sizes -> text.append(", mlp ").append(sizes));
        text.append(", output ").append(output().yamlName());
        lmHead.ifPresent(head -> text.append(" (").append(head.tied() ? "tied" : "untied").append(" lm_head")
                .append(head.logitScale() == 1 ? "" : ", scale " + Numbers.plain(head.logitScale())).append(')'));
        text.append(", default device ").append(device()).append(", seed ").append(seed());
        return text.toString();
    }

    private String layerSummary() {
        List<String> parts = new ArrayList<>();
        List<Object> windows = blocks.stream().filter(b -> b.layerType() == LayerType.SLIDING).map(BlockSpec::windowValue).toList();
        if (!windows.isEmpty()) {
            List<Object> distinct = windows.stream().distinct().toList();
            parts.add(windows.size() + " sliding W=" + (distinct.size() == 1 ? distinct.get(0).toString() : distinct.toString()));
        }
        long full = blocks.size() - windows.size();
        if (full > 0) {
            parts.add(full + " full");
        }
        return String.join(", ", parts);
    }

    private String positionSummary() {
        Map<PositionEmbedding, Integer> counts = new EnumMap<>(PositionEmbedding.class);
        for (BlockSpec block : blocks) {
            counts.merge(block.positionEmbedding(), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        boolean sinusoidalInput = input instanceof InputSpec.Features features && features.sinusoidal().isPresent();
        if (sinusoidalInput) {
            parts.add("sinusoidal input (" + settings.get(Keys.SINUSOIDAL_VARIANT).yamlName() + ")");
        }
        for (Map.Entry<PositionEmbedding, Integer> entry : counts.entrySet()) {
            PositionEmbedding kind = entry.getKey();
            if (sinusoidalInput && kind == PositionEmbedding.NONE && counts.size() == 1) {
                continue;
            }
            String name = switch (kind) {
            case ROPE -> "rope (theta " + Numbers.plain(settings.get(Keys.ROPE_THETA)) + ", " + settings.get(Keys.ROPE_PAIRING).yamlName() + ")";
            case ALIBI -> "alibi (" + settings.get(Keys.ALIBI_SLOPES).yamlName() + ")";
            case APE -> "ape (scale " + Numbers.plain(settings.get(Keys.APE_SCALE)) + ")";
            default -> kind.yamlName();
            };
            parts.add(counts.size() == 1 ? name : name + " on " + entry.getValue());
        }
        return String.join(", ", parts);
    }

    private String algorithmSummary() {
        List<String> parts = new ArrayList<>();
        for (AttentionAlgorithm algorithm : AttentionAlgorithm.values()) {
            long count = blocks.stream().filter(b -> b.attention().algorithm() == algorithm).count();
            if (count > 0) {
                parts.add(algorithm.yamlName() + (count == blocks.size() ? "" : " on " + count));
            }
        }
        String text = String.join(", ", parts) + " attention";
        if (blocks.stream().anyMatch(b -> b.attention().qkNorm())) {
            text += ", qk_norm";
        }
        // One value for the model (attention_dropout has model scope); it applies in training and with --dropout only.
        double attentionDropout = blocks.stream().mapToDouble(b -> b.attention().dropout()).max().orElse(0);
        if (attentionDropout > 0) {
            text += ", attention dropout " + Numbers.plain(attentionDropout);
        }
        return text;
    }
}
