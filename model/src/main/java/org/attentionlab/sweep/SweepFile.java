package org.attentionlab.sweep;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.attentionlab.analysis.Analyses;
import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.config.YamlNode;
import org.attentionlab.model.spec.Device;

/**
 * A sweep file, read and checked on its own (the cells' configs are resolved by {@link SweepPlan}): which model
 * config to start from, the overrides every cell gets, the axes (a grid, zipped groups, repeats, devices) and what
 * each cell measures. Every mistake is a one-line {@link ConfigException} at the sweep file's line and column.
 *
 * @param file      the sweep file as named on the command line
 * @param base      the model config, resolved against the sweep file's directory
 * @param set       overrides for every cell, applied first
 * @param grid      axes crossed with each other (the last varies fastest)
 * @param zips      groups of axes that advance together, crossed with the grid and each other
 * @param repeats   each combination runs this many times, with seed = the config's seed + repeat
 * @param devices   where each combination is measured (one cell per device)
 * @param weights   parameters to load into every cell's model instead of the seeded ones (safetensors), if given
 */
public record SweepFile(Path file, String name, Path base, List<Assignment> set, List<Axis> grid, List<List<Axis>> zips, int repeats,
        List<DeviceEntry> devices, Optional<Speed.Settings> speed, Optional<EvalSettings> eval, Optional<AnalysisSettings> analyses,
        Optional<Fpga> fpga, Optional<Path> weights) {

    /** The keys a sweep file may have, with what each means (README.md, "Sweeps", documents them in full). */
    static final Map<String, String> KEYS = keys();

    static final int MAX_LENGTH = 1 << 20;
    static final int MAX_CELLS = 100_000;
    static final int MAX_REPEATS = 1000;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private static Map<String, String> keys() {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("name", "a name for the report (default: the file's name without .yaml)");
        keys.put("base", "the model config every cell starts from, relative to this file (required)");
        keys.put("weights", "a safetensors file of parameters every cell's model loads (default: seeded from the config)");
        keys.put("set", "KEY: VALUE overrides for every cell, exactly as --set KEY=VALUE");
        keys.put("grid", "KEY: [values]: every combination of the axes (the last varies fastest)");
        keys.put("zip", "a list of groups KEY: [values], lists of one length per group, advanced together");
        keys.put("repeats", "runs of each combination, with seed = the config's seed + repeat (default 1)");
        keys.put("devices", "where each combination runs: jvm, tornado:B:D (default [jvm])");
        keys.put("speed", "forward-pass timing: lengths, batch, iterations, warmup");
        keys.put("eval", "loss and accuracy of the trained model: lengths, batch, batches (default: the train: block's)");
        keys.put("analyses", "forward-only metrics per layer and head: metrics, length, batch, shift");
        keys.put("fpga", "TornadoVM FPGA options for one device: device, bitstreams, configuration, emulation");
        return keys;
    }

    /** One {@code KEY: VALUE} applied to a cell's config as {@code --set}. */
    public record Assignment(String key, YamlNode keyNode, YamlNode value) {

        /** The {@code --set} argument: {@code KEY=VALUE}; {@code layers.<selector>.<key>} becomes a {@code layers:} entry. */
        public String setArgument() {
            if (key.startsWith("layers.") && key.lastIndexOf('.') > "layers.".length()) {
                int dot = key.lastIndexOf('.');
                String selector = key.substring("layers.".length(), dot);
                return "layers={" + selector + ": {" + key.substring(dot + 1) + ": " + value.flowText() + "}}";
            }
            return key + "=" + value.flowText();
        }

        /** The value as results and messages show it: a number, boolean or text, or the YAML text of a list or mapping. */
        public Object shown() {
            return value.plainValue();
        }
    }

    /** An axis: a key and the values it takes. */
    public record Axis(String key, YamlNode keyNode, List<YamlNode> values) {
        Assignment at(int i) {
            return new Assignment(key, keyNode, values.get(i));
        }
    }

    /** A device entry of the sweep, with where it was written. */
    public record DeviceEntry(Device device, YamlNode node) {
    }

    /**
     * What {@code eval:} asks for: loss and accuracy at each length, {@code batches} batches of {@code batch}
     * sequences (empty: the train: block's eval_batches and batch_size).
     */
    public record EvalSettings(List<Integer> lengths, Optional<Integer> batch, Optional<Integer> batches, YamlNode node) {
    }

    /** What {@code analyses:} asks for: the metrics, on {@code batch} seeded sequences of {@code length}. */
    public record AnalysisSettings(List<String> metrics, int length, int batch, int shift, YamlNode node) {
    }

    /** Reads and checks {@code file}; the base config must exist but is resolved per cell later. */
    public static SweepFile read(Path file) throws ConfigException {
        YamlNode root = YamlNode.read(file);
        Map<String, YamlNode> given = new LinkedHashMap<>();
        Map<String, YamlNode> keyNodes = new LinkedHashMap<>();
        for (YamlNode.Field field : root.fields()) {
            if (!KEYS.containsKey(field.name())) {
                throw field.key().unknownKey(field.name(), KEYS.keySet());
            }
            given.put(field.name(), field.value());
            keyNodes.put(field.name(), field.key());
        }
        String stem = String.valueOf(file.getFileName()).replaceFirst("\\.ya?ml$", "");
        String name = stem;
        if (given.containsKey("name")) {
            name = given.get("name").text().strip();
            if (!NAME.matcher(name).matches()) {
                throw given.get("name").error("expected letters, digits, '.', '_' or '-' (at most 64), got " + given.get("name").describe());
            }
        }
        if (!given.containsKey("base")) {
            throw root.errorAs("base", "required key is missing: the model config every cell starts from (e.g. base: ../rnope-swa.yaml)");
        }
        Path base = relative(file, given.get("base"));
        Optional<Path> weights = given.containsKey("weights") ? Optional.of(relative(file, given.get("weights"))) : Optional.empty();
        List<Assignment> set = new ArrayList<>();
        if (given.containsKey("set")) {
            for (YamlNode.Field field : given.get("set").fields()) {
                set.add(new Assignment(field.name(), field.key(), field.value()));
            }
        }
        List<Axis> grid = given.containsKey("grid") ? axes(given.get("grid")) : List.of();
        List<List<Axis>> zips = new ArrayList<>();
        if (given.containsKey("zip")) {
            for (YamlNode group : given.get("zip").items()) {
                List<Axis> axes = axes(group);
                if (axes.isEmpty()) {
                    throw group.error("a zip group needs at least one key");
                }
                for (Axis axis : axes) {
                    if (axis.values().size() != axes.get(0).values().size()) {
                        throw axis.keyNode().error("has " + axis.values().size() + " values, but " + axes.get(0).key() + " in the same zip group has "
                                + axes.get(0).values().size() + " (zipped axes advance together)");
                    }
                }
                zips.add(axes);
            }
        }
        int repeats = given.containsKey("repeats") ? given.get("repeats").integer(1, MAX_REPEATS) : 1;
        List<DeviceEntry> devices = new ArrayList<>();
        if (given.containsKey("devices")) {
            for (YamlNode item : given.get("devices").items()) {
                devices.add(new DeviceEntry(device(item), item));
            }
            if (devices.isEmpty()) {
                throw given.get("devices").error("needs at least one device (jvm or tornado:<backend>:<device>)");
            }
        } else {
            devices.add(new DeviceEntry(Device.JVM, root));
        }
        Optional<Speed.Settings> speed = given.containsKey("speed") ? Optional.of(Speed.Settings.read(given.get("speed"))) : Optional.empty();
        Optional<EvalSettings> eval = given.containsKey("eval") ? Optional.of(eval(given.get("eval"))) : Optional.empty();
        Optional<AnalysisSettings> analyses = given.containsKey("analyses") ? Optional.of(analyses(given.get("analyses"))) : Optional.empty();
        Optional<Fpga> fpga = given.containsKey("fpga") ? Optional.of(Fpga.read(given.get("fpga"), file)) : Optional.empty();
        if (fpga.isPresent() && devices.stream().noneMatch(d -> d.device().equals(fpga.get().device()))) {
            throw keyNodes.get("fpga").error("names device " + fpga.get().device() + ", which is not among the sweep's devices");
        }
        if (speed.isEmpty() && eval.isEmpty() && analyses.isEmpty()) {
            throw root.errorAs("speed", "the sweep measures nothing: give speed:, eval: or analyses:");
        }
        return new SweepFile(file, name, base, List.copyOf(set), List.copyOf(grid), List.copyOf(zips), repeats, List.copyOf(devices), speed, eval, analyses,
                fpga, weights);
    }

    private static Path relative(Path file, YamlNode node) throws ConfigException {
        String text = node.text().strip();
        if (text.isEmpty()) {
            throw node.error("expected a path, got " + node.describe());
        }
        Path parent = file.toAbsolutePath().getParent();
        return parent.resolve(text).normalize();
    }

    private static List<Axis> axes(YamlNode mapping) throws ConfigException {
        List<Axis> axes = new ArrayList<>();
        for (YamlNode.Field field : mapping.fields()) {
            if (!field.value().isList()) {
                throw field.value().error("expected the list of values this axis takes, e.g. [16, 32], got " + field.value().describe());
            }
            List<YamlNode> values = field.value().items();
            if (values.isEmpty()) {
                throw field.value().error("an axis needs at least one value");
            }
            axes.add(new Axis(field.name(), field.key(), values));
        }
        return axes;
    }

    static Device device(YamlNode node) throws ConfigException {
        String text = node.text().strip();
        return Device.parse(text).orElseThrow(() -> node.error("expected jvm or tornado:<backend>:<device> (such as tornado:0:0), got " + node.describe()));
    }

    /** A list of sequence lengths, each 1..2^20, at least one. */
    static List<Integer> lengths(YamlNode node) throws ConfigException {
        List<Integer> lengths = new ArrayList<>();
        for (YamlNode item : node.items()) {
            lengths.add(item.integer(1, MAX_LENGTH));
        }
        if (lengths.isEmpty()) {
            throw node.error("needs at least one length");
        }
        return List.copyOf(lengths);
    }

    /** The fields of a settings block, checked against the names it allows. */
    static Map<String, YamlNode> block(YamlNode node, List<String> allowed) throws ConfigException {
        Map<String, YamlNode> fields = new LinkedHashMap<>();
        for (YamlNode.Field field : node.fields()) {
            if (!allowed.contains(field.name())) {
                throw field.key().unknownKey(field.name(), allowed);
            }
            fields.put(field.name(), field.value());
        }
        return fields;
    }

    private static EvalSettings eval(YamlNode node) throws ConfigException {
        Map<String, YamlNode> fields = block(node, List.of("lengths", "batch", "batches"));
        if (!fields.containsKey("lengths")) {
            throw node.errorAs(node.path() + ".lengths", "required: the evaluation lengths, e.g. [64, 128, 256]");
        }
        Optional<Integer> batch = fields.containsKey("batch") ? Optional.of(fields.get("batch").integer(1, 4096)) : Optional.empty();
        Optional<Integer> batches = fields.containsKey("batches") ? Optional.of(fields.get("batches").integer(1, 10_000)) : Optional.empty();
        return new EvalSettings(lengths(fields.get("lengths")), batch, batches, node);
    }

    private static AnalysisSettings analyses(YamlNode node) throws ConfigException {
        Map<String, YamlNode> fields = block(node, List.of("metrics", "length", "batch", "shift"));
        List<String> metrics = new ArrayList<>();
        if (fields.containsKey("metrics")) {
            for (YamlNode item : fields.get("metrics").items()) {
                String metric = item.choice(Analyses.names());
                if (metrics.contains(metric)) {
                    throw item.error("metric " + metric + " is listed twice");
                }
                metrics.add(metric);
            }
        } else {
            metrics.addAll(Analyses.names());
        }
        int length = fields.containsKey("length") ? fields.get("length").integer(2, 1 << 14) : 64;
        int batch = fields.containsKey("batch") ? fields.get("batch").integer(1, 64) : 2;
        int shift = fields.containsKey("shift") ? fields.get("shift").integer(1, 1 << 14) : Math.max(1, length / 2);
        return new AnalysisSettings(List.copyOf(metrics), length, batch, shift, node);
    }
}
