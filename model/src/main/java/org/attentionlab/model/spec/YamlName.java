package org.attentionlab.model.spec;

import java.util.Locale;

/**
 * A closed set of values spelled in YAML; every config enum implements this. The spelling is the constant's name
 * in lower case unless the enum says otherwise.
 */
public interface YamlName {

    /** The constant's name (every enum has it). */
    String name();

    /** The spelling used in YAML config files. */
    default String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The constant of {@code type} spelled {@code yamlName} in YAML, or {@code null} if there is none. */
    static <E extends Enum<E> & YamlName> E fromYamlName(Class<E> type, String yamlName) {
        for (E value : type.getEnumConstants()) {
            if (value.yamlName().equals(yamlName)) {
                return value;
            }
        }
        return null;
    }
}
