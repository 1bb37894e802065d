package org.attentionlab.model.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One entry of a {@code layers:} mapping: the layers its selector picks and the per-layer keys it sets, each value
 * read by its key's type and remembered with the key node it was written at (for messages).
 */
record LayerEntry(Selector selector, Map<Key<?>, Value> written, Map<Key<?>, Object> values) {

    private static final Pattern LAYER_INDEX = Pattern.compile("\\d+");
    private static final Pattern LAYER_RANGE = Pattern.compile("(\\d+)\\s*-\\s*(\\d+)");

    /** Which layers an entry addresses: one index, an inclusive range, or all. */
    record Selector(Value key, int from, int to, boolean all) {

        List<Integer> indices(int layers) throws ConfigException {
            if (all) {
                return range(0, layers - 1);
            }
            if (to >= layers) {
                String which = from == to ? "layer " + from + " is" : "layers " + from + "-" + to + " go";
                throw key.error(which + " out of range: num_hidden_layers is " + layers + (layers == 1 ? " (layer 0)" : " (layers 0-" + (layers - 1) + ")"));
            }
            return range(from, to);
        }

        private static List<Integer> range(int from, int to) {
            List<Integer> indices = new ArrayList<>();
            for (int i = from; i <= to; i++) {
                indices.add(i);
            }
            return indices;
        }
    }

    /** The value this entry sets for {@code key}, or null. */
    @SuppressWarnings("unchecked")
    <T> T get(Key<T> key) {
        return (T) values.get(key);
    }

    /** The entries of one {@code layers:} mapping, in file order. */
    static List<LayerEntry> readAll(Value block) throws ConfigException {
        List<LayerEntry> entries = new ArrayList<>();
        for (Value.Pair entry : block.mapping(name -> block.path + "." + name)) {
            Map<Key<?>, Value> written = new LinkedHashMap<>();
            Map<Key<?>, Object> values = new LinkedHashMap<>();
            Selector selector = selector(entry.key());
            String prefix = entry.key().path + ".";
            for (Value.Pair field : entry.value().mapping(name -> prefix + name)) {
                Key<?> key = Keys.named(field.name());
                if (key == null || !key.perLayer()) {
                    if (key != null) {
                        throw field.key().error("cannot be set per layer (per-layer keys: " + String.join(", ", Keys.PER_LAYER) + ")");
                    }
                    throw field.key().error("unknown per-layer key" + Suggestions.didYouMean(field.name(), Keys.PER_LAYER));
                }
                values.put(key, key.type().read(field.value()));
                written.put(key, field.key());
            }
            entries.add(new LayerEntry(selector, written, values));
        }
        return entries;
    }

    private static Selector selector(Value key) throws ConfigException {
        ScalarNode scalar = (ScalarNode) key.node;
        String text = scalar.getValue().strip();
        if (text.equals("all")) {
            return new Selector(key, 0, 0, true);
        }
        if (scalar.getTag().equals(Tag.INT)) {
            int index = key.integer(0, Keys.MAX_LAYERS - 1);
            return new Selector(key, index, index, false);
        }
        if (LAYER_INDEX.matcher(text).matches()) {
            int index = text.length() > 5 ? Keys.MAX_LAYERS : Integer.parseInt(text);
            if (index >= Keys.MAX_LAYERS) {
                throw key.error("must be at most " + (Keys.MAX_LAYERS - 1) + ", got " + text);
            }
            return new Selector(key, index, index, false);
        }
        Matcher range = LAYER_RANGE.matcher(text);
        if (range.matches()) {
            int from = Integer.parseInt(range.group(1).length() > 5 ? "99999" : range.group(1));
            int to = Integer.parseInt(range.group(2).length() > 5 ? "99999" : range.group(2));
            if (from > to) {
                throw key.error("range start " + from + " is greater than its end " + to);
            }
            return new Selector(key, from, to, false);
        }
        throw key.error("expected a layer index, a range such as 0-3, or all, got " + Value.describeNode(key.node));
    }
}
