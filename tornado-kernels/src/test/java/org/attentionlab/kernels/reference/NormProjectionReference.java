package org.attentionlab.kernels.reference;

import org.attentionlab.kernels.reference.MatrixReference.Expected;

/**
 * Float64 projections of a normalised input, {@code act(norm(x) W^T + b)} and the gated
 * {@code act(norm(x) G^T + bg) * (norm(x) U^T + bu)}, with error bounds for an fp32 computation: the product's bound
 * ({@link MatrixReference#productBound}) over the float64 normalised values, plus what the fp32 norm may be off by
 * (the norm tests' tolerance, {@value #NORM_ABS} + {@value #NORM_REL} of each value) times the weights it meets,
 * carried through the activation by its largest slope ({@link MatrixReference#activationBound}).
 */
public final class NormProjectionReference {

    /** The fp32 norm's error the bounds allow per value: absolute part (as the norm tests). */
    public static final double NORM_ABS = 1e-5;
    /** The fp32 norm's error the bounds allow per value: relative part (as the norm tests). */
    public static final double NORM_REL = 1e-4;

    private NormProjectionReference() {
    }

    /** LayerNorm ({@code rms} false; {@code normBias} may be null) or RMSNorm ({@code rms} true) of {@code x [rows, dim]}, in float64. */
    public static double[] normalized(float[] x, float[] normWeight, float[] normBias, boolean rms, int rows, int dim, double eps) {
        return rms ? NormalizationReference.rmsNorm(x, normWeight, rows, dim, eps) : NormalizationReference.layerNorm(x, normWeight, normBias, rows, dim, eps);
    }

    /** {@code act(h W^T + b)} for float64 {@code h [rows, inner]} that an fp32 norm computed, {@code w [cols, inner]}, bias null for none. */
    public static Expected linear(double[] h, float[] w, float[] bias, int rows, int inner, int cols, int activation) {
        double[] values = new double[rows * cols];
        double[] bounds = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double sum = 0;
                double magnitude = 0;
                double normError = 0;
                for (int k = 0; k < inner; k++) {
                    double hk = h[r * inner + k];
                    double wk = w[c * inner + k];
                    sum += hk * wk;
                    magnitude += Math.abs(hk * wk);
                    normError += (NORM_ABS + NORM_REL * Math.abs(hk)) * Math.abs(wk);
                }
                double b = bias == null ? 0 : bias[c];
                double z = sum + b;
                double value = MatrixReference.activate(activation, z);
                int i = r * cols + c;
                values[i] = value;
                bounds[i] = MatrixReference.activationBound(activation, z, value, MatrixReference.productBound(magnitude + Math.abs(b), inner) + normError);
            }
        }
        return new Expected(values, bounds);
    }

    /** {@code act(h G^T + bg) * (h U^T + bu)}, each factor's bound carried through the product. */
    public static Expected gatedLinear(double[] h, float[] gate, float[] up, float[] gateBias, float[] upBias, int rows, int inner, int hidden, int activation) {
        Expected g = linear(h, gate, gateBias, rows, inner, hidden, activation);
        Expected u = linear(h, up, upBias, rows, inner, hidden, MatrixReference.NONE);
        double[] values = new double[rows * hidden];
        double[] bounds = new double[rows * hidden];
        for (int i = 0; i < values.length; i++) {
            values[i] = g.values()[i] * u.values()[i];
            bounds[i] = Math.abs(u.values()[i]) * g.bounds()[i] + (Math.abs(g.values()[i]) + g.bounds()[i]) * u.bounds()[i]
                    + Math.pow(2, -24) * Math.abs(values[i]);
        }
        return new Expected(values, bounds);
    }

    /** Columns {@code from} to {@code from + width} of an expected {@code [rows, cols]} result (q, k or v of a fused projection). */
    public static Expected columns(Expected all, int rows, int cols, int from, int width) {
        double[] values = new double[rows * width];
        double[] bounds = new double[rows * width];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < width; c++) {
                values[r * width + c] = all.values()[r * cols + from + c];
                bounds[r * width + c] = all.bounds()[r * cols + from + c];
            }
        }
        return new Expected(values, bounds);
    }
}
