package org.attentionlab.model.spec;

/** The seeded tasks a model can be trained and evaluated on ({@code org.attentionlab.model.tasks}). */
public enum TaskName implements YamlName {
    /** Multi-query associative recall: key–value pairs, then queries (token ids). */
    ASSOCIATIVE_RECALL,
    /** A number hidden in filler text, asked for at the end (bytes). */
    PASSKEY_RETRIEVAL,
    /** A random segment, a separator, the segment again (token ids). */
    COPYING,
    /** The input of {@code delay} steps back as the target (feature vectors, regression). */
    DELAYED_RECALL,
    /** Byte-level language modelling of a text file. */
    TEXT;

    /** Whether the task feeds token ids (all but delayed recall, which feeds feature vectors). */
    public boolean readsTokens() {
        return this != DELAYED_RECALL;
    }
}
