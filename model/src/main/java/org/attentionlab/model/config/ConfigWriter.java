package org.attentionlab.model.config;

import java.util.List;
import java.util.Map;

import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.TrainSpec;
import org.attentionlab.model.spec.YamlName;
import org.attentionlab.model.weights.Json;

/**
 * A resolved config written back as YAML that loads to the same model and training run: every top-level key with its
 * resolved value, one {@code layers:} entry per layer with every per-layer value, and the {@code train:} block with
 * every training key (the task's own options only). What a checkpoint keeps, so that evaluating or resuming it needs
 * no other file: {@code extends}, defaults, shorthands and {@code --set} overrides are all resolved away.
 */
public final class ConfigWriter {

    private ConfigWriter() {
    }

    /** The config of {@code model} (and its {@code train:} block when {@code train} is not null). */
    public static String write(ModelSpec model, TrainSpec train) {
        // No file name here: a resumed run writes the very same text as the run it continues.
        StringBuilder out = new StringBuilder("# resolved by Attention Lab: every key, with defaults, extends and overrides applied\n");
        for (Key<?> key : Keys.all()) {
            if (key.topLevel() && key != Keys.EXTENDS && key != Keys.LAYERS_ENTRIES && key != Keys.SLIDING_WINDOW_PATTERN && key != Keys.TRAIN_BLOCK) {
                model.settings().find(key).ifPresent(value -> out.append(key.name()).append(": ").append(scalar(value)).append('\n'));
            }
        }
        out.append(Keys.LAYERS_ENTRIES.name()).append(":\n");
        for (BlockSpec block : model.blocks()) {
            out.append("  ").append(block.index()).append(": {").append(String.join(", ", layerValues(block))).append("}\n");
        }
        if (train != null) {
            out.append(Keys.TRAIN_BLOCK.name()).append(":\n");
            for (Map.Entry<Key<?>, Object> entry : trainValues(train).entrySet()) {
                out.append("  ").append(entry.getKey().name()).append(": ").append(scalar(entry.getValue())).append('\n');
            }
        }
        return out.toString();
    }

    /** Every per-layer key's value for one layer, as {@code key: value}. */
    private static List<String> layerValues(BlockSpec block) {
        java.util.ArrayList<String> values = new java.util.ArrayList<>();
        for (String name : Keys.PER_LAYER) {
            Key<?> key = Keys.named(name);
            Object value;
            if (key == Keys.LAYER_TYPE) {
                value = block.layerType();
            } else if (key == Keys.SLIDING_WINDOW) {
                value = block.layerType() == LayerType.SLIDING ? block.window() : null;
            } else if (key == Keys.POSITION_EMBEDDING) {
                value = block.positionEmbedding();
            } else if (key == Keys.ROPE_THETA) {
                value = block.attention().rope().map(rope -> rope.theta()).orElse(null);
            } else if (key == Keys.ATTENTION_ALGORITHM) {
                value = block.attention().algorithm();
            } else if (key == Keys.CHUNK_SIZE) {
                value = block.attention().chunkSize();
            } else if (key == Keys.QK_NORM) {
                value = block.attention().qkNorm();
            } else {
                throw new IllegalStateException("per-layer key " + name + " has no resolved view here: add it to ConfigWriter");
            }
            if (value != null) {
                values.add(name + ": " + scalar(value));
            }
        }
        return values;
    }

    /** The train: block's values, the task's own options only (another task's would be an error). */
    static Map<Key<?>, Object> trainValues(TrainSpec train) {
        Map<Key<?>, Object> values = new java.util.LinkedHashMap<>();
        values.put(Keys.TASK, train.task());
        switch (train.task()) {
        case ASSOCIATIVE_RECALL -> {
            values.put(Keys.PAIRS, train.pairs());
            values.put(Keys.KEYS, train.keys());
            values.put(Keys.VALUES, train.values());
        }
        case PASSKEY_RETRIEVAL -> {
            values.put(Keys.DIGITS, train.digits());
            train.depth().ifPresent(depth -> values.put(Keys.DEPTH, depth));
        }
        case COPYING -> values.put(Keys.VOCAB, train.vocab());
        case DELAYED_RECALL -> values.put(Keys.DELAY, train.delay());
        case TEXT -> train.textFile().ifPresent(file -> values.put(Keys.TEXT_FILE, file.toAbsolutePath().toString()));
        }
        values.put(Keys.STEPS, train.steps());
        values.put(Keys.BATCH_SIZE, train.batchSize());
        values.put(Keys.SEQ_LEN, train.seqLen());
        values.put(Keys.LEARNING_RATE, train.learningRate());
        values.put(Keys.WARMUP_STEPS, train.warmupSteps());
        values.put(Keys.LR_SCHEDULE, train.schedule());
        values.put(Keys.MIN_LEARNING_RATE, train.minLearningRate());
        values.put(Keys.WEIGHT_DECAY, train.weightDecay());
        values.put(Keys.BETAS, List.of(train.beta1(), train.beta2()));
        values.put(Keys.ADAM_EPSILON, train.adamEpsilon());
        values.put(Keys.GRAD_CLIP, train.gradClip());
        values.put(Keys.GRAD_ACCUMULATION, train.gradAccumulation());
        values.put(Keys.DATA_SEED, train.dataSeed());
        values.put(Keys.EVAL_LENGTHS, train.evalLengths());
        values.put(Keys.EVAL_BATCHES, train.evalBatches());
        values.put(Keys.LOG_INTERVAL, train.logInterval());
        values.put(Keys.CHECKPOINT_INTERVAL, train.checkpointInterval());
        return values;
    }

    /**
     * A value as YAML: enums by name, numbers so that they read back as the same double (Java's shortest repr, with
     * the exponent's sign YAML 1.1 needs to see a float), lists in flow style, everything else as a double-quoted string.
     */
    static String scalar(Object value) {
        return switch (value) {
        case YamlName name -> name.yamlName();
        case org.attentionlab.model.arch.Architecture architecture -> architecture.yamlName();
        case Boolean bool -> bool.toString();
        case Integer number -> number.toString();
        case Long number -> number.toString();
        case Double number -> number == Math.rint(number) && Math.abs(number) < 1e15 ? Long.toString(number.longValue())
                : Double.toString(number).replace("E-", "e-").replace("E", "e+");
        case List<?> list -> "[" + String.join(", ", list.stream().map(ConfigWriter::scalar).toList()) + "]";
        // A JSON string is a YAML double-quoted scalar.
        default -> Json.write(value.toString());
        };
    }
}
