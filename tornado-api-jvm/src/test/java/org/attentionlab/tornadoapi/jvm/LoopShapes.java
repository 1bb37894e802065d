package org.attentionlab.tornadoapi.jvm;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Kernels in the loop shapes tornado-kernels uses (the first group, which the JVM splits) and in shapes it must not
 * split (the second group). Each writes {@code out} only.
 */
final class LoopShapes {

    private static final float SCALE = 0.37f;

    private LoopShapes() {
    }

    // ---- split ----

    /** Elementwise, like the activations: {@code for (@Parallel int i = 0; i < size; i++)}. */
    static void elementwise(FloatArray x, FloatArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            float v = x.get(i);
            out.set(i, v / (1.0f + TornadoMath.exp(-v)));
        }
    }

    /** In place, like the residual: an iteration run twice or skipped shows. */
    static void accumulate(FloatArray x, FloatArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, out.get(i) + x.get(i));
        }
    }

    /** The bound is the array's size. */
    static void sizeBound(FloatArray x, FloatArray out) {
        for (@Parallel int i = 0; i < out.getSize(); i++) {
            out.set(i, x.get(i) * SCALE + 1.0f);
        }
    }

    /** Rows with sequential loops and running reductions inside each row, like the norms and softmax. */
    static void rows(FloatArray x, FloatArray out, int rows, int cols) {
        for (@Parallel int row = 0; row < rows; row++) {
            int base = row * cols;
            float sumOfSquares = 0.0f;
            float largest = 0.0f;
            for (int j = 0; j < cols; j++) {
                float v = x.get(base + j);
                sumOfSquares += v * v;
                largest = TornadoMath.max(largest, TornadoMath.abs(v));
            }
            float scale = 1.0f / (TornadoMath.sqrt(sumOfSquares / cols + 1e-5f) + largest);
            for (int j = 0; j < cols; j++) {
                out.set(base + j, x.get(base + j) * scale);
            }
        }
    }

    /**
     * Two nested {@code @Parallel} loops with an expression bound and a private helper per element, like standard
     * attention: {@code bh < batch * heads}, {@code i < seqLen}; a stride computed before the loops.
     */
    static void heads(FloatArray x, FloatArray out, int batch, int heads, int seqLen, int width) {
        int stride = rowStride(seqLen, width);
        for (@Parallel int bh = 0; bh < batch * heads; bh++) {
            for (@Parallel int i = 0; i < seqLen; i++) {
                attendRow(x, out, bh * stride + i * width, width);
            }
        }
    }

    /** A chunked walk inside the inner loop, like chunked attention. */
    static void chunks(FloatArray x, FloatArray out, int batchHeads, int seqLen, int chunkSize) {
        for (@Parallel int bh = 0; bh < batchHeads; bh++) {
            for (@Parallel int r = 0; r < chunkSize; r++) {
                int base = bh * seqLen;
                for (int chunkStart = 0; chunkStart < seqLen; chunkStart += chunkSize) {
                    int i = chunkStart + r;
                    if (i < seqLen) {
                        out.set(base + i, x.get(base + i) * 2.0f - TornadoMath.sqrt(TornadoMath.abs(x.get(base + i))));
                    }
                }
            }
        }
    }

    /** A bound held in a local, a half-size inner loop and a private array per iteration, like RoPE and memory-efficient attention. */
    static void pairs(FloatArray x, FloatArray out, int vectors, int dim) {
        int half = dim / 2;
        int count = vectors;
        for (@Parallel int vector = 0; vector < count; vector++) {
            for (@Parallel int pair = 0; pair < half; pair++) {
                float[] scratch = new float[2];
                int base = vector * dim;
                scratch[0] = x.get(base + pair);
                scratch[1] = x.get(base + pair + half);
                float angle = (vector + 1) * TornadoMath.pow(10000.0f, -(2.0f * pair) / dim);
                out.set(base + pair, scratch[0] * TornadoMath.cos(angle) - scratch[1] * TornadoMath.sin(angle));
                out.set(base + pair + half, scratch[1] * TornadoMath.cos(angle) + scratch[0] * TornadoMath.sin(angle));
            }
        }
    }

    /** {@code i <= last}, starting anywhere (negative too), with a step of 3; writes out[i - first]. */
    static void inclusiveStep(FloatArray x, FloatArray out, int first, int last) {
        for (@Parallel int i = first; i <= last; i += 3) {
            out.set(i - first, x.get(i - first) + i);
        }
    }

    /** The bound written first: {@code end > i}; a continue. */
    static void reversed(FloatArray x, FloatArray out, int end) {
        for (@Parallel int i = 0; end > i; i++) {
            if (x.get(i) < 0.0f) {
                out.set(i, 0.0f);
                continue;
            }
            out.set(i, x.get(i));
        }
    }

    /** Compared with zero: {@code i < 0} from a negative start. */
    static void belowZero(FloatArray out, int first) {
        for (@Parallel int i = first; i < 0; i++) {
            out.set(i - first, i * SCALE);
        }
    }

    /** Which pool thread ran each iteration (small numbers by first appearance), to see the blocks. */
    static void recordThreads(IntArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, ThreadNumbers.current());
        }
    }

    /** Which thread ran each (outer, inner) iteration. */
    static void recordThreads2D(IntArray out, int outer, int inner) {
        for (@Parallel int o = 0; o < outer; o++) {
            for (@Parallel int i = 0; i < inner; i++) {
                out.set(o * inner + i, ThreadNumbers.current());
            }
        }
    }

    private static int rowStride(int seqLen, int width) {
        return seqLen * width;
    }

    private static void attendRow(FloatArray x, FloatArray out, int base, int width) {
        float dot = 0.0f;
        for (int d = 0; d < width; d++) {
            dot += x.get(base + d) * x.get(base + d);
        }
        float inverse = 1.0f / TornadoMath.sqrt(dot + 1e-6f);
        for (int d = 0; d < width; d++) {
            out.set(base + d, x.get(base + d) * inverse);
        }
    }

    // ---- not split ----

    /** A reduction into a variable declared outside the loop. */
    static void reduction(FloatArray x, FloatArray out, int size) {
        float sum = 0.0f;
        for (@Parallel int i = 0; i < size; i++) {
            sum += x.get(i);
        }
        out.set(0, sum);
    }

    /** Leaves early. */
    static void breaks(FloatArray x, FloatArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            if (x.get(i) > 0.9f) {
                break;
            }
            out.set(i, x.get(i));
        }
    }

    /** Two parallel loops one after the other: the second reads what the first wrote elsewhere. */
    static void twoLoops(FloatArray x, FloatArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, x.get(i) * 2.0f);
        }
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, out.get(i) + out.get(size - 1 - i));
        }
    }

    /** A parallel loop inside a sequential one, each step reading the previous step's neighbours. */
    static void insideSequentialLoop(FloatArray x, FloatArray out, int size, int steps) {
        for (int t = 0; t < steps; t++) {
            for (@Parallel int i = 1; i < size - 1; i++) {
                out.set(i, (x.get(i - 1) + x.get(i + 1)) * 0.5f + t);
            }
        }
    }

    /** Writes memory outside its parallel loop, which every thread would repeat. */
    static void writesOutside(FloatArray x, FloatArray out, int size) {
        out.set(0, out.get(0) + 1.0f);
        for (@Parallel int i = 1; i < size; i++) {
            out.set(i, x.get(i));
        }
    }

    /** Calls a helper for its effect outside its parallel loop. */
    static void helperWritesOutside(FloatArray x, FloatArray out, int size) {
        clearFirst(out);
        for (@Parallel int i = 1; i < size; i++) {
            out.set(i, out.get(0) + x.get(i));
        }
    }

    private static void clearFirst(FloatArray out) {
        out.set(0, out.get(0) * 0.5f);
    }

    /** Counts down. */
    static void countsDown(FloatArray x, FloatArray out, int size) {
        for (@Parallel int i = size - 1; i >= 0; i--) {
            out.set(i, x.get(i) + 1.0f);
        }
    }

    /** Its bound is a call the JVM cannot see through. */
    static void callBound(FloatArray x, FloatArray out, int size) {
        for (@Parallel int i = 0; i < rowStride(size, 1); i++) {
            out.set(i, x.get(i));
        }
    }

    /** Its bound changes inside the loop. */
    static void movingBound(FloatArray x, FloatArray out, int size) {
        int end = size;
        for (@Parallel int i = 0; i < end; i++) {
            out.set(i, x.get(i));
            if (x.get(i) > 0.99f) {
                end = i;
            }
        }
    }

    /** The parallel inner loop sums into a variable of the outer loop: the outer is split, the inner never. */
    static void innerReduction(FloatArray x, FloatArray out, int rows, int cols) {
        for (@Parallel int row = 0; row < rows; row++) {
            float sum = 0.0f;
            for (@Parallel int j = 0; j < cols; j++) {
                sum += x.get(row * cols + j);
            }
            out.set(row, sum);
        }
    }

    /**
     * Small numbers for threads, in the order they first ask. A thread's first call waits until the expected number
     * of threads have arrived, so the numbers show which thread ran which part only if the parts run concurrently
     * (a runtime that ran them one after another would time out here).
     */
    static final class ThreadNumbers {
        private static final long TIMEOUT_MILLIS = 20_000;
        private static final java.util.Map<Thread, Integer> NUMBERS = new java.util.HashMap<>();
        private static int expected;

        static synchronized void expect(int threads) {
            NUMBERS.clear();
            expected = threads;
        }

        static synchronized int current() {
            Integer number = NUMBERS.get(Thread.currentThread());
            if (number != null) {
                return number;
            }
            NUMBERS.put(Thread.currentThread(), NUMBERS.size());
            ThreadNumbers.class.notifyAll();
            long deadline = System.currentTimeMillis() + TIMEOUT_MILLIS;
            while (NUMBERS.size() < expected) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new IllegalStateException("only " + NUMBERS.size() + " of " + expected + " threads arrived: the parts do not run concurrently");
                }
                try {
                    ThreadNumbers.class.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            return NUMBERS.get(Thread.currentThread());
        }
    }
}
