package org.attentionlab.model.config;

import static org.attentionlab.model.config.Keys.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.attentionlab.model.config.Key.Default;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.TaskName;
import org.attentionlab.model.spec.TrainSpec;
import org.attentionlab.model.tasks.AssociativeRecall;
import org.attentionlab.model.tasks.Copying;
import org.attentionlab.model.tasks.DelayedRecall;
import org.attentionlab.model.tasks.PasskeyRetrieval;
import org.attentionlab.model.tasks.Task;
import org.attentionlab.model.tasks.TaskInput;

/**
 * Turns the merged {@code train:} blocks of a config into a {@link TrainSpec}, with the rules that tie them to each
 * other and to the model: options of another task, a sequence too short for the task, a vocabulary too small, a task
 * of token ids on a model of features (or the reverse), an output the losses cannot score. Every broken rule is
 * reported at the key most likely to be wrong; training keys not written anywhere at the {@code train:} key.
 */
final class TrainResolver implements ConfigErrors {

    /** The options each task reads; giving one to another task is an error. */
    private static final Map<Key<?>, TaskName> OPTIONS = Map.of(PAIRS, TaskName.ASSOCIATIVE_RECALL, KEYS, TaskName.ASSOCIATIVE_RECALL, VALUES,
            TaskName.ASSOCIATIVE_RECALL, DIGITS, TaskName.PASSKEY_RETRIEVAL, DEPTH, TaskName.PASSKEY_RETRIEVAL, VOCAB, TaskName.COPYING, DELAY,
            TaskName.DELAYED_RECALL, TEXT_FILE, TaskName.TEXT);

    private final TrainEntries entries;
    private final Value anchor;
    private final ConfigErrors model;
    private final ModelSpec spec;

    /** {@code anchor}: the {@code train:} key the block was first written at. */
    TrainResolver(TrainEntries entries, Value anchor, ConfigErrors model, ModelSpec spec) {
        this.entries = entries;
        this.anchor = anchor;
        this.model = model;
        this.spec = spec;
    }

    @Override
    public ConfigException at(Key<?> key, String problem) {
        if (!key.inTrainBlock()) {
            return model.at(key, problem);
        }
        Value written = entries.written().get(key);
        return written != null ? written.error(problem) : anchor.errorAs(TRAIN_BLOCK.name() + "." + key.name(), problem);
    }

    @Override
    public ConfigException atLayer(int layer, Key<?> key, String problem) {
        return model.atLayer(layer, key, problem);
    }

    /** The value given, else the key's fixed default, else null; an error when one is required. */
    private <T> T value(Key<T> key) throws ConfigException {
        T given = entries.get(key);
        if (given != null) {
            return given;
        }
        return switch (key.fallback()) {
        case Default.Fixed<T> fixed -> fixed.value();
        case Default.Unset<T> unset -> null;
        case Default.Required<T> required -> throw at(key, "required in the train: block (" + required.what() + ")");
        case Default.Derived<T> derived -> throw new IllegalStateException(key + " is derived (" + derived.rule() + "): the resolver computes it");
        };
    }

    TrainSpec resolve() throws ConfigException {
        TaskName task = value(TASK);
        for (Map.Entry<Key<?>, TaskName> option : OPTIONS.entrySet()) {
            if (entries.values().containsKey(option.getKey()) && option.getValue() != task) {
                throw at(option.getKey(), "not used by task " + task.yamlName() + " (only by " + option.getValue().yamlName() + ")");
            }
        }
        int seqLen = value(SEQ_LEN);
        double learningRate = value(LEARNING_RATE);
        Double minGiven = entries.get(MIN_LEARNING_RATE);
        double minLearningRate = minGiven != null ? minGiven : learningRate / 10;
        if (minLearningRate > learningRate) {
            throw at(MIN_LEARNING_RATE, "min_learning_rate " + minLearningRate + " is above learning_rate " + learningRate);
        }
        List<Integer> evalGiven = entries.get(EVAL_LENGTHS);
        List<Double> betas = value(BETAS);
        String textFile = value(TEXT_FILE);
        Path folder = spec.source().toAbsolutePath().getParent();
        TrainSpec train = new TrainSpec(task, value(PAIRS), value(KEYS), value(VALUES), value(DIGITS), Optional.ofNullable(value(DEPTH)), value(VOCAB),
                value(DELAY), Optional.ofNullable(textFile).map(file -> folder.resolve(file).normalize()), value(STEPS), value(BATCH_SIZE), seqLen, learningRate,
                value(WARMUP_STEPS), value(LR_SCHEDULE), minLearningRate, value(WEIGHT_DECAY), betas.get(0), betas.get(1), value(ADAM_EPSILON),
                value(GRAD_CLIP), value(GRAD_ACCUMULATION), value(DATA_SEED), evalGiven != null ? evalGiven : List.of(seqLen), value(EVAL_BATCHES),
                value(LOG_INTERVAL), value(CHECKPOINT_INTERVAL));
        Task drawn;
        if (task.readsTokens()) {
            drawn = taskWithoutText(train);
            checkTokenModel(train, drawn == null ? 256 : ((TaskInput.Tokens) drawn.input()).vocabSize());
        } else {
            checkFeatureModel(train);
            drawn = taskWithoutText(train);
        }
        if (drawn != null) {
            checkLengths(drawn, train);
        }
        return train;
    }

    /** The task of a train block (the text task needs its file and is checked when it is read: null here). */
    private Task taskWithoutText(TrainSpec train) throws ConfigException {
        try {
            return switch (train.task()) {
            case ASSOCIATIVE_RECALL -> new AssociativeRecall(train.pairs(), train.keys(), train.values());
            case PASSKEY_RETRIEVAL -> new PasskeyRetrieval(train.digits(), train.depth().orElse(null));
            case COPYING -> new Copying(train.vocab());
            case DELAYED_RECALL -> new DelayedRecall(train.delay(), ((InputSpec.Features) spec.input()).embedDim(), spec.settings().get(NUM_LABELS));
            case TEXT -> null;
            };
        } catch (IllegalArgumentException e) {
            Key<?> culprit = switch (train.task()) {
            case ASSOCIATIVE_RECALL -> PAIRS;
            case DELAYED_RECALL -> NUM_LABELS;
            default -> TASK;
            };
            throw at(culprit, e.getMessage());
        }
    }

    private void checkLengths(Task task, TrainSpec train) throws ConfigException {
        if (train.seqLen() < task.minSeqLen()) {
            throw at(SEQ_LEN, task.describe() + " needs sequences of at least " + task.minSeqLen() + " positions, got " + train.seqLen());
        }
        for (int length : train.evalLengths()) {
            if (length < task.minSeqLen()) {
                throw at(EVAL_LENGTHS, task.name() + " cannot draw sequences of " + length + " positions (at least " + task.minSeqLen() + ")");
            }
        }
    }

    /** A feature task (delayed recall): the model reads features and regresses every position through a score head. */
    private void checkFeatureModel(TrainSpec train) throws ConfigException {
        String task = train.task().yamlName();
        if (!(spec.input() instanceof InputSpec.Features)) {
            throw at(TASK, "task " + task + " feeds feature vectors, but this model reads token ids (vocab_size): give embed_dim instead");
        }
        if (spec.settings().find(NUM_LABELS).isEmpty()) {
            throw at(NUM_LABELS, "task " + task + " regresses the input of `delay` steps back: set num_labels to the target width (at most"
                    + " embed_dim), the width of the score head");
        }
        if (spec.output() != OutputMode.ALL) {
            throw at(OUTPUT, "task " + task + " has a target at every position: use output: all, got " + spec.output().yamlName());
        }
    }

    /** A token task: the model reads token ids of a large enough vocabulary and ends in class logits. */
    private void checkTokenModel(TrainSpec train, int taskVocab) throws ConfigException {
        String task = train.task().yamlName();
        if (!(spec.input() instanceof InputSpec.TokenIds ids)) {
            throw at(TASK, "task " + task + " feeds token ids, but this model reads feature vectors (embed_dim): give vocab_size instead");
        }
        if (ids.vocabSize() < taskVocab) {
            throw at(VOCAB_SIZE, "vocab_size " + ids.vocabSize() + " is smaller than the " + taskVocab + " token ids task " + task + " uses");
        }
        OutputMode output = spec.output();
        if (output == OutputMode.LOGITS) {
            return;
        }
        Optional<Integer> labels = spec.settings().find(NUM_LABELS);
        if (labels.isEmpty() || output == OutputMode.MEAN) {
            throw at(OUTPUT, "training on " + task + " needs class logits: output: logits (next-token cross-entropy at every position), or"
                    + " num_labels with output: last (the last position's next token as a class) or all");
        }
        if (labels.get() < taskVocab) {
            throw at(NUM_LABELS, "num_labels " + labels.get() + " is smaller than the " + taskVocab + " token ids task " + task + " predicts");
        }
    }
}
