package org.attentionlab.model.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.attentionlab.model.config.Key.Default;

/** The defaults an architecture gives in place of the keys' own ({@link Key#fallback()}). Immutable. */
public final class Defaults {

    private final Map<Key<?>, Default<?>> replaced;

    private Defaults(Map<Key<?>, Default<?>> replaced) {
        this.replaced = replaced;
    }

    /** No replaced default. */
    public static Defaults none() {
        return new Defaults(Map.of());
    }

    /** These defaults with {@code key}'s replaced by {@code value}. */
    public <T> Defaults with(Key<T> key, T value) {
        return with(key, new Default.Fixed<>(value));
    }

    /** These defaults with {@code key}'s replaced by {@code value}. */
    public <T> Defaults with(Key<T> key, Default<T> value) {
        Map<Key<?>, Default<?>> copy = new LinkedHashMap<>(replaced);
        copy.put(key, value);
        return new Defaults(Map.copyOf(copy));
    }

    /** The default of {@code key} under these defaults. */
    @SuppressWarnings("unchecked")
    public <T> Default<T> of(Key<T> key) {
        return (Default<T>) replaced.getOrDefault(key, key.fallback());
    }

    /** The keys whose defaults are replaced. */
    public Set<Key<?>> replacedKeys() {
        return replaced.keySet();
    }
}
