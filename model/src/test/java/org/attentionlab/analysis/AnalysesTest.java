package org.attentionlab.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.weights.Parameters;
import org.junit.jupiter.api.Test;

/** The registered metrics on cases with a known answer. */
class AnalysesTest {

    static Model model(String extra) {
        return Model.build(ConfigLoader.parse("""
                architecture: rnope_swa
                embed_dim: 8
                hidden_size: 8
                num_attention_heads: 2
                num_hidden_layers: 2
                intermediate_size: 16
                """ + extra, Path.of("analyses.yaml")));
    }

    /** Zero query projections: every logit is equal, so each row is uniform over the keys its mask admits. */
    static void zeroQueries(Model model) {
        for (Parameters.Parameter p : model.parameters().all()) {
            if (p.name().contains("q_proj")) {
                p.data().init(0f);
            }
        }
    }

    @Test
    void uniformRowsHaveTheEntropyAndDistanceOfTheirWindow() {
        Model model = model("sliding_window: 4\nposition_embedding: none\n");
        zeroQueries(model);
        int length = 10;
        AnalysisContext context = new AnalysisContext(model, null, length, 2, 3, 0);
        double entropy = 0;
        double distance = 0;
        for (int i = 0; i < length; i++) {
            int keys = Math.min(i + 1, 4);
            entropy += Math.log(keys) / length;
            distance += (keys - 1) / 2.0 / length;
        }
        List<List<Double>> entropies = Analyses.named("attention_entropy").orElseThrow().measure(context);
        List<List<Double>> distances = Analyses.named("attention_distance").orElseThrow().measure(context);
        assertEquals(2, entropies.size(), "two layers");
        for (int layer = 0; layer < 2; layer++) {
            for (int head = 0; head < 2; head++) {
                assertEquals(entropy, entropies.get(layer).get(head), 1e-6);
                assertEquals(distance, distances.get(layer).get(head), 1e-6);
            }
        }
    }

    @Test
    void shiftSensitivityIsZeroForPositionBlindAttentionAndNotForApe() {
        AnalysisContext blind = new AnalysisContext(model("causal: false\nposition_embedding: none\n"), null, 12, 2, 5, 0);
        for (List<Double> layer : Analyses.named("shift_sensitivity").orElseThrow().measure(blind)) {
            for (double head : layer) {
                assertTrue(head < 1e-5, "bidirectional full attention without positions sees a set: " + head);
            }
        }
        AnalysisContext ape = new AnalysisContext(model("causal: false\nposition_embedding: ape\nape_scale: 2.0\n"), null, 12, 2, 5, 0);
        for (List<Double> layer : Analyses.named("shift_sensitivity").orElseThrow().measure(ape)) {
            for (double head : layer) {
                assertTrue(head > 1e-3, "APE's bias depends on |i - j| / L, so shifting the content moves it: " + head);
            }
        }
    }

    @Test
    void theRegistryNamesEveryMetricOnce() {
        assertEquals(List.of("attention_entropy", "attention_distance", "shift_sensitivity"), Analyses.names());
    }
}
