package org.attentionlab.model.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A node of a YAML file read with the config loader's safety limits and strict conversions, for other YAML files
 * of the project (sweep files): every mistake is the same one-line {@link ConfigException} naming file, line,
 * column and key path.
 */
public final class YamlNode {

    /** Plain scalars that could be read as something else, or split, inside a flow collection: quoted on output. */
    private static final Pattern FLOW_UNSAFE = Pattern.compile(".*[,\\[\\]{}:#&*!|>'\"%@`].*|^[-?\\s].*|.*\\s$|^$");

    private final Value value;

    private YamlNode(Value value) {
        this.value = value;
    }

    /** The top-level mapping of {@code file}. */
    public static YamlNode read(Path file) throws ConfigException {
        YamlFile yaml = YamlFile.read(file);
        return new YamlNode(new Value(yaml, yaml.root, ""));
    }

    /** The top-level mapping of {@code text}, reported as file {@code name}. */
    public static YamlNode parse(String text, String name) throws ConfigException {
        YamlFile yaml = YamlFile.parse(text, name);
        return new YamlNode(new Value(yaml, yaml.root, ""));
    }

    /** A key and its value in a mapping. */
    public record Field(String name, YamlNode key, YamlNode value) {
    }

    public String file() {
        return value.file.name;
    }

    /** Dotted key path, e.g. {@code grid.sliding_window[1]}. */
    public String path() {
        return value.path;
    }

    public int line() {
        return value.node.getStartMark().getLine() + 1;
    }

    public int column() {
        return value.node.getStartMark().getColumn() + 1;
    }

    /** A problem at this node: {@code file:line:column: path: problem}. */
    public ConfigException error(String problem) {
        return value.error(problem);
    }

    /** A problem at this node reported under another key path. */
    public ConfigException errorAs(String keyPath, String problem) {
        return value.errorAs(keyPath, problem);
    }

    public boolean isMapping() {
        return value.node instanceof MappingNode;
    }

    public boolean isList() {
        return value.node instanceof SequenceNode;
    }

    /** The pairs of a mapping in file order (keys plain scalars, no duplicates). */
    public List<Field> fields() throws ConfigException {
        List<Field> fields = new ArrayList<>();
        String prefix = value.path.isEmpty() ? "" : value.path + ".";
        for (Value.Pair pair : value.mapping(name -> prefix + name)) {
            fields.add(new Field(pair.name(), new YamlNode(pair.key()), new YamlNode(pair.value())));
        }
        return fields;
    }

    /** The items of a list. */
    public List<YamlNode> items() throws ConfigException {
        return value.list().stream().map(YamlNode::new).toList();
    }

    public long integer(long min, long max) throws ConfigException {
        return value.integer(min, max);
    }

    public int integer(int min, int max) throws ConfigException {
        return value.integer(min, max);
    }

    public double number(double min, boolean minExclusive, double max, boolean maxInclusive) throws ConfigException {
        return value.number(min, minExclusive, max, maxInclusive);
    }

    public boolean bool() throws ConfigException {
        return value.bool();
    }

    public String text() throws ConfigException {
        return value.text();
    }

    /** One of {@code allowed}, with "did you mean" for a near miss. */
    public String choice(List<String> allowed) throws ConfigException {
        return value.choice(allowed, name -> name);
    }

    /** An "unknown key" error for this (key) node, with a suggestion from {@code known}. */
    public ConfigException unknownKey(String name, Collection<String> known) {
        return value.error("unknown key" + Suggestions.didYouMean(name, known));
    }

    /**
     * This node as one line of flow YAML that reads back to the same value: what {@code --set KEY=VALUE} takes.
     * Integers, numbers, booleans and null keep their text; strings that could be misread are double-quoted.
     */
    public String flowText() {
        StringBuilder out = new StringBuilder();
        appendFlow(out, value.node);
        return out.toString();
    }

    private static void appendFlow(StringBuilder out, org.yaml.snakeyaml.nodes.Node node) {
        switch (node) {
        case ScalarNode scalar -> {
            String text = scalar.getValue();
            boolean string = scalar.getTag().equals(Tag.STR);
            if (!string || (scalar.isPlain() && !FLOW_UNSAFE.matcher(text).matches())) {
                out.append(text);
            } else {
                out.append(doubleQuoted(text));
            }
        }
        case SequenceNode sequence -> {
            out.append('[');
            String separator = "";
            for (org.yaml.snakeyaml.nodes.Node item : sequence.getValue()) {
                out.append(separator);
                appendFlow(out, item);
                separator = ", ";
            }
            out.append(']');
        }
        case MappingNode mapping -> {
            out.append('{');
            String separator = "";
            for (NodeTuple tuple : mapping.getValue()) {
                out.append(separator);
                appendFlow(out, tuple.getKeyNode());
                out.append(": ");
                appendFlow(out, tuple.getValueNode());
                separator = ", ";
            }
            out.append('}');
        }
        default -> throw new IllegalStateException("unknown YAML node " + node);
        }
    }

    private static String doubleQuoted(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
            case '"' -> out.append("\\\"");
            case '\\' -> out.append("\\\\");
            case '\n' -> out.append("\\n");
            case '\t' -> out.append("\\t");
            default -> {
                if (c < 0x20) {
                    out.append(String.format("\\x%02x", (int) c));
                } else {
                    out.append(c);
                }
            }
            }
        }
        return out.append('"').toString();
    }

    /**
     * This node as a plain value for results: integers as {@link Long}, numbers as {@link Double}, booleans, null,
     * other scalars as their text, lists and mappings as their {@link #flowText()}.
     */
    public Object plainValue() {
        if (!(value.node instanceof ScalarNode scalar)) {
            return flowText();
        }
        try {
            if (scalar.getTag().equals(Tag.INT)) {
                return value.integer(Long.MIN_VALUE, Long.MAX_VALUE);
            }
            if (scalar.getTag().equals(Tag.FLOAT)) {
                return value.number();
            }
            if (scalar.getTag().equals(Tag.BOOL)) {
                return value.bool();
            }
        } catch (ConfigException notPlain) {
            return scalar.getValue();
        }
        return scalar.getTag().equals(Tag.NULL) ? null : scalar.getValue();
    }

    /** How this node reads in "got ..." messages. */
    public String describe() {
        return Value.describeNode(value.node);
    }
}
