package org.attentionlab.model.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.attentionlab.model.arch.Architecture;
import org.attentionlab.model.spec.AttentionSpec;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.Device;
import org.attentionlab.model.spec.FfnSpec;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.LmHeadSpec;
import org.attentionlab.model.spec.NormSpec;
import org.attentionlab.model.spec.PositionBias;
import org.attentionlab.model.spec.RopeSpec;
import org.attentionlab.model.spec.TrainSpec;
import org.attentionlab.model.spec.YamlName;

/**
 * A resolved config as plain data (maps, lists, strings, numbers, booleans, nulls) for JSON: what
 * {@code scripts/run describe CONFIG --resolved} prints and the PyTorch twins read, so that they build the model the
 * Java side resolved ({@code extends}, defaults, per-layer overrides) while computing it with their own math.
 * <ul>
 * <li>{@code settings}: every top-level key the architecture reads, from the key table, with its resolved value
 * ({@code null}: none, e.g. sliding_window where nothing slides); {@code sliding_window_pattern} is expanded into
 * {@code layer_types}, and {@code extends} and {@code layers} are resolved away; {@code train} is the resolved
 * {@code train:} block, key by key, when it is given;</li>
 * <li>{@code input}, {@code layers} (one resolved {@link BlockSpec} each) and {@code lm_head};</li>
 * <li>{@code hugging_face_names}: our parameter name and Hugging Face's, per row, for architectures with an HF
 * counterpart, else null.</li>
 * </ul>
 */
public final class ResolvedConfig {

    /** Names the layout of this data; a reader checks it. */
    public static final String FORMAT = "attention-lab resolved config 1";

    private ResolvedConfig() {
    }

    public static Map<String, Object> of(ModelSpec spec) {
        return of(spec, Optional.empty());
    }

    /** {@link #of(ModelSpec)} with the config's {@code train:} block resolved, as setting {@code train} (null without one). */
    public static Map<String, Object> of(ModelSpec spec, Optional<TrainSpec> train) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("format", FORMAT);
        out.put("source", spec.source().toString());
        Map<String, Object> settings = new LinkedHashMap<>();
        for (Key<?> key : Keys.all()) {
            if (key.topLevel() && key != Keys.EXTENDS && key != Keys.LAYERS_ENTRIES && key != Keys.SLIDING_WINDOW_PATTERN && spec.architecture().accepts(key)) {
                settings.put(key.name(), key == Keys.TRAIN_BLOCK ? train.map(ResolvedConfig::train).orElse(null) : plain(spec.settings().find(key).orElse(null)));
            }
        }
        out.put("settings", settings);
        out.put("input", input(spec.input()));
        out.put("layers", spec.blocks().stream().map(ResolvedConfig::layer).toList());
        out.put("lm_head", spec.lmHead().map(ResolvedConfig::lmHead).orElse(null));
        out.put("hugging_face_names", spec.architecture().huggingFaceNames()
                .map(names -> names.rows().stream().map(row -> List.of(row.ours(), row.huggingFace())).toList()).orElse(null));
        return out;
    }

    /** Enums by their YAML name, the architecture and device by their spelling, lists item by item. */
    private static Object plain(Object value) {
        return switch (value) {
        case null -> null;
        case YamlName name -> name.yamlName();
        case Architecture architecture -> architecture.yamlName();
        case Device device -> device.toString();
        case List<?> list -> list.stream().map(ResolvedConfig::plain).toList();
        default -> value;
        };
    }

    /** Every key of the train: block by name (the task's own options only), as a checkpoint's config writes them. */
    private static Map<String, Object> train(TrainSpec train) {
        Map<String, Object> out = new LinkedHashMap<>();
        ConfigWriter.trainValues(train).forEach((key, value) -> out.put(key.name(), plain(value)));
        return out;
    }

    private static Map<String, Object> input(InputSpec input) {
        Map<String, Object> out = new LinkedHashMap<>();
        switch (input) {
        case InputSpec.Features features -> {
            out.put("kind", "features");
            out.put("embed_dim", features.embedDim());
        }
        case InputSpec.TokenIds ids -> {
            out.put("kind", "token_ids");
            out.put("vocab_size", ids.vocabSize());
        }
        }
        out.put("sinusoidal", plain(input.sinusoidal().orElse(null)));
        return out;
    }

    private static Map<String, Object> layer(BlockSpec block) {
        AttentionSpec attention = block.attention();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("index", block.index());
        out.put("layer_type", plain(block.layerType()));
        out.put("sliding_window", block.window() > 0 ? block.window() : null);
        out.put("causal", attention.mask().causal());
        out.put("global_tokens", attention.mask().globalTokens());
        out.put("num_attention_heads", attention.heads());
        out.put("num_key_value_heads", attention.kvHeads());
        out.put("head_dim", attention.headDim());
        out.put("position_embedding", plain(block.positionEmbedding()));
        out.put("rope", attention.rope().map(ResolvedConfig::rope).orElse(null));
        out.put("alibi_slopes", attention.bias() instanceof PositionBias.Alibi alibi ? plain(alibi.rule()) : null);
        out.put("ape_scale", attention.bias() instanceof PositionBias.Ape ape ? ape.scale() : null);
        out.put("qk_norm", attention.qkNorm());
        out.put("qk_norm_eps", attention.normEps());
        out.put("attention_algorithm", plain(attention.algorithm()));
        out.put("chunk_size", attention.chunkSize());
        out.put("attention_bias", block.attentionBias());
        out.put("ffn", block.ffn().map(ResolvedConfig::ffn).orElse(null));
        out.put("norm", norm(block.norm()));
        out.put("norm_position", plain(block.normPosition()));
        out.put("sinusoidal_input", plain(block.sinusoidalInput().orElse(null)));
        out.put("dropout", block.dropout());
        return out;
    }

    private static Map<String, Object> rope(RopeSpec rope) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("theta", rope.theta());
        out.put("pairing", plain(rope.pairing()));
        return out;
    }

    private static Map<String, Object> ffn(FfnSpec ffn) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", plain(ffn.type()));
        out.put("intermediate_size", ffn.size());
        out.put("hidden_act", plain(ffn.act()));
        out.put("bias", ffn.bias());
        return out;
    }

    private static Map<String, Object> norm(NormSpec norm) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", plain(norm.kind()));
        out.put("eps", norm.eps());
        out.put("bias", norm.bias());
        return out;
    }

    private static Map<String, Object> lmHead(LmHeadSpec head) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("vocab_size", head.vocabSize());
        out.put("tie_word_embeddings", head.tied());
        out.put("logit_scale", head.logitScale());
        return out;
    }
}
