package org.attentionlab.model.tasks;

import java.util.SplittableRandom;

/**
 * Delayed recall for feature-input models (Edifice's temporal use, "what happened exactly k steps ago?"): the
 * input is a sequence of standard-normal vectors, and the target at position t is the input at t - delay (its
 * first {@code targetWidth} features); positions before {@code delay} do not count. Regression, scored by mean
 * squared error.
 */
public record DelayedRecall(int delay, int width, int targetWidth) implements Task {

    public static final String NAME = "delayed_recall";

    public DelayedRecall {
        if (delay < 0 || width < 1 || targetWidth < 1 || targetWidth > width) {
            throw new IllegalArgumentException("delayed_recall needs delay >= 0 and 1 <= target width <= width, got delay "
                    + delay + ", width " + width + ", target width " + targetWidth);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public TaskInput input() {
        return new TaskInput.Features(width, targetWidth);
    }

    @Override
    public int minSeqLen() {
        return delay + 1;
    }

    @Override
    public String describe() {
        return NAME + " (delay " + delay + ", " + width + " features, target the first " + targetWidth + ")";
    }

    @Override
    public Batch draw(long seed, long index, int batchSize, int seqLen) {
        checkShape(batchSize, seqLen);
        float[] inputs = new float[batchSize * seqLen * width];
        float[] targets = new float[batchSize * seqLen * targetWidth];
        int[] counted = new int[batchSize * seqLen];
        for (int row = 0; row < batchSize; row++) {
            SplittableRandom random = TaskRandom.row(seed, index, row);
            int base = row * seqLen;
            for (int i = 0; i < seqLen * width; i++) {
                inputs[base * width + i] = (float) gaussian(random);
            }
            for (int t = delay; t < seqLen; t++) {
                counted[base + t] = 1;
                System.arraycopy(inputs, (base + t - delay) * width, targets, (base + t) * targetWidth, targetWidth);
            }
        }
        return new Batch.Features(batchSize, seqLen, width, targetWidth, inputs, targets, counted);
    }

    /** Box–Muller; one of the pair, so that each value depends on its own two draws only. */
    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
