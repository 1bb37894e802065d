package org.attentionlab.kernels.reference;

import java.util.function.Function;

/**
 * Central finite differences in float64, the check on every gradient reference: for a forward {@code f} and an
 * upstream gradient {@code dOut}, the gradient of the scalar {@code L(x) = sum_i dOut_i * f(x)_i} with respect to
 * each element of {@code x} is {@code (L(x + h e_k) - L(x - h e_k)) / 2h}, with {@code h = step * max(1, |x_k|)}.
 * The truncation error is O(h^2 f''') and the rounding error O(eps_64 |L| / h); with a step of 1e-5 both are far
 * below the 1e-6 relative tolerances the tests use.
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
            point[k] = x[k] - h;
            double down = loss.apply(point);
            point[k] = x[k];
            gradient[k] = (up - down) / (2 * h);
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
