package org.attentionlab.kernels.reference;

import java.util.function.Function;

/**
 * Central finite differences in float64, the check on every gradient reference: for a forward {@code f} and an
 * upstream gradient {@code dOut}, the gradient of the scalar {@code L(x) = sum_i dOut_i * f(x)_i} with respect to
 * each element of {@code x} by the fourth-order stencil
 * {@code (L(x - 2h) - 8 L(x - h) + 8 L(x + h) - L(x + 2h)) / 12h}, with {@code h = step * max(1, |x_k|)}.
 * The truncation error is O(h^4 f^(5)) and the rounding error O(eps_64 |L| / h). The fourth order matters where
 * the function bends sharply: a LayerNorm of two nearly equal values has derivatives growing like 1/sigma^k, and
 * the second-order stencil's O(h^2 f''') error reached 8e-5 there (jqwik found such a row).
 */
public final class FiniteDifferences {

    public static final double STEP = 1e-5;

    private FiniteDifferences() {
    }

    /** The gradient of {@code sum(dOut * f(x))} with respect to {@code x}. */
    public static double[] gradient(Function<double[], double[]> f, double[] x, double[] dOut) {
        return gradientOfScalar(point -> dot(dOut, f.apply(point)), x);
    }

    /** The gradient of a scalar function. */
    public static double[] gradientOfScalar(Function<double[], Double> loss, double[] x) {
        double[] gradient = new double[x.length];
        double[] point = x.clone();
        for (int k = 0; k < x.length; k++) {
            double h = STEP * Math.max(1.0, Math.abs(x[k]));
            point[k] = x[k] + h;
            double up = loss.apply(point);
            point[k] = x[k] + 2 * h;
            double up2 = loss.apply(point);
            point[k] = x[k] - h;
            double down = loss.apply(point);
            point[k] = x[k] - 2 * h;
            double down2 = loss.apply(point);
            point[k] = x[k];
            gradient[k] = (down2 - 8 * down + 8 * up - up2) / (12 * h);
        }
        return gradient;
    }

    public static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
