package org.attentionlab.analysis;

import java.util.ArrayList;
import java.util.List;

/** Per-head means over every (batch row, query) of a value computed from one softmax row. */
final class RowMeans {

    @FunctionalInterface
    interface RowValue {
        double of(int query, int[] keys, double[] p, int count);
    }

    private RowMeans() {
    }

    static List<List<Double>> perHead(List<AttentionProbe.LayerAttention> layers, RowValue value) {
        List<List<Double>> result = new ArrayList<>();
        for (AttentionProbe.LayerAttention layer : layers) {
            double[] sums = new double[layer.heads()];
            layer.forEachRow((b, h, i, keys, p, count) -> sums[h] += value.of(i, keys, p, count));
            List<Double> heads = new ArrayList<>();
            for (double sum : sums) {
                heads.add(sum / ((double) layer.batch() * layer.seqLen()));
            }
            result.add(heads);
        }
        return result;
    }
}
