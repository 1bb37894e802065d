package org.attentionlab.model.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.attentionlab.model.spec.Numbers;
import org.attentionlab.model.spec.YamlName;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A YAML node with the file it came from and its key path, and strict conversions to the types configs use.
 * Every conversion failure is a one-line {@link ConfigException} at the node's position.
 */
final class Value {

    /** Decimal integers only: YAML 1.1 would read 012 as octal and 0x1F as hex, which nobody means in a config. */
    private static final Pattern DECIMAL_INTEGER = Pattern.compile("[-+]?(0|[1-9][0-9_]*)");
    private static final Pattern DECIMAL_NUMBER =
            Pattern.compile("[-+]?([0-9][0-9_]*(\\.[0-9_]*)?|\\.[0-9][0-9_]*)([eE][-+]?[0-9]+)?");

    final YamlFile file;
    final Node node;
    final String path;

    Value(YamlFile file, Node node, String path) {
        this.file = file;
        this.node = node;
        this.path = path;
    }

    ConfigException error(String problem) {
        return file.error(node, path, problem);
    }

    /** The same node reported under another key path (for errors that concern a related key). */
    ConfigException errorAs(String keyPath, String problem) {
        return file.error(node, keyPath, problem);
    }

    boolean isList() {
        return node instanceof SequenceNode;
    }

    boolean isNull() {
        return node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.NULL);
    }

    private ScalarNode scalar(String expected) throws ConfigException {
        if (node instanceof ScalarNode scalar && !scalar.getTag().equals(Tag.NULL)) {
            return scalar;
        }
        throw error("expected " + expected + ", got " + describeNode(node));
    }

    long integer(long min, long max) throws ConfigException {
        ScalarNode scalar = scalar("an integer");
        String text = scalar.getValue().strip();
        if (!scalar.getTag().equals(Tag.INT) || !DECIMAL_INTEGER.matcher(text).matches()) {
            throw error("expected an integer, got " + describeNode(node));
        }
        long value;
        try {
            value = Long.parseLong(text.replace("_", ""));
        } catch (NumberFormatException e) {
            throw error("integer " + (text.length() > 40 ? text.substring(0, 20) + "... (" + text.length() + " characters)" : text) + " is too large");
        }
        if (value < min) {
            throw error("must be at least " + min + ", got " + value);
        }
        if (value > max) {
            throw error("must be at most " + max + ", got " + value);
        }
        return value;
    }

    int integer(int min, int max) throws ConfigException {
        return (int) integer((long) min, (long) max);
    }

    /** An integer that is one of {@code allowed} (in increasing order). */
    int integerOf(java.util.List<Integer> allowed) throws ConfigException {
        int value = (int) integer(Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (!allowed.contains(value)) {
            throw error("must be one of " + allowed.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")) + ", got " + value);
        }
        return value;
    }

    /** A finite number; ranges are checked by the caller, which knows how to word them. */
    double number() throws ConfigException {
        ScalarNode scalar = scalar("a number");
        String text = scalar.getValue().strip();
        boolean numeric = scalar.getTag().equals(Tag.INT) || scalar.getTag().equals(Tag.FLOAT);
        if (numeric && (text.toLowerCase(java.util.Locale.ROOT).endsWith("inf")
                || text.toLowerCase(java.util.Locale.ROOT).endsWith("nan"))) {
            throw error("must be a finite number, got " + describeNode(node));
        }
        if (!numeric || !DECIMAL_NUMBER.matcher(text).matches()) {
            throw error("expected a number, got " + describeNode(node));
        }
        double value = Double.parseDouble(text.replace("_", ""));
        if (!Double.isFinite(value)) {
            throw error("must be a finite number, got " + describeNode(node));
        }
        return value;
    }

    /** A number in [min, max) or [min, max] ({@code maxInclusive}), or (min, ...) when {@code minExclusive}. */
    double number(double min, boolean minExclusive, double max, boolean maxInclusive) throws ConfigException {
        double value = number();
        boolean aboveMin = minExclusive ? value > min : value >= min;
        boolean belowMax = maxInclusive ? value <= max : value < max;
        if (!aboveMin || !belowMax) {
            if (Double.isInfinite(max)) {
                throw error("must be " + (minExclusive ? "greater than " : "at least ") + Numbers.plain(min)
                        + ", got " + Numbers.plain(value));
            }
            throw error("must be in " + (minExclusive ? "(" : "[") + Numbers.plain(min) + ", "
                    + Numbers.plain(max) + (maxInclusive ? "]" : ")") + ", got " + Numbers.plain(value));
        }
        return value;
    }

    boolean bool() throws ConfigException {
        ScalarNode scalar = scalar("true or false");
        String text = scalar.getValue().strip();
        if (scalar.getTag().equals(Tag.BOOL)) {
            if (text.equalsIgnoreCase("true")) {
                return true;
            }
            if (text.equalsIgnoreCase("false")) {
                return false;
            }
        }
        throw error("expected true or false, got " + describeNode(node));
    }

    String text() throws ConfigException {
        return scalar("a string").getValue();
    }

    <E extends Enum<E> & YamlName> E choice(Class<E> type) throws ConfigException {
        return choice(List.of(type.getEnumConstants()), YamlName::yamlName);
    }

    /** One of {@code allowed}, by the name {@code nameOf} gives it. */
    <T> T choice(List<T> allowed, Function<T, String> nameOf) throws ConfigException {
        List<String> names = allowed.stream().map(nameOf).toList();
        ScalarNode scalar = scalar("one of " + String.join(", ", names));
        String text = scalar.getValue().strip();
        for (T value : allowed) {
            if (nameOf.apply(value).equals(text)) {
                return value;
            }
        }
        String suggestion = Suggestions.closest(text, names);
        throw error("unknown value " + quote(text) + " (allowed: " + String.join(", ", names) + ")"
                + (suggestion == null ? "" : "; did you mean " + suggestion + "?"));
    }

    List<Value> list() throws ConfigException {
        if (!(node instanceof SequenceNode sequence)) {
            throw error("expected a list, got " + describeNode(node));
        }
        List<Value> items = new ArrayList<>();
        for (Node item : sequence.getValue()) {
            items.add(new Value(file, item, path + "[" + items.size() + "]"));
        }
        return items;
    }

    /** A key and its value inside a mapping, the key's text being its name. */
    record Pair(String name, Value key, Value value) {
    }

    /**
     * The pairs of a mapping in document order, with keys as plain scalars and no duplicates.
     * {@code childPath} maps a key's text to the path its value is reported under.
     */
    List<Pair> mapping(java.util.function.UnaryOperator<String> childPath) throws ConfigException {
        if (!(node instanceof MappingNode mapping)) {
            throw error("expected a mapping of keys to values, got " + describeNode(node));
        }
        return pairs(file, mapping, childPath);
    }

    static List<Pair> pairs(YamlFile file, MappingNode mapping, java.util.function.UnaryOperator<String> childPath)
            throws ConfigException {
        List<Pair> pairs = new ArrayList<>();
        Map<String, Node> seen = new HashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode keyScalar) || keyScalar.getTag().equals(Tag.NULL)) {
                throw file.error(keyNode, childPath.apply("?"),
                        "keys must be plain names, got " + describeNode(keyNode));
            }
            String name = keyScalar.getValue();
            String path = childPath.apply(name);
            if (keyScalar.getTag().equals(Tag.MERGE)) {
                throw file.error(keyNode, path, "merge keys (<<) are not supported; repeat the keys or use extends");
            }
            Node first = seen.putIfAbsent(name, keyNode);
            if (first != null) {
                throw file.error(keyNode, path,
                        "duplicate key (first given at line " + (first.getStartMark().getLine() + 1) + ")");
            }
            pairs.add(new Pair(name, new Value(file, keyNode, path), new Value(file, tuple.getValueNode(), path)));
        }
        return pairs;
    }

    /** How a node reads in "got ..." messages. */
    static String describeNode(Node node) {
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        ScalarNode scalar = (ScalarNode) node;
        if (scalar.getTag().equals(Tag.NULL)) {
            return scalar.getValue().isEmpty() ? "nothing" : "null";
        }
        String text = quote(scalar.getValue());
        return scalar.isPlain() || !scalar.getTag().equals(Tag.STR) ? text : text + " (a quoted string)";
    }

    /** A user value in single quotes, shortened and with control characters escaped so messages stay one line. */
    static String quote(String text) {
        String shown = text.length() > 40 ? text.substring(0, 37) + "..." : text;
        StringBuilder quoted = new StringBuilder("'");
        for (char c : shown.toCharArray()) {
            if (c == '\n') {
                quoted.append("\\n");
            } else if (c == '\t') {
                quoted.append("\\t");
            } else if (Character.isISOControl(c)) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('\'').toString();
    }
}
