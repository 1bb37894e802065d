package org.attentionlab.kernels.reference;

/** Float64 activations, softmax and the documented dropout hash (re-implemented in 64-bit arithmetic). */
public final class ActivationReference {

    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);

    private ActivationReference() {
    }

    /**
     * erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1 * 3 * ... * (2n+1)): every term positive, so no
     * cancellation; relative accuracy near 1e-15 for |x| &lt;= 6, and erf = +-1 to double precision beyond.
     */
    public static double erf(double x) {
        double a = Math.abs(x);
        if (a > 6.0) {
            return Math.signum(x);
        }
        double term = a;
        double sum = a;
        for (int n = 1; n < 500; n++) {
            term *= 2.0 * a * a / (2 * n + 1);
            sum += term;
            if (term < 1e-18 * sum) {
                break;
            }
        }
        return Math.signum(x) * TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
    }

    public static double geluErf(double x) {
        return x * 0.5 * (1.0 + erf(x / Math.sqrt(2.0)));
    }

    public static double geluTanh(double x) {
        return 0.5 * x * (1.0 + Math.tanh(Math.sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    public static double silu(double x) {
        return x >= 0 ? x / (1.0 + Math.exp(-x)) : x * Math.exp(x) / (1.0 + Math.exp(x));
    }

    /** d/dx of {@link #geluErf}: the normal CDF plus x times the normal density. */
    public static double geluErfDerivative(double x) {
        return 0.5 * (1.0 + erf(x / Math.sqrt(2.0))) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2.0 * Math.PI);
    }

    /** d/dx of {@link #geluTanh} by the chain rule, with sech^2 u = 1 / cosh^2 u. */
    public static double geluTanhDerivative(double x) {
        double c = Math.sqrt(2.0 / Math.PI);
        double u = c * (x + 0.044715 * x * x * x);
        double sech = Math.abs(u) > 350 ? 0.0 : 1.0 / Math.cosh(u);
        return 0.5 * (1.0 + Math.tanh(u)) + 0.5 * x * sech * sech * c * (1.0 + 3 * 0.044715 * x * x);
    }

    /** d/dx of {@link #silu}: s + x s (1 - s), s = logistic(x). */
    public static double siluDerivative(double x) {
        double s = x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
        return s + x * s * (1.0 - s);
    }

    /** The gradient of the softmax of each row, from its output: {@code dx_j = y_j dOut_j - y_j sum_k y_k dOut_k}. */
    public static double[] softmaxRowsBackward(double[] y, double[] dOut, int rows, int cols) {
        double[] dx = new double[y.length];
        for (int r = 0; r < rows; r++) {
            double projection = 0;
            for (int k = 0; k < cols; k++) {
                projection += y[r * cols + k] * dOut[r * cols + k];
            }
            for (int j = 0; j < cols; j++) {
                dx[r * cols + j] = y[r * cols + j] * dOut[r * cols + j] - y[r * cols + j] * projection;
            }
        }
        return dx;
    }

    /** Softmax of each row via log-sum-exp; a row of all -inf gives zeros (the kernels' documented choice). */
    public static double[] softmaxRows(float[] x, int rows, int cols) {
        return softmaxRows(org.attentionlab.kernels.testing.Closeness.toDoubles(x), rows, cols);
    }

    public static double[] softmaxRows(double[] x, int rows, int cols) {
        double[] out = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, x[r * cols + j]);
            }
            if (max == Double.NEGATIVE_INFINITY) {
                continue;
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += Math.exp(x[r * cols + j] - max);
            }
            double logSumExp = max + Math.log(sum);
            for (int j = 0; j < cols; j++) {
                out[r * cols + j] = Math.exp(x[r * cols + j] - logSumExp);
            }
        }
        return out;
    }

    /** The dropout uniform from its specification, in long arithmetic reduced modulo 2^32. */
    public static double dropoutUniform(int seed, int index) {
        long key = murmurFinalizer((seed ^ 0x5BD1E995L) & 0xFFFFFFFFL);
        long h = murmurFinalizer((((index & 0xFFFFFFFFL) * 0x9E3779B9L) + key) & 0xFFFFFFFFL);
        return (h >>> 8) / 16777216.0;
    }

    static long murmurFinalizer(long value) {
        long h = value & 0xFFFFFFFFL;
        h ^= h >>> 16;
        h = (h * 0x85EBCA6BL) & 0xFFFFFFFFL;
        h ^= h >>> 13;
        h = (h * 0xC2B2AE35L) & 0xFFFFFFFFL;
        h ^= h >>> 16;
        return h;
    }
}
