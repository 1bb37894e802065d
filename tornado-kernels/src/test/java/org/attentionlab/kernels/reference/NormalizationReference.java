package org.attentionlab.kernels.reference;

import static org.attentionlab.kernels.testing.Closeness.toDoubles;

/** Float64 normalisations over the last dimension, and their gradients written from the derivation. */
public final class NormalizationReference {

    /** Gradients of a normalisation: the input's, the weight's and the bias's (null where there is none). */
    public record Gradients(double[] dx, double[] dWeight, double[] dBias) {
    }

    private NormalizationReference() {
    }

    /** (x - mean) / sqrt(biased variance + eps) * w + b; weight/bias null for none. */
    public static double[] layerNorm(float[] x, float[] weight, float[] bias, int rows, int dim, double eps) {
        return layerNorm(toDoubles(x), weight == null ? null : toDoubles(weight), bias == null ? null : toDoubles(bias), rows, dim, eps);
    }

    public static double[] layerNorm(double[] x, double[] weight, double[] bias, int rows, int dim, double eps) {
        double[] out = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int j = 0; j < dim; j++) {
                mean += x[r * dim + j];
            }
            mean /= dim;
            double variance = 0;
            for (int j = 0; j < dim; j++) {
                double d = x[r * dim + j] - mean;
                variance += d * d;
            }
            variance /= dim;
            double scale = 1.0 / Math.sqrt(variance + eps);
            for (int j = 0; j < dim; j++) {
                double normalized = (x[r * dim + j] - mean) * scale;
                double w = weight == null ? 1.0 : weight[j];
                double b = bias == null ? 0.0 : bias[j];
                out[r * dim + j] = normalized * w + b;
            }
        }
        return out;
    }

    public static double[] rmsNorm(float[] x, float[] weight, int rows, int dim, double eps) {
        return rmsNorm(toDoubles(x), toDoubles(weight), rows, dim, eps);
    }

    public static double[] rmsNorm(double[] x, double[] weight, int rows, int dim, double eps) {
        double[] out = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double meanSquare = 0;
            for (int j = 0; j < dim; j++) {
                meanSquare += x[r * dim + j] * x[r * dim + j];
            }
            meanSquare /= dim;
            double denominator = Math.sqrt(meanSquare + eps);
            for (int j = 0; j < dim; j++) {
                out[r * dim + j] = x[r * dim + j] / denominator * weight[j];
            }
        }
        return out;
    }

    /**
     * LayerNorm's gradients. With {@code n} features, {@code xhat = (x - mean) s}, {@code s = (var + eps)^-1/2} and
     * {@code g = dOut w}: {@code d var / d x_k = 2 (x_k - mean) / n} and {@code d s / d var = -s^3 / 2}, so
     * {@code dx_k = s (g_k - mean(g)) - s^3 (x_k - mean) / n * sum_j g_j (x_j - mean)}; {@code dw_j = sum over rows
     * of dOut xhat}, {@code db_j = sum of dOut}. Weight null: no affine (QK-LayerNorm), no parameter gradients.
     */
    public static Gradients layerNormBackward(double[] x, double[] weight, double[] dOut, int rows, int dim, double eps) {
        double[] dx = new double[x.length];
        double[] dWeight = weight == null ? null : new double[dim];
        double[] dBias = weight == null ? null : new double[dim];
        for (int r = 0; r < rows; r++) {
            int base = r * dim;
            double mean = 0;
            for (int j = 0; j < dim; j++) {
                mean += x[base + j];
            }
            mean /= dim;
            double variance = 0;
            for (int j = 0; j < dim; j++) {
                variance += (x[base + j] - mean) * (x[base + j] - mean);
            }
            variance /= dim;
            double s = 1.0 / Math.sqrt(variance + eps);
            double sumG = 0;
            double sumGCentred = 0;
            for (int j = 0; j < dim; j++) {
                double g = dOut[base + j] * (weight == null ? 1.0 : weight[j]);
                sumG += g;
                sumGCentred += g * (x[base + j] - mean);
            }
            for (int j = 0; j < dim; j++) {
                double g = dOut[base + j] * (weight == null ? 1.0 : weight[j]);
                dx[base + j] = s * (g - sumG / dim) - s * s * s * (x[base + j] - mean) / dim * sumGCentred;
                if (weight != null) {
                    dWeight[j] += dOut[base + j] * (x[base + j] - mean) * s;
                    dBias[j] += dOut[base + j];
                }
            }
        }
        return new Gradients(dx, dWeight, dBias);
    }

    /**
     * RMSNorm's gradients: {@code y = x w r}, {@code r = (mean(x^2) + eps)^-1/2}, {@code d r / d x_k = -r^3 x_k / n},
     * so {@code dx_k = r g_k - r^3 x_k / n * sum_j g_j x_j} with {@code g = dOut w}; {@code dw_j = sum of dOut x r}.
     */
    public static Gradients rmsNormBackward(double[] x, double[] weight, double[] dOut, int rows, int dim, double eps) {
        double[] dx = new double[x.length];
        double[] dWeight = new double[dim];
        for (int r = 0; r < rows; r++) {
            int base = r * dim;
            double meanSquare = 0;
            for (int j = 0; j < dim; j++) {
                meanSquare += x[base + j] * x[base + j];
            }
            double inverseRms = 1.0 / Math.sqrt(meanSquare / dim + eps);
            double sumGx = 0;
            for (int j = 0; j < dim; j++) {
                sumGx += dOut[base + j] * weight[j] * x[base + j];
            }
            for (int j = 0; j < dim; j++) {
                dx[base + j] = inverseRms * dOut[base + j] * weight[j] - inverseRms * inverseRms * inverseRms * x[base + j] / dim * sumGx;
                dWeight[j] += dOut[base + j] * x[base + j] * inverseRms;
            }
        }
        return new Gradients(dx, dWeight, null);
    }
}
