package org.attentionlab.model.generate;

import java.util.SplittableRandom;

/**
 * Chooses the next token from logits: greedy (the largest logit, the lowest id on a tie) when the temperature is 0,
 * otherwise a draw from {@code softmax(logits / temperature)} over the {@code topK} largest logits (all when 0),
 * seeded, so a run is repeatable.
 */
public final class Sampler {

    private final double temperature;
    private final int topK;
    private final SplittableRandom random;

    /**
     * @param temperature 0 for greedy, else > 0
     * @param topK        draw among this many largest logits; 0 for all
     */
    public Sampler(double temperature, int topK, long seed) {
        if (!(temperature >= 0) || Double.isInfinite(temperature) || topK < 0) {
            throw new IllegalArgumentException("temperature must be finite and >= 0 and topK >= 0, got " + temperature + ", " + topK);
        }
        this.temperature = temperature;
        this.topK = topK;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0, 0, 0);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    /** The index of the largest logit; the lowest one on a tie. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    public int next(float[] logits) {
        if (isGreedy()) {
            return argmax(logits);
        }
        int k = topK == 0 ? logits.length : Math.min(topK, logits.length);
        // the k largest (ties to the lower id), as a threshold: the k-th largest value and how many equal ones to keep
        float[] sorted = logits.clone();
        java.util.Arrays.sort(sorted);
        float threshold = sorted[logits.length - k];
        int keepAtThreshold = 0;
        for (int i = logits.length - k; i < logits.length && sorted[i] == threshold; i++) {
            keepAtThreshold++;
        }
        double max = sorted[logits.length - 1];
        double[] weights = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            boolean kept = logits[i] > threshold || (logits[i] == threshold && keepAtThreshold-- > 0);
            if (kept) {
                weights[i] = Math.exp((logits[i] - max) / temperature);
                sum += weights[i];
            }
        }
        double draw = random.nextDouble() * sum;
        int last = -1;
        for (int i = 0; i < logits.length; i++) {
            if (weights[i] > 0) {
                last = i;
                draw -= weights[i];
                if (draw < 0) {
                    return i;
                }
            }
        }
        return last;
    }
}
