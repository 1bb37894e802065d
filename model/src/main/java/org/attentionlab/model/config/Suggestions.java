package org.attentionlab.model.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/** "Did you mean" for misspelt keys and values: edit distance plus the spellings other libraries use. */
final class Suggestions {

    /** Names Edifice and other libraries use for our keys; a user coming from there gets pointed home. */
    private static final Map<String, String> SYNONYMS = Map.ofEntries(
            Map.entry("num_heads", "num_attention_heads"),
            Map.entry("heads", "num_attention_heads"),
            Map.entry("n_head", "num_attention_heads"),
            Map.entry("num_kv_heads", "num_key_value_heads"),
            Map.entry("kv_heads", "num_key_value_heads"),
            Map.entry("num_layers", "num_hidden_layers"),
            Map.entry("layers_count", "num_hidden_layers"),
            Map.entry("n_layer", "num_hidden_layers"),
            Map.entry("window_size", "sliding_window"),
            Map.entry("window", "sliding_window"),
            Map.entry("ffn_dim", "intermediate_size"),
            Map.entry("d_ff", "intermediate_size"),
            Map.entry("lstm_hidden", "lstm_hidden_size"),
            Map.entry("rope", "position_embedding"),
            Map.entry("positional_encoding", "position_embedding"),
            Map.entry("qk_layernorm", "qk_norm"),
            Map.entry("activation", "hidden_act"),
            Map.entry("hidden_dropout", "dropout"),
            Map.entry("hidden_dropout_prob", "dropout"),
            Map.entry("attention_probs_dropout_prob", "attention_dropout"),
            Map.entry("eps", "layer_norm_eps"),
            Map.entry("rms_norm_eps", "layer_norm_eps"),
            Map.entry("theta", "rope_theta"),
            Map.entry("d_model", "hidden_size"),
            Map.entry("base", "extends"));

    private Suggestions() {
    }

    /** The closest candidate, or null when nothing is close enough to be a plausible typo. */
    static String closest(String typed, Collection<String> candidates) {
        String synonym = SYNONYMS.get(typed.toLowerCase(Locale.ROOT));
        if (synonym != null && candidates.contains(synonym)) {
            return synonym;
        }
        String lower = typed.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int distance = levenshtein(lower, candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        int allowed = Math.max(2, Math.min(typed.length(), best == null ? 0 : best.length()) / 3);
        return bestDistance <= allowed ? best : null;
    }

    /** " (did you mean x?)" or "" when there is no plausible suggestion. */
    static String didYouMean(String typed, Collection<String> candidates) {
        String suggestion = closest(typed, candidates);
        return suggestion == null ? "" : " (did you mean " + suggestion + "?)";
    }

    static int levenshtein(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
