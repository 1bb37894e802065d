package org.attentionlab.model.config;

/** A closed set of values spelled in YAML; every config enum implements this. */
public interface YamlName {

    /** The spelling used in YAML config files. */
    String yamlName();
}
