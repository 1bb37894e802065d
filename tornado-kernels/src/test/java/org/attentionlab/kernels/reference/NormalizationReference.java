package org.attentionlab.kernels.reference;

/** Float64 normalisations over the last dimension. */
public final class NormalizationReference {

    private NormalizationReference() {
    }

    /** (x - mean) / sqrt(biased variance + eps) * w + b; weight/bias null for none. */
    public static double[] layerNorm(float[] x, float[] weight, float[] bias, int rows, int dim, double eps) {
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
        double[] out = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double meanSquare = 0;
            for (int j = 0; j < dim; j++) {
                meanSquare += (double) x[r * dim + j] * x[r * dim + j];
            }
            meanSquare /= dim;
            double denominator = Math.sqrt(meanSquare + eps);
            for (int j = 0; j < dim; j++) {
                out[r * dim + j] = x[r * dim + j] / denominator * weight[j];
            }
        }
        return out;
    }
}
