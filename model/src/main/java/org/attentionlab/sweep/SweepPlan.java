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
import org.attentionlab.model.config.Key;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.config.YamlNode;
import org.attentionlab.model.spec.Device;

/**
 * Every cell of a sweep, with its config resolved before anything runs: the product of the grid, the zipped groups,
 * the repeats and the devices. Values are applied exactly as {@code --set KEY=VALUE} (the config loader's own
 * override code); a value that breaks a config is reported at that value's line and column in the sweep file.
 */
public final class SweepPlan {

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
            String settingsId) {

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
                ModelSpec spec = resolve(sweep, assignments);
                if (repeat > 0) {
                    assignments.add(seedAssignment(spec.seed() + repeat, sweep));
                    spec = resolve(sweep, assignments);
                }
                String settingsId = settingsId(sweep, spec);
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
                    cells.add(new Cell(cells.size(), id, List.copyOf(assignments), repeat, entry.device(), occurrence, spec, settingsId));
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
    static ModelSpec resolve(SweepFile sweep, List<SweepFile.Assignment> assignments) throws ConfigException {
        List<String> arguments = assignments.stream().map(SweepFile.Assignment::setArgument).toList();
        try {
            return ConfigLoader.load(sweep.base(), arguments);
        } catch (ConfigException e) {
            for (int i = 0; i < assignments.size(); i++) {
                if (e.file().equals("--set " + arguments.get(i))) {
                    SweepFile.Assignment culprit = assignments.get(i);
                    // A key no config may have is the axis key's fault; anything else the value's, which picks the cell.
                    boolean atKey = e.line() == 1 && e.column() <= culprit.key().length() && !culprit.key().startsWith("layers.")
                            && (e.problem().startsWith("unknown key") || e.problem().startsWith("not used by architecture"));
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

    private static String describe(List<SweepFile.Assignment> assignments, int from) {
        List<String> parts = new ArrayList<>();
        for (SweepFile.Assignment a : assignments.subList(Math.min(from, assignments.size()), assignments.size())) {
            parts.add(a.key() + "=" + a.shown());
        }
        return parts.isEmpty() ? "the base config" : String.join(", ", parts);
    }

    /**
     * What identifies a combination whatever the device: the resolved settings and layers, the weights file and what
     * the sweep measures. Overrides that resolve to the same config give the same id.
     */
    static String settingsId(SweepFile sweep, ModelSpec spec) {
        StringBuilder text = new StringBuilder();
        for (Key<?> key : Keys.all()) {
            appendSetting(text, spec, key);
        }
        text.append("|input ").append(spec.input()).append("|blocks ").append(spec.blocks());
        sweep.weights().ifPresent(w -> text.append("|weights ").append(w).append(' ').append(sizeOf(w)));
        sweep.speed().ifPresent(s -> text.append("|speed ").append(s.identity()));
        sweep.eval().ifPresent(e -> text.append("|eval ").append(e.lengths()).append(' ').append(e.batch()).append(' ').append(e.batches()));
        sweep.analyses().ifPresent(a -> text.append("|analyses ").append(a.metrics()).append(' ').append(a.length()).append(' ').append(a.batch()).append(' ')
                .append(a.shift()));
        return text.toString();
    }

    private static <T> void appendSetting(StringBuilder text, ModelSpec spec, Key<T> key) {
        Optional<T> value = spec.settings().find(key);
        value.ifPresent(v -> text.append(key.name()).append('=').append(key.show(v)).append(';'));
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
