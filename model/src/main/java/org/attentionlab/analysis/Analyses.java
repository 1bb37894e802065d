package org.attentionlab.analysis;

import java.util.List;
import java.util.Optional;

/** The registry of forward-only metrics: add a metric here and sweeps, results and reports know it. */
public final class Analyses {

    private static final List<Analysis> ALL = List.of(new AttentionEntropy(), new AttentionDistance(), new ShiftSensitivity());

    private Analyses() {
    }

    public static List<Analysis> all() {
        return ALL;
    }

    public static List<String> names() {
        return ALL.stream().map(Analysis::name).toList();
    }

    public static Optional<Analysis> named(String name) {
        return ALL.stream().filter(a -> a.name().equals(name)).findFirst();
    }
}
