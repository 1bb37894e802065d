package org.attentionlab.model.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a resolved config says for each top-level key its architecture reads: the value given, else the
 * architecture's default, else the key's; derived values (hidden_size, head_dim, ...) computed; layer_types
 * expanded (sliding_window_pattern is its shorthand and is not kept). A key without a value has none (e.g.
 * sliding_window where no layer slides by default). Typed by {@link Key}: no casts at the call site.
 */
public final class Settings {

    private final Map<Key<?>, Object> values;

    Settings(Map<Key<?>, Object> values) {
        this.values = new LinkedHashMap<>(values);
    }

    /** The value of {@code key}; throws when it has none (use {@link #find} for keys that may have none). */
    public <T> T get(Key<T> key) {
        return find(key).orElseThrow(() -> new IllegalArgumentException("no value for " + key.name()));
    }

    @SuppressWarnings("unchecked")
    public <T> Optional<T> find(Key<T> key) {
        return Optional.ofNullable((T) values.get(key));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Settings s && s.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
