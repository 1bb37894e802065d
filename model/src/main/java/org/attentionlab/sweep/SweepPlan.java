package org.attentionlab.sweep;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.ConfigWriter;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.config.YamlNode;
import org.attentionlab.model.spec.Device;
import org.attentionlab.model.spec.TrainSpec;

/**
 * Every cell of a sweep, with its config resolved before anything runs: the product of the grid, the zipped groups,
 * the repeats and the devices. Values are applied exactly as {@code --set KEY=VALUE} (the config loader's own
 * override code); a value that breaks a config is reported at that value's line and column in the sweep file.
 */
public final class SweepPlan {

    /** How the config loader begins a problem with a key itself (not with its value). */
    private static final List<String> KEY_PROBLEMS = List.of("unknown key", "unknown train key", "not used by architecture", "is a training key");

    private final SweepFile sweep;
    private final List<Cell> cells;

    private SweepPlan(SweepFile sweep, List<Cell> cells) {
        this.sweep = sweep;
        this.cells = List.copyOf(cells);
    }

    public SweepFile sweep() {
        return sweep;
    }

    /** Every cell, in sweep order (devices vary fastest, then repeats, then the zipped groups, then the grid). */
    public List<Cell> cells() {
        return cells;
    }

    /** One cell: a resolved config on one device, with what it measures. */
    public record Cell(int index, String id, List<SweepFile.Assignment> assignments, int repeat, Device device, int deviceOccurrence, ModelSpec spec,
            Optional<TrainSpec> train, String settingsId, String trainingId) {

        /** The axis values of this cell (not the sweep-wide {@code set:}), as {@code key -> YAML text}. */
        public Map<String, Object> axisValues(int sweepWide) {
            Map<String, Object> values = new LinkedHashMap<>();
            for (SweepFile.Assignment a : assignments.subList(sweepWide, assignments.size())) {
                values.put(a.key(), a.shown());
            }
            return values;
        }

        public List<String> setArguments() {
            return assignments.stream().map(SweepFile.Assignment::setArgument).toList();
        }
    }

    /** Reads the sweep and resolves every cell's config; the first problem is a one-line {@link ConfigException}. */
    public static SweepPlan read(Path file) throws ConfigException {
        return of(SweepFile.read(file));
    }

    public static SweepPlan of(SweepFile sweep) throws ConfigException {
        if (!Files.isRegularFile(sweep.base())) {
            throw new ConfigException(sweep.file().toString(), 1, 1, "base", "the model config " + sweep.base() + " does not exist");
        }
        List<List<SweepFile.Assignment>> combinations = new ArrayList<>();
        combinations.add(List.copyOf(sweep.set()));
        for (SweepFile.Axis axis : sweep.grid()) {
            combinations = cross(combinations, valuesOf(List.of(axis)));
        }
        for (List<SweepFile.Axis> group : sweep.zips()) {
            combinations = cross(combinations, valuesOf(group));
        }
        long total = (long) combinations.size() * sweep.repeats() * sweep.devices().size();
        if (total > SweepFile.MAX_CELLS) {
            throw new ConfigException(sweep.file().toString(), 1, 1, "grid", "the sweep has " + total + " cells; the limit is " + SweepFile.MAX_CELLS);
        }
        List<Cell> cells = new ArrayList<>();
        Map<String, List<SweepFile.Assignment>> seen = new HashMap<>();
        for (List<SweepFile.Assignment> combination : combinations) {
            for (int repeat = 0; repeat < sweep.repeats(); repeat++) {
                List<SweepFile.Assignment> assignments = new ArrayList<>(combination);
                Resolved resolved = resolve(sweep, assignments);
                if (repeat > 0) {
                    assignments.add(seedAssignment(resolved.model().seed() + repeat, sweep));
                    resolved = resolve(sweep, assignments);
                }
                checkStages(sweep, resolved);
                String config = canonical(resolved);
                String settingsId = settingsId(sweep, config);
                List<SweepFile.Assignment> earlier = seen.putIfAbsent(settingsId, assignments);
                if (earlier != null) {
                    SweepFile.Assignment last = assignments.isEmpty() ? null : assignments.get(assignments.size() - 1);
                    String problem = "this combination resolves to the same config as " + describe(earlier, sweep.set().size())
                            + " (an axis value has no effect here)";
                    throw last == null ? new ConfigException(sweep.file().toString(), 1, 1, "grid", problem) : last.value().error(problem);
                }
                Map<Device, Integer> occurrences = new HashMap<>();
                for (SweepFile.DeviceEntry entry : sweep.devices()) {
                    int occurrence = occurrences.merge(entry.device(), 1, Integer::sum) - 1;
                    String id = hash(settingsId + "|device " + entry.device() + (occurrence > 0 ? "#" + occurrence : ""));
                    cells.add(new Cell(cells.size(), id, List.copyOf(assignments), repeat, entry.device(), occurrence, resolved.model(), resolved.train(),
                            settingsId, hash(config)));
                }
            }
        }
        return new SweepPlan(sweep, cells);
    }

    private static List<List<SweepFile.Assignment>> valuesOf(List<SweepFile.Axis> group) {
        List<List<SweepFile.Assignment>> values = new ArrayList<>();
        for (int i = 0; i < group.get(0).values().size(); i++) {
            List<SweepFile.Assignment> step = new ArrayList<>();
            for (SweepFile.Axis axis : group) {
                step.add(axis.at(i));
            }
            values.add(step);
        }
        return values;
    }

    private static List<List<SweepFile.Assignment>> cross(List<List<SweepFile.Assignment>> left, List<List<SweepFile.Assignment>> right) {
        List<List<SweepFile.Assignment>> out = new ArrayList<>();
        for (List<SweepFile.Assignment> a : left) {
            for (List<SweepFile.Assignment> b : right) {
                List<SweepFile.Assignment> both = new ArrayList<>(a);
                both.addAll(b);
                out.add(both);
            }
        }
        return out;
    }

    private static SweepFile.Assignment seedAssignment(long seed, SweepFile sweep) throws ConfigException {
        YamlNode node = YamlNode.parse("seed: " + seed, sweep.file() + " (repeats)");
        YamlNode.Field field = node.fields().get(0);
        return new SweepFile.Assignment("seed", field.key(), field.value());
    }

    /**
     * The base config with the assignments applied as {@code --set}. A problem the config loader finds in an
     * assignment is reported at the assignment's key or value in the sweep file; a problem elsewhere in the config
     * that the combination causes is reported at the combination's last value, with the loader's message.
     */
    static Resolved resolve(SweepFile sweep, List<SweepFile.Assignment> assignments) throws ConfigException {
        List<String> arguments = assignments.stream().map(SweepFile.Assignment::setArgument).toList();
        try {
            ModelSpec model = ConfigLoader.load(sweep.base(), arguments);
            // load() has checked a train: block if there is one; loadTraining() returns it
            return new Resolved(model, hasTrainBlock(sweep, arguments) ? Optional.of(ConfigLoader.loadTraining(sweep.base(), arguments).train())
                    : Optional.empty());
        } catch (ConfigException e) {
            for (int i = 0; i < assignments.size(); i++) {
                if (e.file().equals("--set " + arguments.get(i))) {
                    SweepFile.Assignment culprit = assignments.get(i);
                    // A key no config may have is the axis key's fault; anything else the value's, which picks the cell.
                    boolean atKey = !culprit.key().startsWith("layers.") && KEY_PROBLEMS.stream().anyMatch(e.problem()::startsWith);
                    YamlNode where = atKey ? culprit.keyNode() : culprit.value();
                    boolean samePath = atKey || e.keyPath().equals(culprit.key());
                    throw where.error(samePath ? e.problem() : e.keyPath() + ": " + e.problem());
                }
            }
            if (assignments.isEmpty()) {
                throw e;
            }
            SweepFile.Assignment last = assignments.get(assignments.size() - 1);
            throw last.value().error("with " + describe(assignments, 0) + ": " + e.getMessage());
        }
    }

    /** A cell's resolved config: the model, and its train: block when it has one. */
    record Resolved(ModelSpec model, Optional<TrainSpec> train) {
    }

    /** Whether the config with these overrides has a train: block (the loader's own answer). */
    private static boolean hasTrainBlock(SweepFile sweep, List<String> arguments) throws ConfigException {
        try {
            ConfigLoader.loadTraining(sweep.base(), arguments);
            return true;
        } catch (ConfigException e) {
            if (e.line() == 0 && e.problem().startsWith("has no train: block")) {
                return false;
            }
            throw e;
        }
    }

    /** What a sweep measures must fit the cell: evaluation needs training, given weights and training exclude each other. */
    private static void checkStages(SweepFile sweep, Resolved resolved) throws ConfigException {
        if (sweep.eval().isPresent() && resolved.train().isEmpty()) {
            throw sweep.eval().get().node().error("needs a trained model: the config has no train: block (give one, e.g. set: {train.task: associative_recall})");
        }
        if (sweep.weights().isPresent() && resolved.train().isPresent()) {
            throw new ConfigException(sweep.file().toString(), 1, 1, "weights", "the cells train their own weights (the config has a train: block); drop weights:");
        }
    }

    /** The resolved config as YAML, without the comment naming the file it came from: the same wherever the files lie. */
    static String canonical(Resolved resolved) {
        String text = ConfigWriter.write(resolved.model(), resolved.train().orElse(null));
        return text.startsWith("#") ? text.substring(text.indexOf('\n') + 1) : text;
    }

    private static String describe(List<SweepFile.Assignment> assignments, int from) {
        List<String> parts = new ArrayList<>();
        for (SweepFile.Assignment a : assignments.subList(Math.min(from, assignments.size()), assignments.size())) {
            parts.add(a.key() + "=" + a.shown());
        }
        return parts.isEmpty() ? "the base config" : String.join(", ", parts);
    }

    /**
     * What identifies a combination whatever the device: the resolved config (model and train: block), the weights
     * file and what the sweep measures. Overrides that resolve to the same config give the same id.
     */
    static String settingsId(SweepFile sweep, String config) {
        StringBuilder text = new StringBuilder(config);
        sweep.weights().ifPresent(w -> text.append("|weights ").append(w).append(' ').append(sizeOf(w)));
        sweep.speed().ifPresent(s -> text.append("|speed ").append(s.identity()));
        sweep.eval().ifPresent(e -> text.append("|eval ").append(e.lengths()).append(' ').append(e.batch()).append(' ').append(e.batches()));
        sweep.analyses().ifPresent(a -> text.append("|analyses ").append(a.metrics()).append(' ').append(a.length()).append(' ').append(a.batch()).append(' ')
                .append(a.shift()));
        return text.toString();
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /** The first 12 hex digits of SHA-256: stable across runs, machines and shards. */
    static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
