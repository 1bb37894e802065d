package org.attentionlab.tornadoapi.jvm;

/**
 * The arithmetic of split loops, called by the generated variants of kernels (so it is public; it is no part of
 * TornadoVM's API). A loop {@code for (i = first; i < bound; i += step)} (or {@code i <= bound}) has
 * {@link #iterations} iterations; part {@code p} of {@code parts} runs the contiguous block of iterations
 * {@code [n p / parts, n (p + 1) / parts)}, so every iteration runs exactly once, in one part, with the same value
 * of {@code i} as in the sequential loop.
 */
public final class SplitRange {

    /** An outer loop with at least this many iterations per part is split even when they do not share evenly. */
    static final int MIN_ITERATIONS_PER_PART_WHEN_UNEVEN = 4;

    private SplitRange() {
    }

    /** Iterations of the loop ({@code inclusive}: 1 for {@code i <= bound}, 0 for {@code i < bound}; {@code step >= 1}). */
    public static long iterations(int first, int bound, int inclusive, int step) {
        long span = (long) bound - first + inclusive;
        return span <= 0 ? 0 : (span + step - 1) / step;
    }

    /**
     * The value of {@code i} at the start of part {@code part}'s block; for {@code part == parts}, where the last
     * block ends. A part runs while {@code i < start(..., part + 1, parts)}.
     *
     * @throws ArithmeticException when the loop's end lies beyond {@code Integer.MAX_VALUE}: the sequential loop's
     *     counter would overflow there and it would not end either
     */
    public static int start(int first, int bound, int inclusive, int step, int part, int parts) {
        long iteration = iterations(first, bound, inclusive, step) * part / parts;
        return Math.toIntExact(first + iteration * step);
    }

    /**
     * How many parts an outer {@code @Parallel} loop with a {@code @Parallel} loop inside is split into: all
     * {@code parts} when its iterations share evenly among them (or there are many of them), otherwise 1, and the
     * inner loop is split instead (e.g. batch 1, or 8 heads on 3 threads).
     */
    public static int outerParts(int first, int bound, int inclusive, int step, int parts) {
        long n = iterations(first, bound, inclusive, step);
        boolean shares = n >= parts && (n % parts == 0 || n >= (long) MIN_ITERATIONS_PER_PART_WHEN_UNEVEN * parts);
        return shares ? parts : 1;
    }
}
