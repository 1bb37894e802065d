package org.attentionlab.model.weights;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.attentionlab.model.InputException;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.io.FileKind;
import org.attentionlab.model.io.InputFiles;
import org.attentionlab.model.io.OutputFiles;
import org.attentionlab.model.io.UnusableFileException;

/**
 * A Hugging Face checkpoint directory: {@code config.json} ({@link HuggingFaceConfig}) and the weights, either
 * {@code model.safetensors} or {@code model.safetensors.index.json} with the shards it names, read as
 * {@code from_pretrained} finds them (the single file first). Tensors keep Hugging Face's names
 * ({@code model.layers.0.self_attn.q_proj.weight}); {@link HuggingFaceNames} maps them to the model's parameters, and
 * every mismatch is reported under the checkpoint's names. F16 and BF16 tensors are widened to float exactly.
 *
 * <p>Writing ({@link #write}) produces what {@code save_pretrained} would: config.json (fields sorted, indented) and
 * one model.safetensors with Hugging Face's names, F32, a tied {@code lm_head.weight} left out and the metadata
 * {@code {"format": "pt"}}; the directory appears whole or not at all ({@link OutputFiles#writeDirectory}).
 */
public final class HuggingFaceCheckpoint {

    public static final String WEIGHTS_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** An index lists every tensor once; a 70B model's is about 100 KB. */
    static final int MAX_INDEX_BYTES = 16 << 20;
    /** What from_pretrained writes into the safetensors metadata. */
    static final Map<String, String> METADATA = Map.of("format", "pt");
    private static final Pattern SHARD_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,200}\\.safetensors");

    private HuggingFaceCheckpoint() {
    }

    /** A checkpoint's tensors by Hugging Face's names, and the file messages about them name. */
    public record Tensors(String source, Map<String, Tensor> byName) {
    }

    /** Whether {@code path} is a directory, which a config argument then names as a checkpoint. */
    public static boolean isCheckpointDirectory(Path path) {
        try {
            return FileKind.of(path) == FileKind.DIRECTORY;
        } catch (IOException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- reading

    /**
     * The tensors of the checkpoint in {@code directory}: model.safetensors, else the shards
     * model.safetensors.index.json names (each tensor in the shard the index says, and nothing else in the shards).
     * Refused before any data is read when the heap cannot hold them.
     */
    public static Tensors read(Path directory) throws IOException {
        Path single = directory.resolve(WEIGHTS_FILE);
        Path index = directory.resolve(INDEX_FILE);
        if (FileKind.of(single) != FileKind.MISSING) {
            return new Tensors(single.toString(), SafeTensors.readWithinHeap(single));
        }
        if (FileKind.of(index) == FileKind.MISSING) {
            boolean pickle = FileKind.of(directory.resolve("pytorch_model.bin")) != FileKind.MISSING;
            throw new InputException(directory + ": no " + WEIGHTS_FILE + " or " + INDEX_FILE
                    + (pickle ? " (pytorch_model.bin is a pickle, which is never read here: convert it to safetensors)" : ""));
        }
        Map<String, List<String>> shards = shards(index);
        long elements = 0;
        Map<Path, SafeTensors.Header> headers = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> shard : shards.entrySet()) {
            Path file = directory.resolve(shard.getKey());
            SafeTensors.Header header = SafeTensors.readHeader(file);
            Set<String> held = header.tensors().keySet();
            for (String name : shard.getValue()) {
                if (!held.contains(name)) {
                    throw new InputException(index + ": weight_map puts " + name + " in " + shard.getKey() + ", which has no such tensor");
                }
            }
            for (String name : held) {
                if (!shard.getValue().contains(name)) {
                    throw new InputException(file + ": holds " + name + ", which " + INDEX_FILE + " does not list in this shard");
                }
            }
            for (SafeTensors.TensorInfo info : header.tensors().values()) {
                elements += info.size();
            }
            headers.put(file, header);
        }
        SafeTensors.requireHeapFor(index.toString(), elements);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Path file : headers.keySet()) {
            tensors.putAll(SafeTensors.read(file));
        }
        return new Tensors(index.toString(), tensors);
    }

    /** The index's weight_map grouped by shard, in the order shards first appear; shard names must be plain file names. */
    private static Map<String, List<String>> shards(Path index) {
        byte[] bytes;
        try {
            bytes = InputFiles.readAtMost(index, MAX_INDEX_BYTES);
        } catch (UnusableFileException e) {
            throw new InputException(index + ": cannot read: " + e.reason());
        }
        if (bytes.length > MAX_INDEX_BYTES) {
            throw new InputException(index + ": is more than " + MAX_INDEX_BYTES + " bytes (its content is not read)");
        }
        Object parsed;
        try {
            parsed = Json.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (Json.ParseException e) {
            throw new InputException(index + ": not JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> object) || !(object.get("weight_map") instanceof Map<?, ?> weightMap)) {
            throw new InputException(index + ": expected an object with a weight_map of tensor names to shard files");
        }
        Map<String, List<String>> shards = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : weightMap.entrySet()) {
            if (!(entry.getValue() instanceof String shard) || !SHARD_NAME.matcher(shard).matches()) {
                throw new InputException(index + ": weight_map: " + entry.getKey() + ": the shard must be a file name in the checkpoint directory"
                        + " ending in .safetensors, got " + HuggingFaceConfig.FieldValue.describe(entry.getValue()));
            }
            shards.computeIfAbsent(shard, s -> new ArrayList<>()).add((String) entry.getKey());
        }
        if (shards.isEmpty()) {
            throw new InputException(index + ": weight_map is empty");
        }
        return shards;
    }

    /**
     * Puts a checkpoint's tensors into the parameters of a model of {@code spec}, Hugging Face's names mapped to ours;
     * the checkpoint must hold exactly these tensors with these shapes, and every mismatch is reported in one line in
     * the checkpoint's names. An {@code lm_head.weight} the model has no parameter for is what Hugging Face does with
     * it: with tied embeddings it must equal them (Hugging Face would compute with the embeddings), and without a
     * language-model head (an output other than logits, as the base model) it is not used.
     */
    public static void load(Parameters parameters, ModelSpec spec, Tensors tensors) {
        HuggingFaceNames names = spec.architecture().huggingFaceNames()
                .orElseThrow(() -> new IllegalStateException(spec.architecture() + " has no Hugging Face names"));
        Set<String> ours = new java.util.HashSet<>();
        parameters.all().forEach(p -> ours.add(p.name()));
        Map<String, Tensor> renamed = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> entry : tensors.byName().entrySet()) {
            String name = names.ours(entry.getKey()).orElse(entry.getKey());
            if (name.equals(LM_HEAD) && !ours.contains(LM_HEAD)) {
                boolean tied = spec.lmHead().map(head -> head.tied()).orElse(false);
                Tensor embeddings = tensors.byName().get(names.huggingFace(EMBEDDINGS).orElseThrow());
                if (tied && (embeddings == null || !Arrays.equals(embeddings.floats(), entry.getValue().floats()))) {
                    throw new InputException(tensors.source() + ": " + entry.getKey() + " differs from the embeddings, but tie_word_embeddings is true"
                            + " (Hugging Face would compute with the embeddings and ignore it)");
                }
                continue;
            }
            renamed.put(name, entry.getValue());
        }
        parameters.loadFrom(tensors.source(), renamed, name -> names.huggingFace(name).orElse(name));
    }

    private static final String EMBEDDINGS = "embed_tokens.weight";
    private static final String LM_HEAD = "lm_head.weight";

    // ---------------------------------------------------------------- writing

    /**
     * Writes {@code spec} with the values of {@code parameters} as a checkpoint directory at {@code directory} (which
     * must not exist, or be an empty directory); refused, naming the key, when Hugging Face cannot express the config.
     */
    public static void write(Path directory, ModelSpec spec, Parameters parameters) throws IOException {
        Map<String, Object> config = HuggingFaceConfig.export(spec);
        HuggingFaceNames names = spec.architecture().huggingFaceNames().orElseThrow();
        Map<String, Tensor> tensors = new TreeMap<>();
        for (Parameters.Parameter p : parameters.all()) {
            String name = names.huggingFace(p.name())
                    .orElseThrow(() -> new IllegalStateException("parameter " + p.name() + " has no Hugging Face name, but its config exports"));
            tensors.put(name, Tensor.wrapping(p.shape(), p.data().toHeapArray()));
        }
        byte[] json = (Json.writeIndented(config) + "\n").getBytes(StandardCharsets.UTF_8);
        OutputFiles.writeDirectory(directory, temporary -> {
            OutputFiles.write(temporary.resolve(HuggingFaceConfig.CONFIG_FILE), out -> out.write(json));
            SafeTensors.write(temporary.resolve(WEIGHTS_FILE), tensors, METADATA);
        });
    }
}
