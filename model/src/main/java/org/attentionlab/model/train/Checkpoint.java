package org.attentionlab.model.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.attentionlab.model.Model;
import org.attentionlab.model.weights.Parameters.Parameter;
import org.attentionlab.model.weights.SafeTensors;
import org.attentionlab.model.weights.SafeTensorsException;
import org.attentionlab.model.weights.Tensor;

/**
 * {@code checkpoint-<step>.safetensors}: the parameters under their own names, AdamW's moments
 * ({@code optimizer.exp_avg.<name>}, {@code optimizer.exp_avg_sq.<name>}) and its update count
 * ({@code optimizer.step}, I32), and in the metadata the step, the data position (batches drawn so far) and the
 * resolved config (model and train: block as YAML, {@link org.attentionlab.model.config.ConfigWriter}), which is all
 * {@code scripts/run eval} and {@code --resume} need. The parameters alone load into {@code scripts/run --weights}
 * after {@link #parametersOnly}.
 */
record Checkpoint(Path file, long step, long dataPosition, String config, Map<String, Tensor> tensors) {

    static final String FORMAT = "attention-lab training checkpoint 1";
    static final String KEY_FORMAT = "format";
    static final String KEY_STEP = "step";
    static final String KEY_DATA_POSITION = "data_position";
    static final String KEY_CONFIG = "config";
    static final String KEY_TASK = "task";

    /** Writes the model's and the optimizer's host copies (read them back from the device first). */
    static void write(Path file, long step, long dataPosition, String config, String task, Model model, OptimizerState optimizer) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Parameter p : model.parameters().all()) {
            tensors.put(p.name(), Tensor.ofFloats(p.shape(), p.data().toHeapArray()));
        }
        if (optimizer != null) {
            tensors.putAll(optimizer.toTensors());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(KEY_FORMAT, FORMAT);
        metadata.put(KEY_STEP, Long.toString(step));
        metadata.put(KEY_DATA_POSITION, Long.toString(dataPosition));
        metadata.put(KEY_TASK, task);
        metadata.put(KEY_CONFIG, config);
        SafeTensors.write(file, tensors, metadata);
    }

    /** Reads a checkpoint; anything that is not one of ours is a one-line error naming the file. */
    static Checkpoint read(Path file) {
        try {
            Map<String, String> metadata = SafeTensors.readMetadata(file);
            if (!FORMAT.equals(metadata.get(KEY_FORMAT))) {
                throw new CheckpointException(file + ": not a training checkpoint of scripts/run train (metadata format is "
                        + (metadata.containsKey(KEY_FORMAT) ? "'" + metadata.get(KEY_FORMAT) + "'" : "missing") + ")");
            }
            long step = number(file, metadata, KEY_STEP);
            long position = number(file, metadata, KEY_DATA_POSITION);
            String config = metadata.get(KEY_CONFIG);
            if (config == null) {
                throw new CheckpointException(file + ": its metadata has no config");
            }
            return new Checkpoint(file, step, position, config, SafeTensors.read(file));
        } catch (SafeTensorsException e) {
            throw new CheckpointException(e.getMessage());
        }
    }

    private static long number(Path file, Map<String, String> metadata, String key) {
        try {
            long value = Long.parseLong(metadata.getOrDefault(key, ""));
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new CheckpointException(file + ": metadata " + key + " is not a count: '" + metadata.get(key) + "'");
        }
    }

    /** The parameters, without the optimizer's tensors. */
    Map<String, Tensor> parametersOnly() {
        Map<String, Tensor> parameters = new LinkedHashMap<>(tensors);
        parameters.keySet().removeIf(name -> name.startsWith("optimizer."));
        return parameters;
    }

    /** Puts the parameters into the model and, when given, the moments and the count into the optimizer. */
    void restore(Model model, OptimizerState optimizer) {
        model.parameters().loadFrom(file.toString(), parametersOnly());
        if (optimizer != null) {
            optimizer.loadFrom(file.toString(), tensors);
        }
    }
}
