package org.attentionlab.model.generate;

import java.util.Arrays;

import org.attentionlab.model.Model;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * One generation: a prompt, then {@code maxNewTokens} tokens chosen by a {@link Sampler} from the logits of a
 * {@link Generator}, timed; optionally checked against a full recomputation at every step.
 */
public final class Generation {

    /** What a step reports as it goes (for a progress line). */
    @FunctionalInterface
    public interface Listener {
        void generated(int done, int total);
    }

    /**
     * The check against a full recomputation: at every step the whole sequence so far through the ordinary forward
     * pass, the arg-max of its last logits against the arg-max of the cached step's.
     *
     * @param firstMismatch the first step whose arg-maxes differ, -1 when none does
     * @param largestLogitDifference the largest |cached - recomputed| over every step's logits
     */
    public record Verification(int steps, int firstMismatch, double largestLogitDifference) {
        public boolean matches() {
            return firstMismatch < 0;
        }
    }

    /**
     * @param firstStepNanos the first decode step, which builds the decode graphs (and compiles them on a device)
     * @param laterStepsNanos the decode steps after it, {@code generated.length - 2} of them
     * @param verification   null unless asked for
     */
    public record Result(int[] prompt, int[] generated, long prefillNanos, long firstStepNanos, long laterStepsNanos, CacheMemory cacheMemory,
            Verification verification) {

        /** Mean time of a decode step after the first, in milliseconds (NaN when there is none). */
        public double millisPerLaterStep() {
            int steps = generated.length - 2;
            return steps < 1 ? Double.NaN : laterStepsNanos / 1e6 / steps;
        }
    }

    private Generation() {
    }

    /**
     * Generates {@code maxNewTokens} tokens after {@code prompt} (prompt + maxNewTokens positions of cache).
     *
     * @throws NonFiniteLogitsException when a step's logits are not all finite
     */
    public static Result run(Model model, int[] prompt, int maxNewTokens, Sampler sampler, TornadoDevice device, boolean verify, Listener listener) {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        }
        int maxLength = Math.addExact(prompt.length, maxNewTokens);
        int[] sequence = Arrays.copyOf(prompt, maxLength);
        int[] generated = new int[maxNewTokens];
        int mismatch = -1;
        double largestDifference = 0;
        long prefillNanos;
        long firstStepNanos = 0;
        long laterStepsNanos = 0;
        CacheMemory memory;
        try (Generator generator = Generator.start(model, maxLength, device)) {
            memory = new CacheMemory(generator.caches().layers().stream().map(c -> c.layout()).toList(), 1, maxLength);
            long start = System.nanoTime();
            float[] logits = generator.prefill(prompt);
            prefillNanos = System.nanoTime() - start;
            for (int i = 0; i < maxNewTokens; i++) {
                int length = prompt.length + i;
                requireFinite(logits, length - 1);
                if (verify) {
                    float[] full = fullRecomputation(model, Arrays.copyOf(sequence, length), device);
                    for (int v = 0; v < full.length; v++) {
                        largestDifference = Math.max(largestDifference, Math.abs(full[v] - logits[v]));
                    }
                    if (mismatch < 0 && Sampler.argmax(full) != Sampler.argmax(logits)) {
                        mismatch = i;
                    }
                }
                generated[i] = sampler.next(logits);
                sequence[length] = generated[i];
                if (listener != null) {
                    listener.generated(i + 1, maxNewTokens);
                }
                if (i + 1 < maxNewTokens) {
                    start = System.nanoTime();
                    logits = generator.next(generated[i]);
                    if (i == 0) {
                        firstStepNanos = System.nanoTime() - start;
                    } else {
                        laterStepsNanos += System.nanoTime() - start;
                    }
                }
            }
        }
        return new Result(prompt.clone(), generated, prefillNanos, firstStepNanos, laterStepsNanos, memory, verify ? new Verification(maxNewTokens, mismatch, largestDifference) : null);
    }

    /** The logits at the last position of {@code ids}, by the ordinary forward pass over all of them (no cache). */
    public static float[] fullRecomputation(Model model, int[] ids, TornadoDevice device) {
        try (ModelExecution forward = model.prepare(RunShape.inference(1, ids.length), device)) {
            return Generator.lastLogits(forward, ids, model.vocabSize());
        }
    }

    private static void requireFinite(float[] logits, int position) {
        for (int v = 0; v < logits.length; v++) {
            if (!Float.isFinite(logits[v])) {
                throw new NonFiniteLogitsException("the logits at position " + position + " are not finite: token " + v + " has " + logits[v]);
            }
        }
    }

    /** Logits that are NaN or infinite: the run failed (the weights are finite, so something overflowed). */
    public static final class NonFiniteLogitsException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NonFiniteLogitsException(String message) {
            super(message);
        }
    }
}
