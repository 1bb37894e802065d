package org.attentionlab.analysis;

import java.util.List;

/** Mean over queries of the entropy −Σ p log p of each head's attention row: 0 = one key, log(n) = uniform over n. */
final class AttentionEntropy implements Analysis {

    @Override
    public String name() {
        return "attention_entropy";
    }

    @Override
    public String description() {
        return "mean entropy of each head's attention over the keys a query sees (0: one key; log n: uniform over n keys)";
    }

    @Override
    public String unit() {
        return "nats";
    }

    @Override
    public List<List<Double>> measure(AnalysisContext context) {
        return RowMeans.perHead(context.attention(), (query, keys, p, count) -> {
            double entropy = 0;
            for (int t = 0; t < count; t++) {
                if (p[t] > 0) {
                    entropy -= p[t] * Math.log(p[t]);
                }
            }
            return entropy;
        });
    }
}
