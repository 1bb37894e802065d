package org.attentionlab.model.config;

import java.util.Collection;
import java.util.Locale;

/** "Did you mean" for misspelt keys and values: edit distance plus the names other libraries use ({@link Key#aliases()}). */
final class Suggestions {

    private Suggestions() {
    }

    /** The closest candidate, or null when nothing is close enough to be a plausible typo. */
    static String closest(String typed, Collection<String> candidates) {
        Key<?> aliased = Keys.aliased(typed);
        if (aliased != null && candidates.contains(aliased.name())) {
            return aliased.name();
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

    /**
     * " (did you mean x?)" or "" when there is no plausible suggestion; for a key glued to its value by a colon
     * without a space ({@code {sliding_window:3}}, which YAML reads as one key), how to write it.
     */
    static String didYouMean(String typed, Collection<String> candidates) {
        int colon = typed.indexOf(':');
        if (colon > 0 && candidates.contains(typed.substring(0, colon))) {
            return " (YAML reads '" + typed + "' as one key: put a space after the colon, " + typed.substring(0, colon) + ": "
                    + typed.substring(colon + 1) + ")";
        }
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
