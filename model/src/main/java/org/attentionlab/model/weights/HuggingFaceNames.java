package org.attentionlab.model.weights;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Our parameter names and Hugging Face's for the architectures that have an HF counterpart (a decoder of
 * {@code embed_tokens}, {@code layers} and {@code norm} under {@code model.}, and {@code lm_head}, as Llama, Mistral
 * and Cohere2 name theirs), in one table: the PyTorch twins load our safetensors into HF-named modules through it
 * ({@code scripts/run describe CONFIG --resolved} exports it), configs/README.md's name table is generated from it,
 * and an HF checkpoint reader or writer maps names with it. {@code {i}} stands for a layer index. A name without a row
 * (such as {@code input_proj}) has no HF counterpart; a tied {@code lm_head} has no tensor on either side.
 */
public final class HuggingFaceNames {

    /** One parameter: our name and Hugging Face's, {@code {i}} for the layer index. */
    public record Row(String ours, String huggingFace) {
    }

    /** Llama/Mistral/Cohere2 decoder names; the names of a part a config leaves out (biases, ffn_norm) are simply absent. */
    public static final HuggingFaceNames DECODER = new HuggingFaceNames(List.of(
            new Row("embed_tokens.weight", "model.embed_tokens.weight"),
            new Row("layers.{i}.attn_norm.weight", "model.layers.{i}.input_layernorm.weight"),
            new Row("layers.{i}.attn_norm.bias", "model.layers.{i}.input_layernorm.bias"),
            new Row("layers.{i}.attn.q_proj.weight", "model.layers.{i}.self_attn.q_proj.weight"),
            new Row("layers.{i}.attn.q_proj.bias", "model.layers.{i}.self_attn.q_proj.bias"),
            new Row("layers.{i}.attn.k_proj.weight", "model.layers.{i}.self_attn.k_proj.weight"),
            new Row("layers.{i}.attn.k_proj.bias", "model.layers.{i}.self_attn.k_proj.bias"),
            new Row("layers.{i}.attn.v_proj.weight", "model.layers.{i}.self_attn.v_proj.weight"),
            new Row("layers.{i}.attn.v_proj.bias", "model.layers.{i}.self_attn.v_proj.bias"),
            new Row("layers.{i}.attn.o_proj.weight", "model.layers.{i}.self_attn.o_proj.weight"),
            new Row("layers.{i}.attn.o_proj.bias", "model.layers.{i}.self_attn.o_proj.bias"),
            new Row("layers.{i}.ffn_norm.weight", "model.layers.{i}.post_attention_layernorm.weight"),
            new Row("layers.{i}.ffn_norm.bias", "model.layers.{i}.post_attention_layernorm.bias"),
            new Row("layers.{i}.ffn.gate_proj.weight", "model.layers.{i}.mlp.gate_proj.weight"),
            new Row("layers.{i}.ffn.gate_proj.bias", "model.layers.{i}.mlp.gate_proj.bias"),
            new Row("layers.{i}.ffn.up_proj.weight", "model.layers.{i}.mlp.up_proj.weight"),
            new Row("layers.{i}.ffn.up_proj.bias", "model.layers.{i}.mlp.up_proj.bias"),
            new Row("layers.{i}.ffn.down_proj.weight", "model.layers.{i}.mlp.down_proj.weight"),
            new Row("layers.{i}.ffn.down_proj.bias", "model.layers.{i}.mlp.down_proj.bias"),
            new Row("final_norm.weight", "model.norm.weight"),
            new Row("final_norm.bias", "model.norm.bias"),
            new Row("lm_head.weight", "lm_head.weight")));

    private static final String INDEX = "{i}";

    private final List<Row> rows;

    private HuggingFaceNames(List<Row> rows) {
        this.rows = List.copyOf(rows);
    }

    public List<Row> rows() {
        return rows;
    }

    /** Hugging Face's name for one of ours, or empty when it has no counterpart. */
    public Optional<String> huggingFace(String ours) {
        return convert(ours, Row::ours, Row::huggingFace);
    }

    /** Our name for one of Hugging Face's, or empty when it has no counterpart. */
    public Optional<String> ours(String huggingFace) {
        return convert(huggingFace, Row::huggingFace, Row::ours);
    }

    private Optional<String> convert(String name, Function<Row, String> from, Function<Row, String> to) {
        for (Row row : rows) {
            Optional<String> index = match(from.apply(row), name);
            if (index.isPresent()) {
                return Optional.of(to.apply(row).replace(INDEX, index.get()));
            }
        }
        return Optional.empty();
    }

    /** The layer index {@code name} has where the pattern says {i} ("" without one), or empty when it does not match. */
    private static Optional<String> match(String pattern, String name) {
        int at = pattern.indexOf(INDEX);
        if (at < 0) {
            return pattern.equals(name) ? Optional.of("") : Optional.empty();
        }
        Matcher m = Pattern.compile(Pattern.quote(pattern.substring(0, at)) + "(0|[1-9][0-9]{0,5})" + Pattern.quote(pattern.substring(at + INDEX.length())))
                .matcher(name);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
