package org.attentionlab.model.config;

/** Where a broken rule about a key is reported: where the config set the key, else at the architecture key. */
public interface ConfigErrors {

    /** A one-line error about {@code key}, at the place that set it. */
    ConfigException at(Key<?> key, String problem);

    /** A one-line error about layer {@code layer}'s value of {@code key}: at the layers: entry that set it, else as {@link #at}. */
    ConfigException atLayer(int layer, Key<?> key, String problem);
}
