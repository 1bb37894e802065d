package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {

    @Test
    void levenshteinDistances() {
        assertEquals(0, Suggestions.levenshtein("", ""));
        assertEquals(3, Suggestions.levenshtein("", "abc"));
        assertEquals(3, Suggestions.levenshtein("kitten", "sitting"));
        assertEquals(1, Suggestions.levenshtein("slidng_window", "sliding_window"));
        assertEquals(2, Suggestions.levenshtein("ab", "ba"));
    }

    @Test
    void suggestsCloseKeysOnly() {
        assertEquals("sliding_window", Suggestions.closest("slidng_window", Keys.TOP_LEVEL));
        assertEquals("hidden_size", Suggestions.closest("Hidden_Size", Keys.TOP_LEVEL));
        assertEquals("layer_types", Suggestions.closest("layer_type", Keys.TOP_LEVEL));
        assertNull(Suggestions.closest("colour", Keys.TOP_LEVEL));
        assertNull(Suggestions.closest("zzzzzzzzzzzzzzzzzz", Keys.TOP_LEVEL));
    }

    @Test
    void knowsOtherLibrariesNames() {
        assertEquals("num_attention_heads", Suggestions.closest("num_heads", Keys.TOP_LEVEL));
        assertEquals("num_hidden_layers", Suggestions.closest("num_layers", Keys.TOP_LEVEL));
        assertEquals("sliding_window", Suggestions.closest("window_size", Keys.TOP_LEVEL));
        assertEquals("intermediate_size", Suggestions.closest("ffn_dim", Keys.TOP_LEVEL));
        assertEquals("lstm_hidden_size", Suggestions.closest("lstm_hidden", Keys.TOP_LEVEL));
        assertEquals("qk_norm", Suggestions.closest("qk_layernorm", Keys.PER_LAYER));
    }

    @Test
    void didYouMeanIsEmptyWithoutACandidate() {
        assertEquals("", Suggestions.didYouMean("colour", List.of("seed", "norm")));
        assertEquals(" (did you mean norm?)", Suggestions.didYouMean("nrom", List.of("seed", "norm")));
    }
}
