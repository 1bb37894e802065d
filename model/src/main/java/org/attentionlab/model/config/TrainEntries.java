package org.attentionlab.model.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The keys of one {@code train:} block, each value read by its key's type and remembered with the key node it was
 * written at (for messages). Blocks from a base config, the config itself and {@code --set train.KEY=VALUE} merge
 * key by key, the later winning ({@link #over}).
 */
record TrainEntries(Value block, Map<Key<?>, Value> written, Map<Key<?>, Object> values) {

    static TrainEntries read(Value block) throws ConfigException {
        Map<Key<?>, Value> written = new LinkedHashMap<>();
        Map<Key<?>, Object> values = new LinkedHashMap<>();
        for (Value.Pair field : block.mapping(name -> block.path + "." + name)) {
            Key<?> key = Keys.named(field.name());
            if (key == null || !key.inTrainBlock()) {
                if (key != null) {
                    throw field.key().error("is a model key, not a training one: write it at the top level, outside train:");
                }
                throw field.key().error("unknown train key" + Suggestions.didYouMean(field.name(), Keys.TRAIN_KEYS));
            }
            values.put(key, key.type().read(field.value()));
            written.put(key, field.key());
        }
        return new TrainEntries(block, written, values);
    }

    /** These entries laid over {@code earlier}'s, key by key (this block's position for what it does not set). */
    TrainEntries over(TrainEntries earlier) {
        Map<Key<?>, Value> mergedWritten = new LinkedHashMap<>(earlier.written);
        Map<Key<?>, Object> mergedValues = new LinkedHashMap<>(earlier.values);
        mergedWritten.putAll(written);
        mergedValues.putAll(values);
        return new TrainEntries(block, mergedWritten, mergedValues);
    }

    @SuppressWarnings("unchecked")
    <T> T get(Key<T> key) {
        return (T) values.get(key);
    }
}
