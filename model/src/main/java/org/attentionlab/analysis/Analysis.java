package org.attentionlab.analysis;

import java.util.List;

/**
 * A forward-only metric per attention layer and head, measured on a model (trained or not). Register a new one in
 * {@link Analyses}: the sweep runner, the results and the report take it from there.
 */
public interface Analysis {

    /** The name sweep files and results use, e.g. {@code attention_entropy}. */
    String name();

    /** What the numbers mean, for the report. */
    String description();

    /** The unit of the numbers, e.g. {@code nats} or {@code positions}. */
    String unit();

    /** The values for every attention layer (outer list, in layer order) and head (inner list). */
    List<List<Double>> measure(AnalysisContext context);
}
