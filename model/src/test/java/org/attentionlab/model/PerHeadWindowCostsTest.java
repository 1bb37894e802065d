package org.attentionlab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;

import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.exec.KvCaches;
import org.attentionlab.model.generate.Generator;
import org.junit.jupiter.api.Test;

/**
 * What a window per head costs, counted per head: attention FLOPs are linear in each head's visible pairs, so a layer
 * whose two heads slide with 2 and 6 keys costs exactly the mean of the same model with 2 and with 6 for both heads
 * (everything else being equal); the rolling key/value cache of generation holds the widest head's window.
 */
class PerHeadWindowCostsTest {

    private static final String BASE = "architecture: rnope_swa\nvocab_size: 17\nhidden_size: 8\nnum_attention_heads: 2\nnum_hidden_layers: 2\n"
            + "intermediate_size: 12\noutput: logits\n";

    private static Model model(String window) {
        return Model.build(ConfigLoader.parse(BASE + "sliding_window: " + window + "\n", Path.of("costs.yaml")));
    }

    @Test
    void flopsCountEachHeadsWindow() {
        for (int seqLen : new int[] { 1, 5, 20, 64 }) {
            long narrow = model("2").flops(3, seqLen);
            long wide = model("6").flops(3, seqLen);
            assertEquals((narrow + wide) / 2, model("[2, 6]").flops(3, seqLen), "L = " + seqLen);
            assertEquals(0, (narrow + wide) % 2);
        }
    }

    @Test
    void theRollingCacheHoldsTheWidestHeadsWindow() {
        List<KvCaches.Layout> layouts = Generator.cacheLayouts(model("[2, 6]"), 50);
        for (KvCaches.Layout layout : layouts) {
            assertEquals(6, layout.slots());
        }
        assertEquals(4, Generator.cacheLayouts(model("[2, 6]"), 4).get(0).slots(), "never more than the generation's positions");
    }
}
