package org.attentionlab.analysis;

import java.util.List;

/** Mean over queries of Σ p_ij |i − j|: how far back (or ahead) each head looks, in positions. */
final class AttentionDistance implements Analysis {

    @Override
    public String name() {
        return "attention_distance";
    }

    @Override
    public String description() {
        return "mean attention distance Σ p_ij |i − j| of each head, averaged over queries";
    }

    @Override
    public String unit() {
        return "positions";
    }

    @Override
    public List<List<Double>> measure(AnalysisContext context) {
        return RowMeans.perHead(context.attention(), (query, keys, p, count) -> {
            double distance = 0;
            for (int t = 0; t < count; t++) {
                distance += p[t] * Math.abs(query - keys[t]);
            }
            return distance;
        });
    }
}
