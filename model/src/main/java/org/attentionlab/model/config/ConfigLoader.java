package org.attentionlab.model.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.attentionlab.model.weights.HuggingFaceCheckpoint;
import org.attentionlab.model.weights.HuggingFaceConfig;

/**
 * Reads a YAML model config (or a Hugging Face checkpoint directory, through {@link HuggingFaceConfig}) into a
 * {@link ModelSpec}. Safe by construction: the file is composed to YAML nodes
 * and converted field by field, so no type named in the file is ever instantiated; size, aliases and nesting are
 * bounded. Every mistake is a {@link ConfigException} whose message is one line naming file, line, column and key.
 *
 * <p>A config may say {@code extends: other.yaml} (a path relative to its own directory): it then starts from the
 * other file's keys and overrides them key by key; {@code layers:} entries of both files apply, the base's first.
 */
public final class ConfigLoader {

    static final int MAX_EXTENDS_DEPTH = 8;

    private ConfigLoader() {
    }

    /**
     * Loads and resolves the config in {@code file}, a YAML file or a Hugging Face checkpoint directory (its
     * config.json, {@link HuggingFaceConfig}); messages name the file as given here.
     */
    public static ModelSpec load(Path file) throws ConfigException {
        return load(file, List.of());
    }

    /**
     * Loads {@code file} with command-line overrides {@code KEY=VALUE} applied on top, each as if a file extending
     * it said {@code KEY: VALUE} (so {@code --set layers='{2: {position_embedding: rope}}'} works too). Mistakes
     * in an override name the override: {@code --set slidng_window=4:1:1: slidng_window: unknown key ...}.
     */
    public static ModelSpec load(Path file, List<String> overrides) throws ConfigException {
        if (HuggingFaceCheckpoint.isCheckpointDirectory(file)) {
            return HuggingFaceConfig.load(file, overrides);
        }
        YamlFile main = YamlFile.read(file);
        return resolve(main, file, overrides);
    }

    /**
     * Resolves config text as if it were the file {@code source}: messages name {@code source}, and an
     * {@code extends} is resolved against its directory.
     */
    public static ModelSpec parse(String yaml, Path source) throws ConfigException {
        return parse(yaml, source, List.of());
    }

    /** {@link #parse(String, Path)} with command-line overrides on top, as {@link #load(Path, List)} applies them. */
    public static ModelSpec parse(String yaml, Path source, List<String> overrides) throws ConfigException {
        return resolve(YamlFile.parse(yaml, source.toString()), source, overrides);
    }

    private static ModelSpec resolve(YamlFile main, Path file, List<String> overrides) throws ConfigException {
        RawConfig raw = collect(main, file, new ArrayList<>());
        applyOverrides(raw, overrides);
        return new Resolver(raw, main, file).resolve();
    }

    /**
     * Loads {@code file} with overrides as {@link #load(Path, List)} does, for training: the model and its
     * {@code train:} block resolved together (a config without one is an error). {@code --set train.KEY=VALUE} sets one
     * key of the block.
     */
    public static TrainingConfig loadTraining(Path file, List<String> overrides) throws ConfigException {
        YamlFile main = YamlFile.read(file);
        RawConfig raw = collect(main, file, new ArrayList<>());
        applyOverrides(raw, overrides);
        return new Resolver(raw, main, file).resolveTraining();
    }

    /**
     * {@link #loadTraining} when {@code file} has a {@code train:} block (with {@code overrides} applied), empty when it
     * has none or is a Hugging Face checkpoint directory: what {@code describe --resolved} shows beside the model.
     */
    public static Optional<TrainingConfig> loadTrainingIfPresent(Path file, List<String> overrides) throws ConfigException {
        if (HuggingFaceCheckpoint.isCheckpointDirectory(file)) {
            return Optional.empty();
        }
        YamlFile main = YamlFile.read(file);
        RawConfig raw = collect(main, file, new ArrayList<>());
        applyOverrides(raw, overrides);
        return raw.trainBlocks.isEmpty() ? Optional.empty() : Optional.of(new Resolver(raw, main, file).resolveTraining());
    }

    /**
     * {@link #loadTraining} on config text (a checkpoint's resolved config), as if it were the file {@code source},
     * with {@code overrides} on top.
     */
    public static TrainingConfig parseTraining(String yaml, Path source, List<String> overrides) throws ConfigException {
        YamlFile main = YamlFile.parse(yaml, source.toString());
        RawConfig raw = collect(main, source, new ArrayList<>());
        applyOverrides(raw, overrides);
        return new Resolver(raw, main, source).resolveTraining();
    }

    /** Lays each {@code KEY=VALUE} over {@code raw} as if a file extending it said {@code KEY: VALUE}. */
    private static void applyOverrides(RawConfig raw, List<String> overrides) throws ConfigException {
        for (String override : overrides) {
            String source = "--set " + shown(override);
            int equals = override.indexOf('=');
            if (equals < 1) {
                throw new ConfigException(source, "expected KEY=VALUE, e.g. --set position_embedding=rope", null);
            }
            String key = override.substring(0, equals).strip();
            if (key.startsWith(Keys.LAYERS_ENTRIES.name() + ".")) {
                throw new ConfigException(source, "per-layer keys are set as a mapping: --set 'layers={0: {sliding_window: 64}}'", null);
            }
            if (key.length() > MAX_KEY_LENGTH) {
                throw new ConfigException(source, "unknown key (" + key.length() + " characters long)", null);
            }
            // train.KEY=VALUE sets one key of the train: block (blocks merge key by key).
            String trainPrefix = Keys.TRAIN_BLOCK.name() + ".";
            String text = key.startsWith(trainPrefix) ? Keys.TRAIN_BLOCK.name() + ":\n  " + key.substring(trainPrefix.length()) + ": "
                    + override.substring(equals + 1) : key + ": " + override.substring(equals + 1);
            YamlFile layer = YamlFile.parse(text, source);
            List<Value.Pair> pairs = Value.pairs(layer, layer.root, name -> name);
            if (pairs.size() > 1) {
                throw pairs.get(1).key().error("a --set sets one key, but its value starts another on a new line: give each key its own --set");
            }
            for (Value.Pair pair : pairs) {
                if (pair.name().equals(Keys.EXTENDS.name())) {
                    throw pair.key().error("cannot be set with --set (what a config extends belongs to the file): write extends: in the config file");
                }
                if (!Keys.TOP_LEVEL.contains(pair.name())) {
                    throw pair.key().error(unknownTopLevel(pair.name()));
                }
            }
            apply(raw, pairs);
        }
    }

    /** "unknown key (did you mean ...?)", or where a train: key belongs. */
    private static String unknownTopLevel(String name) {
        Key<?> key = Keys.named(name);
        if (key != null && key.inTrainBlock()) {
            return "is a training key: write it under train: (or --set train." + name + "=...)";
        }
        return "unknown key" + Suggestions.didYouMean(name, Keys.TOP_LEVEL);
    }

    /** Longer than any key name, so certainly unknown: refused without echoing it. */
    private static final int MAX_KEY_LENGTH = 64;
    /** How much of a --set argument an error message repeats. */
    private static final int MAX_SHOWN = 100;

    /** The override as error messages name it: in full, or its start and its length when it is long. */
    private static String shown(String override) {
        return override.length() <= MAX_SHOWN ? override : override.substring(0, MAX_SHOWN - 20) + "... (" + override.length() + " characters)";
    }

    /** The keys of one file and of what it extends, last writer wins; per-layer blocks accumulate. */
    static final class RawConfig {
        final Map<String, Value.Pair> entries = new LinkedHashMap<>();
        final List<Value.Pair> layerBlocks = new ArrayList<>();
        /** The train: blocks in the order they apply (base first, --set last); they merge key by key. */
        final List<Value.Pair> trainBlocks = new ArrayList<>();
    }

    private static RawConfig collect(YamlFile file, Path path, List<Path> chain) throws ConfigException {
        chain.add(path.toAbsolutePath().normalize());
        List<Value.Pair> own = Value.pairs(file, file.root, name -> name);
        Value.Pair extendsPair = null;
        Value.Pair layerTypes = null;
        Value.Pair pattern = null;
        for (Value.Pair pair : own) {
            if (!Keys.TOP_LEVEL.contains(pair.name())) {
                throw pair.key().error(unknownTopLevel(pair.name()));
            }
            Key<?> key = Keys.named(pair.name());
            if (key == Keys.EXTENDS) {
                extendsPair = pair;
            } else if (key == Keys.LAYER_TYPES) {
                layerTypes = pair;
            } else if (key == Keys.SLIDING_WINDOW_PATTERN) {
                pattern = pair;
            }
        }
        if (layerTypes != null && pattern != null) {
            Value.Pair later = layerTypes.key().node.getStartMark().getIndex()
                    > pattern.key().node.getStartMark().getIndex() ? layerTypes : pattern;
            throw later.key().error("give either layer_types or sliding_window_pattern, not both");
        }
        RawConfig result = extendsPair == null ? new RawConfig() : collectBase(extendsPair, path, chain);
        apply(result, own);
        chain.remove(chain.size() - 1);
        return result;
    }


    /** Lays {@code pairs} over what {@code result} holds: last writer wins, per-layer blocks accumulate. */
    private static void apply(RawConfig result, List<Value.Pair> pairs) {
        for (Value.Pair pair : pairs) {
            Key<?> key = Keys.named(pair.name());
            if (key == Keys.LAYERS_ENTRIES) {
                result.layerBlocks.add(pair);
            } else if (key == Keys.TRAIN_BLOCK) {
                result.trainBlocks.add(pair);
            } else if (key != Keys.EXTENDS) {
                if (key == Keys.LAYER_TYPES) {
                    result.entries.remove(Keys.SLIDING_WINDOW_PATTERN.name());
                } else if (key == Keys.SLIDING_WINDOW_PATTERN) {
                    result.entries.remove(Keys.LAYER_TYPES.name());
                }
                result.entries.remove(pair.name());
                result.entries.put(pair.name(), pair);
            }
        }
    }

    private static RawConfig collectBase(Value.Pair extendsPair, Path path, List<Path> chain) throws ConfigException {
        Value value = extendsPair.value();
        String relative = Keys.EXTENDS.type().read(value);
        Path parent = path.getParent();
        Path basePath = (parent == null ? Path.of(relative) : parent.resolve(relative)).normalize();
        Path absolute = basePath.toAbsolutePath().normalize();
        if (chain.contains(absolute)) {
            List<String> names = new ArrayList<>();
            for (Path link : chain.subList(chain.indexOf(absolute), chain.size())) {
                names.add(String.valueOf(link.getFileName()));
            }
            names.add(String.valueOf(absolute.getFileName()));
            throw value.error("extends forms a cycle: " + String.join(" -> ", names));
        }
        if (chain.size() >= MAX_EXTENDS_DEPTH) {
            throw value.error("extends is nested more than " + MAX_EXTENDS_DEPTH + " files deep");
        }
        YamlFile base;
        try {
            base = YamlFile.read(basePath);
        } catch (ConfigException e) {
            if (e.line() == 0) {
                String problem = e.problem().startsWith(YamlFile.CANNOT_READ)
                        ? "cannot read " + basePath + ": " + e.problem().substring(YamlFile.CANNOT_READ.length())
                        : "cannot use " + basePath + ": " + e.problem();
                throw value.error(problem);
            }
            throw e;
        }
        return collect(base, basePath, chain);
    }
}
