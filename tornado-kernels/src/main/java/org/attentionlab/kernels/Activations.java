package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Element-wise activations, gated units, row-wise softmax, residual additions and dropout, and their backward.
 *
 * <p>Element-wise kernels read element {@code i} and write element {@code i} in the same iteration, so
 * {@code out} may be the input array itself.
 */
public final class Activations {

    private static final float SQRT_HALF = 0.70710678118654752f;
    /** sqrt(2 / pi), the tanh-GELU constant. */
    private static final float SQRT_TWO_OVER_PI = 0.7978845608028654f;
    private static final float GELU_TANH_CUBIC = 0.044715f;
    /** 1 / sqrt(2 pi), the normal density's constant. */
    private static final float INVERSE_SQRT_TWO_PI = 0.3989422804014327f;
    /**
     * A cap on x^2 in the tanh-GELU derivative: beyond |x| of about 10 its sech^2 factor is exactly 0, and the cap
     * keeps 0 * (1 + 3 * 0.044715 * x^2) from becoming 0 * inf = NaN once x^2 overflows (|x| &gt; 1.8e19).
     */
    private static final float GELU_TANH_SQUARE_CAP = 1e30f;
    /** Added to a dropout seed once per step of {@link #dropoutAtStep} (odd, so every step count gives another seed). */
    public static final int DROPOUT_STEP_STRIDE = 0x632BE5AB;
    /**
     * Elements per iteration of the erf-GELU kernels ({@link #geluErf}, {@link #geluErfBackward}) and of
     * {@link #dropoutAtStep}: a loop with this constant trip count and no branch is what PoCL runs on vectors; over
     * single elements (one per iteration, as the other element-wise kernels) it ran the GELU one value at a time,
     * with or without erf's branch.
     */
    public static final int GELU_BLOCK = 16;

    /** Below this |x| erf uses its Taylor series, which keeps the relative error small near 0. */
    private static final float ERF_SERIES_LIMIT = 0.75f;
    /** Taylor coefficients of erf: 2/sqrt(pi) * (-1)^n / (n! (2n + 1)), n = 0..9 (truncation error &lt; 1e-10 on |x| &lt; 0.75). */
    private static final float ERF_C0 = 1.1283791670955126f;
    private static final float ERF_C1 = -0.37612638903183754f;
    private static final float ERF_C2 = 0.11283791670955126f;
    private static final float ERF_C3 = -0.026866170645131252f;
    private static final float ERF_C4 = 0.005223977625442188f;
    private static final float ERF_C5 = -0.0008548327023450852f;
    private static final float ERF_C6 = 0.00012055332981789664f;
    private static final float ERF_C7 = -1.492565035840625e-05f;
    private static final float ERF_C8 = 1.6462114365889246e-06f;
    private static final float ERF_C9 = -1.6365844691234924e-07f;
    /**
     * Beyond the series: erf(x) = 1 - exp(-x^2) t (e1 + e2 t + ... + e6 t^5), t = 1 / (1 + x / 2), the form of
     * Abramowitz and Stegun 7.1.26 with one more term and coefficients fitted here (weighted least squares against
     * double-precision erfc on [0.75, 10]); the fit's own error is below 4e-9, so fp32 rounding dominates.
     */
    private static final float TAIL_E1 = 0.2772421763280232f;
    private static final float TAIL_E2 = 0.3270184290196088f;
    private static final float TAIL_E3 = 0.08234620526399872f;
    private static final float TAIL_E4 = 0.4645208866705012f;
    private static final float TAIL_E5 = -0.12417492838672364f;
    private static final float TAIL_E6 = -0.027222470711561586f;

    /** The dropout hash: murmur3's 32-bit finaliser constants and the golden-ratio increment. */
    private static final int MIX_MULTIPLIER_1 = 0x85EBCA6B;
    private static final int MIX_MULTIPLIER_2 = 0xC2B2AE35;
    private static final int GOLDEN_GAMMA = 0x9E3779B9;
    private static final int SEED_SALT = 0x5BD1E995;
    /** 2^-24: turns the top 24 bits of a hash into a float in [0, 1) exactly. */
    private static final float UNIT_24 = 5.9604645e-8f;

    private Activations() {
    }

    // ---- element-wise activations ----

    /**
     * Exact (erf) GELU, PyTorch's default {@code gelu}: {@code 0.5 x (1 + erf(x / sqrt 2))}, {@value #GELU_BLOCK}
     * elements per iteration through {@link #erfWithoutBranches} (the same bits as {@link #erf} on the JVM): each
     * block's values are all computed (past {@code size} from the last element, never stored) before any is stored,
     * so {@code out} may be {@code x}.
     */
    public static void geluErf(FloatArray x, FloatArray out, int size) {
        for (@Parallel int block = 0; block < (size + GELU_BLOCK - 1) / GELU_BLOCK; block++) {
            float[] values = new float[GELU_BLOCK];
            int first = block * GELU_BLOCK;
            for (int j = 0; j < GELU_BLOCK; j++) {
                values[j] = geluErfWithoutBranches(x.get(TornadoMath.min(first + j, size - 1)));
            }
            storeBlock(values, out, first, size);
        }
    }

    /**
     * Tanh-approximated GELU ({@code gelu(approximate='tanh')}, Hugging Face {@code gelu_pytorch_tanh}):
     * {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.
     */
    public static void geluTanh(FloatArray x, FloatArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            float value = x.get(i);
            float inner = SQRT_TWO_OVER_PI * (value + GELU_TANH_CUBIC * value * value * value);
            out.set(i, 0.5f * value * (1.0f + TornadoMath.tanh(inner)));
        }
    }

    /** SiLU (swish): {@code x / (1 + exp(-x))}; for very negative x the denominator overflows to +inf, giving -0. */
    public static void silu(FloatArray x, FloatArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, siluOf(x.get(i)));
        }
    }

    public static void relu(FloatArray x, FloatArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, TornadoMath.max(x.get(i), 0.0f));
        }
    }

    /** The SwiGLU feed-forward gate (Llama, Cohere): {@code out = silu(gate) * up}; {@code out} may be either input. */
    public static void swiGlu(FloatArray gate, FloatArray up, FloatArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, siluOf(gate.get(i)) * up.get(i));
        }
    }

    /** The GeGLU feed-forward gate (Shazeer 2020, erf GELU): {@code out = gelu(gate) * up}; {@code out} may be either input. */
    public static void geGlu(FloatArray gate, FloatArray up, FloatArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, geluErfOf(gate.get(i)) * up.get(i));
        }
    }

    // ---- backward of the element-wise activations ----
    //
    // Each takes the forward's input x (which the forward must therefore keep: the model's activations run in place)
    // and the gradient of the output, and writes dx = dOut * f'(x). Element i is read before it is written, so dx
    // may be dOut or x itself.

    /**
     * {@code dx = dOut * (Phi(x) + x phi(x))}: the derivative of {@code 0.5 x (1 + erf(x / sqrt 2))}, as PyTorch's
     * {@code gelu_backward}; in blocks, as {@link #geluErf}.
     */
    public static void geluErfBackward(FloatArray x, FloatArray dOut, FloatArray dx, int size) {
        for (@Parallel int block = 0; block < (size + GELU_BLOCK - 1) / GELU_BLOCK; block++) {
            float[] values = new float[GELU_BLOCK];
            int first = block * GELU_BLOCK;
            for (int j = 0; j < GELU_BLOCK; j++) {
                int at = TornadoMath.min(first + j, size - 1);
                values[j] = dOut.get(at) * geluErfDerivative(x.get(at), erfWithoutBranches(x.get(at) * SQRT_HALF));
            }
            storeBlock(values, dx, first, size);
        }
    }

    /** {@code out[first + j] = values[j]} for the block's elements before {@code size}. */
    private static void storeBlock(float[] values, FloatArray out, int first, int size) {
        int count = TornadoMath.min(GELU_BLOCK, size - first);
        for (int j = 0; j < count; j++) {
            out.set(first + j, values[j]);
        }
    }

    /**
     * The derivative of the tanh form {@code 0.5 x (1 + tanh(u))}, {@code u = sqrt(2/pi) (x + 0.044715 x^3)}:
     * {@code 0.5 (1 + tanh u) + 0.5 x sech^2(u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)}. {@code sech^2(u)} is computed as
     * {@code 4 e / (1 + e)^2} with {@code e = exp(-2|u|)}, not as PyTorch's {@code 1 - tanh^2(u)}: the same function
     * without the cancellation near |tanh| = 1, where a device's tanh one ulp below 1 (PoCL's at u = -1e4) would
     * turn the exact 0 into 1e-7 times a factor of x^3.
     */
    public static void geluTanhBackward(FloatArray x, FloatArray dOut, FloatArray dx, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            dx.set(i, dOut.get(i) * geluTanhDerivative(x.get(i)));
        }
    }

    /** {@code dx = dOut * s (1 + x (1 - s))}, {@code s = sigmoid(x)}, the derivative of {@code x s}. */
    public static void siluBackward(FloatArray x, FloatArray dOut, FloatArray dx, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            dx.set(i, dOut.get(i) * siluDerivative(x.get(i)));
        }
    }

    /** {@code dx = dOut} where {@code x > 0}, else 0 (PyTorch's {@code threshold_backward}: 0 at x = 0). */
    public static void reluBackward(FloatArray x, FloatArray dOut, FloatArray dx, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            float gradient = dOut.get(i);
            dx.set(i, x.get(i) > 0.0f ? gradient : 0.0f);
        }
    }

    /**
     * The gradients of {@link #swiGlu} ({@code out = silu(gate) * up}): {@code dGate = dOut * up * silu'(gate)},
     * {@code dUp = dOut * silu(gate)}. Both inputs are read before either output is written, so {@code dGate} may
     * be {@code gate} and {@code dUp} may be {@code up} (the forward must keep both inputs).
     */
    public static void swiGluBackward(FloatArray gate, FloatArray up, FloatArray dOut, FloatArray dGate, FloatArray dUp, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            float g = gate.get(i);
            float u = up.get(i);
            float gradient = dOut.get(i);
            dGate.set(i, gradient * u * siluDerivative(g));
            dUp.set(i, gradient * siluOf(g));
        }
    }

    /** The gradients of {@link #geGlu}: {@code dGate = dOut * up * gelu'(gate)}, {@code dUp = dOut * gelu(gate)}; aliasing as {@link #swiGluBackward}. */
    public static void geGluBackward(FloatArray gate, FloatArray up, FloatArray dOut, FloatArray dGate, FloatArray dUp, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            float g = gate.get(i);
            float u = up.get(i);
            float gradient = dOut.get(i);
            dGate.set(i, gradient * u * geluErfDerivative(g));
            dUp.set(i, gradient * geluErfOf(g));
        }
    }

    /** The erf GELU of one value, {@code 0.5 x (1 + erf(x / sqrt 2))}. */
    private static float geluErfOf(float x) {
        return 0.5f * x * (1.0f + erf(x * SQRT_HALF));
    }

    /** {@link #geluErfOf} bit for bit on the JVM, through {@link #erfWithoutBranches}: for loops PoCL should vectorize. */
    public static float geluErfWithoutBranches(float x) {
        return 0.5f * x * (1.0f + erfWithoutBranches(x * SQRT_HALF));
    }

    /** SiLU of one value, {@code x / (1 + exp(-x))}. */
    private static float siluOf(float x) {
        return x / (1.0f + TornadoMath.exp(-x));
    }

    /** d/dx of the erf GELU: the normal CDF plus x times the normal density. */
    public static float geluErfDerivative(float x) {
        return geluErfDerivative(x, erf(x * SQRT_HALF));
    }

    /** {@link #geluErfDerivative(float)} given {@code erf(x / sqrt 2)}, from {@link #erf} or {@link #erfWithoutBranches}. */
    private static float geluErfDerivative(float x, float erfOfScaled) {
        float cdf = 0.5f * (1.0f + erfOfScaled);
        return cdf + x * INVERSE_SQRT_TWO_PI * TornadoMath.exp(-0.5f * x * x);
    }

    /** d/dx of the tanh GELU, as described at {@link #geluTanhBackward}. */
    public static float geluTanhDerivative(float x) {
        float square = TornadoMath.min(x * x, GELU_TANH_SQUARE_CAP);
        float inner = SQRT_TWO_OVER_PI * (x + GELU_TANH_CUBIC * square * x);
        float decay = TornadoMath.exp(-2.0f * TornadoMath.abs(inner));
        float sechSquared = 4.0f * decay / ((1.0f + decay) * (1.0f + decay));
        return 0.5f * (1.0f + TornadoMath.tanh(inner)) + 0.5f * x * sechSquared * SQRT_TWO_OVER_PI * (1.0f + 3.0f * GELU_TANH_CUBIC * square);
    }

    /** d/dx of SiLU; for very negative x the sigmoid is 0 and so is the derivative. */
    public static float siluDerivative(float x) {
        float sigmoid = 1.0f / (1.0f + TornadoMath.exp(-x));
        return sigmoid * (1.0f + x * (1.0f - sigmoid));
    }

    /**
     * erf in fp32, absolute error about 1e-7 (a few fp32 roundings) everywhere: an odd Taylor polynomial for
     * |x| &lt; 0.75 (so small arguments keep their relative accuracy), a fitted {@code 1 - exp(-x^2) P(t)} beyond.
     * TornadoVM has no erf.
     */
    public static float erf(float x) {
        float a = TornadoMath.abs(x);
        float result;
        if (a < ERF_SERIES_LIMIT) {
            result = erfSeries(a);
        } else {
            result = erfTail(a);
        }
        return x < 0.0f ? -result : result;
    }

    /**
     * {@link #erf}, bit for bit on the JVM, without a branch, for loops an OpenCL compiler should vectorize (PoCL keeps
     * {@link #erf}'s branch and runs it one value at a time: with it, the GELU in a register-tiled projection's store
     * cost about 150 us of a 128 x 256 x 1024 product's 600 on PoCL, 60 us without). It evaluates both ranges' formulas,
     * the series at {@code min(|x|, limit)} so that it stays finite for any x, and keeps one by multiplying with 1 and
     * the other with 0 (the kept value plus +-0 is itself; a conditional expression around either formula left the
     * branch in PoCL's code); the sign is a multiplication by +-1. Twice {@link #erf}'s work in scalar code.
     */
    public static float erfWithoutBranches(float x) {
        float a = TornadoMath.abs(x);
        float series = erfSeries(TornadoMath.min(a, ERF_SERIES_LIMIT));
        float tail = erfTail(a);
        float useSeries = a < ERF_SERIES_LIMIT ? 1.0f : 0.0f;
        float sign = x < 0.0f ? -1.0f : 1.0f;
        return (series * useSeries + tail * (1.0f - useSeries)) * sign;
    }

    /** erf(a) for 0 &lt;= a &lt; {@value #ERF_SERIES_LIMIT}: the odd Taylor polynomial; finite (and unused) beyond. */
    private static float erfSeries(float a) {
        float s = a * a;
        float series = ERF_C0 + s * (ERF_C1 + s * (ERF_C2 + s * (ERF_C3 + s * (ERF_C4 + s * (ERF_C5 + s * (ERF_C6 + s * (ERF_C7 + s * (ERF_C8 + s * ERF_C9))))))));
        return a * series;
    }

    /** erf(a) for a &gt;= {@value #ERF_SERIES_LIMIT} (and a = +inf): the fitted {@code 1 - exp(-a^2) P(t)}; finite below. */
    private static float erfTail(float a) {
        float t = 1.0f / (1.0f + 0.5f * a);
        float polynomial = t * (TAIL_E1 + t * (TAIL_E2 + t * (TAIL_E3 + t * (TAIL_E4 + t * (TAIL_E5 + t * TAIL_E6)))));
        return 1.0f - polynomial * TornadoMath.exp(-a * a);
    }

    // ---- softmax ----

    /**
     * Softmax of each row of {@code x [rows, cols]} into {@code out} (which may be {@code x}). Three passes per row:
     * the maximum, then {@code exp(x - max)} and its sum, then the division, so logits of any finite size give no
     * overflow. A row whose every logit is {@code -inf} (fully masked) comes out as zeros rather than PyTorch's NaN.
     *
     * <p>The running maximum starts at the finite {@code -Float.MAX_VALUE}, not at {@code -inf} or the first logit,
     * and a fully masked row is recognised by its zero sum: every logit then shifts by a finite value, so
     * {@code exp(-inf - shift) = 0} and {@code -inf - (-inf)} (NaN) never arises. The kernel compares with no
     * infinity, because TornadoVM compiles OpenCL with {@code -cl-fast-relaxed-math}, which lets the compiler assume
     * there are none and fold such a comparison to false (it did on PoCL: fully masked rows came out NaN). The
     * results are those of the textbook form bit for bit, masked and NaN rows included.
     */
    public static void softmaxRows(FloatArray x, FloatArray out, int rows, int cols) {
        for (@Parallel int row = 0; row < rows; row++) {
            int base = row * cols;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < cols; j++) {
                max = TornadoMath.max(max, x.get(base + j));
            }
            float sum = 0.0f;
            for (int j = 0; j < cols; j++) {
                float e = TornadoMath.exp(x.get(base + j) - max);
                out.set(base + j, e);
                sum += e;
            }
            if (sum == 0.0f) {
                for (int j = 0; j < cols; j++) {
                    out.set(base + j, 0.0f);
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    out.set(base + j, out.get(base + j) / sum);
                }
            }
        }
    }

    /**
     * The gradient of {@link #softmaxRows} from its output {@code y}: {@code dx_j = y_j (dOut_j - sum_k dOut_k y_k)}
     * per row (a fully masked row, all zeros, gets zeros). {@code dx} may be {@code dOut} or {@code y}.
     */
    public static void softmaxRowsBackward(FloatArray y, FloatArray dOut, FloatArray dx, int rows, int cols) {
        for (@Parallel int row = 0; row < rows; row++) {
            int base = row * cols;
            float projection = 0.0f;
            for (int j = 0; j < cols; j++) {
                projection += dOut.get(base + j) * y.get(base + j);
            }
            for (int j = 0; j < cols; j++) {
                float probability = y.get(base + j);
                dx.set(base + j, probability * (dOut.get(base + j) - projection));
            }
        }
    }

    // ---- residual connections ----
    //
    // Backward: a residual x + f(x) passes its output gradient unchanged to both branches (the training graph
    // accumulates the branch's input gradient into the residual stream's with accumulate).

    /** {@code out = a + b}; {@code out} may be either input. */
    public static void add(FloatArray a, FloatArray b, FloatArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, a.get(i) + b.get(i));
        }
    }

    /** {@code accumulator += addend}, the in-place residual. */
    public static void accumulate(FloatArray accumulator, FloatArray addend, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            accumulator.set(i, accumulator.get(i) + addend.get(i));
        }
    }

    /** {@code accumulator += scale * addend} (scaled residuals, e.g. a residual multiplier or layer scale). */
    public static void accumulateScaled(FloatArray accumulator, FloatArray addend, float scale, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            accumulator.set(i, accumulator.get(i) + scale * addend.get(i));
        }
    }

    // ---- dropout ----

    /**
     * Inverted dropout with a counter-based generator: element {@code i} is kept iff
     * {@link #dropoutUniform}{@code (seed, i) >= p} and then scaled by {@code 1 / (1 - p)}; dropped elements are 0.
     * The mask depends only on {@code (seed, i)}, never on the device, the grid or the order of evaluation.
     * {@code p = 0} returns {@code x} unchanged; {@code p = 1} drops everything. The backward is this kernel
     * again, on the output gradient with the same {@code p} and seed.
     *
     * @param out may be {@code x}
     */
    public static void dropout(FloatArray x, FloatArray out, int size, float p, int seed) {
        float scale = 1.0f / (1.0f - p);
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, dropoutUniform(seed, i) >= p ? x.get(i) * scale : 0.0f);
        }
    }

    /**
     * {@link #dropout} with a seed that changes every step without rebuilding the task graph (TornadoVM captures
     * scalar arguments when a graph is built): exactly {@code dropout(x, out, size, p, seed + counter[0] *
     * DROPOUT_STEP_STRIDE)} (32-bit wrap-around), with the counter read from device memory, e.g. the optimizer's
     * step count.
     *
     * <p>Backward of either: the same kernel with the same {@code p}, seed and counter applied to the output
     * gradient, {@code dx = dOut * mask / (1 - p)}, regenerates the mask from (seed, index) and needs nothing saved.
     *
     * <p>{@value #GELU_BLOCK} elements per iteration, as {@link #geluErf}: PoCL then runs the hash on vectors (one
     * element per iteration it ran one value at a time, 31-35 ms of a PoCL training step of rnope-swa-text). Each
     * block's values are computed (past {@code size} from the last element, never stored) before any is stored, so
     * {@code out} may be {@code x}.
     */
    public static void dropoutAtStep(FloatArray x, FloatArray out, int size, float p, int seed, IntArray counter) {
        float scale = 1.0f / (1.0f - p);
        int key = dropoutKey(seed + counter.get(0) * DROPOUT_STEP_STRIDE);
        for (@Parallel int block = 0; block < (size + GELU_BLOCK - 1) / GELU_BLOCK; block++) {
            float[] values = new float[GELU_BLOCK];
            int first = block * GELU_BLOCK;
            // The block's values first, in a loop of their own: loaded where they are used, LLVM moved each load into
            // the branch of a kept element and left the whole loop scalar.
            for (int j = 0; j < GELU_BLOCK; j++) {
                values[j] = x.get(TornadoMath.min(first + j, size - 1));
            }
            for (int j = 0; j < GELU_BLOCK; j++) {
                values[j] = dropoutBits(key, first + j) * UNIT_24 >= p ? values[j] * scale : 0.0f;
            }
            storeBlock(values, out, first, size);
        }
    }

    /**
     * The uniform number in [0, 1) that dropout compares with {@code p} for element {@code index}:
     * {@code key = mix32(seed ^ 0x5BD1E995)}, {@code h = mix32(index * 0x9E3779B9 + key)} with 32-bit wrap-around,
     * result {@code (h >>> 8) * 2^-24}; {@code mix32} is murmur3's finaliser
     * ({@code h ^= h >>> 16; h *= 0x85EBCA6B; h ^= h >>> 13; h *= 0xC2B2AE35; h ^= h >>> 16}). Only int operations,
     * so every device gives the same bits.
     *
     * <p>Each {@code h >>> n} is written {@code (h >> n) & mask}, the low {@code 32 - n} bits (the same value in
     * Java): TornadoVM 5.2's OpenCL backend emits Java's unsigned shift of an {@code int} as C's {@code >>} on a
     * signed int, an arithmetic shift that copies the sign bit, so {@code >>>} gave another mask on the device.
     */
    public static float dropoutUniform(int seed, int index) {
        return dropoutBits(dropoutKey(seed), index) * UNIT_24;
    }

    /** The key a dropout seed hashes with: {@code mix32(seed ^ 0x5BD1E995)} ({@link #dropoutUniform}). */
    static int dropoutKey(int seed) {
        return mix32(seed ^ SEED_SALT);
    }

    /** {@code mix32(index * 0x9E3779B9 + key)}: the counter hash of {@link #dropoutUniform}, all 32 bits (another key for a second level). */
    static int dropoutHash(int key, int index) {
        return mix32(index * GOLDEN_GAMMA + key);
    }

    /** The top 24 bits of {@link #dropoutHash} as an int in [0, 2^24): {@link #dropoutUniform} before its scaling by 2^-24. */
    static int dropoutBits(int key, int index) {
        return (dropoutHash(key, index) >> 8) & 0x00FFFFFF;
    }

    private static int mix32(int value) {
        int h = value;
        h ^= (h >> 16) & 0x0000FFFF;
        h *= MIX_MULTIPLIER_1;
        h ^= (h >> 13) & 0x0007FFFF;
        h *= MIX_MULTIPLIER_2;
        h ^= (h >> 16) & 0x0000FFFF;
        return h;
    }

    // ---- element-wise product and scale (gated feed-forward blocks, logit scale) ----

    /** {@code out = a * b} element by element (a gated block's {@code act(gate) * up}); {@code out} may be either input. */
    public static void multiply(FloatArray a, FloatArray b, FloatArray out, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, a.get(i) * b.get(i));
        }
    }

    /** {@code out = factor * x} (Cohere2's logit scale); {@code out} may be {@code x}. */
    public static void scale(FloatArray x, FloatArray out, float factor, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            out.set(i, factor * x.get(i));
        }
    }
}
