package org.attentionlab.kernels.reference;

/** Float64 dense layers, with the magnitude each output's rounding error scales with. */
public final class LinearReference {

    /** {@code values = x W^T + b}; {@code magnitudes = |x| |W|^T + |b|}. */
    public record Result(double[] values, double[] magnitudes) {
    }

    private LinearReference() {
    }

    public static Result linear(float[] x, float[] weight, float[] bias, int rows, int in, int out) {
        double[] values = new double[rows * out];
        double[] magnitudes = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double sum = bias == null ? 0 : bias[o];
                double magnitude = bias == null ? 0 : Math.abs(bias[o]);
                for (int k = 0; k < in; k++) {
                    double product = (double) x[r * in + k] * weight[o * in + k];
                    sum += product;
                    magnitude += Math.abs(product);
                }
                values[r * out + o] = sum;
                magnitudes[r * out + o] = magnitude;
            }
        }
        return new Result(values, magnitudes);
    }

    /**
     * The classical bound on a float32 dot product of length n plus a bias: {@code |error| <= (n + 2) u sum|x_k w_k|}
     * with unit roundoff {@code u = 2^-24}, plus a small absolute floor.
     */
    public static double[] errorBound(double[] magnitudes, int length) {
        double[] bound = new double[magnitudes.length];
        double factor = (length + 2) * Math.pow(2, -24);
        for (int i = 0; i < bound.length; i++) {
            bound[i] = 1e-7 + factor * magnitudes[i];
        }
        return bound;
    }
}
