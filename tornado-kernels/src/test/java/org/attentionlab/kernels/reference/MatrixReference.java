package org.attentionlab.kernels.reference;

/**
 * Float64 matrix products from their definitions, each with the magnitude {@code sum_k |a b|} its fp32 rounding
 * error scales with, and the float64 activations by name.
 */
public final class MatrixReference {

    /** Values and magnitudes, row-major like the result. */
    public record Result(double[] values, double[] magnitudes) {
    }

    /** Expected values and the bound an fp32 kernel's result must meet, element by element. */
    public record Expected(double[] values, double[] bounds) {
    }

    private static final double UNIT = Math.pow(2, -24);

    /** The activation codes of {@code MatrixMultiply}, restated: 0 none, 1 ReLU, 2 GELU (erf), 3 GELU (tanh), 4 SiLU. */
    public static final int NONE = 0;
    public static final int RELU = 1;
    public static final int GELU_ERF = 2;
    public static final int GELU_TANH = 3;
    public static final int SILU = 4;

    private MatrixReference() {
    }

    /** {@code y[r][c] = sum_k x[r][k] w[c][k]}: x {@code [rows, inner]}, w {@code [cols, inner]}. */
    public static Result timesTransposed(float[] x, float[] w, int rows, int inner, int cols) {
        return product(x, inner, 1, w, 1, inner, rows, inner, cols);
    }

    /** {@code y[r][c] = sum_k a[r][k] b[k][c]}: a {@code [rows, inner]}, b {@code [inner, cols]}. */
    public static Result times(float[] a, float[] b, int rows, int inner, int cols) {
        return product(a, inner, 1, b, cols, 1, rows, inner, cols);
    }

    /** {@code y[r][c] = sum_k a[k][r] b[k][c]}: a {@code [inner, rows]}, b {@code [inner, cols]}. */
    public static Result transposedTimes(float[] a, float[] b, int rows, int inner, int cols) {
        return product(a, 1, rows, b, cols, 1, rows, inner, cols);
    }

    /** {@code y[r][c] = sum_k a[r * aRow + k * aDepth] b[k * bDepth + c * bColumn]}. */
    private static Result product(float[] a, int aRow, int aDepth, float[] b, int bDepth, int bColumn, int rows, int inner, int cols) {
        double[] values = new double[rows * cols];
        double[] magnitudes = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double sum = 0;
                double magnitude = 0;
                for (int k = 0; k < inner; k++) {
                    double product = (double) a[r * aRow + k * aDepth] * b[k * bDepth + c * bColumn];
                    sum += product;
                    magnitude += Math.abs(product);
                }
                values[r * cols + c] = sum;
                magnitudes[r * cols + c] = magnitude;
            }
        }
        return new Result(values, magnitudes);
    }

    /** {@code s[c] = sum_r a[r][c]}, with {@code sum_r |a[r][c]|}. */
    public static Result columnSums(float[] a, int rows, int cols) {
        double[] values = new double[cols];
        double[] magnitudes = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                values[c] += a[r * cols + c];
                magnitudes[c] += Math.abs(a[r * cols + c]);
            }
        }
        return new Result(values, magnitudes);
    }

    /** The activation with code {@code kind} in float64. */
    public static double activate(int kind, double x) {
        return switch (kind) {
            case NONE -> x;
            case RELU -> Math.max(x, 0);
            case GELU_ERF -> ActivationReference.geluErf(x);
            case GELU_TANH -> ActivationReference.geluTanh(x);
            case SILU -> ActivationReference.silu(x);
            default -> throw new IllegalArgumentException("activation " + kind);
        };
    }

    /** The largest |derivative| of each activation (GELU's is 1.13 at x = sqrt 2, SiLU's 1.10 at x = 2.4). */
    public static double maxSlope(int kind) {
        return kind == GELU_ERF || kind == GELU_TANH || kind == SILU ? 1.13 : 1.0;
    }

    /**
     * The classical bound on an fp32 sum of n products, {@code (n + 2) 2^-24 sum|a b|}, plus a small floor; the
     * blocked kernels add products in groups of four into running sums, a chain no longer than n + 2 roundings.
     */
    public static double productBound(double magnitude, int n) {
        return 1e-7 + (n + 2) * Math.pow(2, -24) * magnitude;
    }

    /**
     * {@code act(x W^T + b) (+ before)}: the product's bound carried through the activation by its largest slope,
     * the fp32 activation's own error (the bound of Activations' tests) and one rounding for the residual add.
     */
    public static Expected linear(float[] x, float[] w, float[] bias, float[] before, int rows, int inner, int cols, int activation) {
        Result z = timesTransposed(x, w, rows, inner, cols);
        double[] values = new double[rows * cols];
        double[] bounds = new double[rows * cols];
        for (int i = 0; i < values.length; i++) {
            double b = bias == null ? 0 : bias[i % cols];
            double zValue = z.values()[i] + b;
            double value = activate(activation, zValue);
            double bound = activationBound(activation, zValue, value, productBound(z.magnitudes()[i] + Math.abs(b), inner));
            if (before != null) {
                value += before[i];
                bound += UNIT * Math.abs(value);
            }
            values[i] = value;
            bounds[i] = bound;
        }
        return new Expected(values, bounds);
    }

    /** {@code act(x G^T + bg) * (x U^T + bu)}, each factor's bound carried through the product. */
    public static Expected gatedLinear(float[] x, float[] gate, float[] up, float[] gateBias, float[] upBias, int rows, int inner, int hidden, int activation) {
        Expected g = linear(x, gate, gateBias, null, rows, inner, hidden, activation);
        Expected u = linear(x, up, upBias, null, rows, inner, hidden, NONE);
        double[] values = new double[rows * hidden];
        double[] bounds = new double[rows * hidden];
        for (int i = 0; i < values.length; i++) {
            values[i] = g.values()[i] * u.values()[i];
            bounds[i] = Math.abs(u.values()[i]) * g.bounds()[i] + (Math.abs(g.values()[i]) + g.bounds()[i]) * u.bounds()[i] + UNIT * Math.abs(values[i]);
        }
        return new Expected(values, bounds);
    }

    /** {@code a b (+ before)}, or {@code a^T b (+ before)}. */
    public static Expected product(boolean transposeA, float[] a, float[] b, float[] before, int rows, int inner, int cols) {
        Result z = transposeA ? transposedTimes(a, b, rows, inner, cols) : times(a, b, rows, inner, cols);
        double[] values = z.values().clone();
        double[] bounds = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            bounds[i] = productBound(z.magnitudes()[i], inner);
            if (before != null) {
                values[i] += before[i];
                bounds[i] += UNIT * Math.abs(values[i]);
            }
        }
        return new Expected(values, bounds);
    }

    /** The activation's error: its largest slope times the argument's error, plus its own fp32 error. */
    public static double activationBound(int activation, double z, double value, double zBound) {
        if (activation == NONE) {
            return zBound;
        }
        return maxSlope(activation) * zBound + 2e-7 * (1 + Math.abs(z)) + 1e-6 * Math.abs(value);
    }
}
