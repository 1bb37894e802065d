package org.attentionlab.kernels.reference;

/** Float64 sinusoidal position encodings, straight from the formulas. */
public final class SinusoidalReference {

    private SinusoidalReference() {
    }

    /** Vaswani et al.: dimension j uses frequency index k = j div 2; sin for even j, cos for odd j. */
    public static double standard(int position, int j, int dim) {
        int k = j / 2;
        double angle = position / Math.pow(10000.0, 2.0 * k / dim);
        return j % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
    }

    /** Edifice: sin(position / (1 + 0.01 j)). */
    public static double edifice(int position, int j) {
        return Math.sin(position / (1.0 + 0.01 * j));
    }

    /** x [batch, seq, dim] plus the encoding. */
    public static double[] add(float[] x, int batch, int seq, int dim, int positionOffset, boolean edifice) {
        double[] out = new double[x.length];
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < seq; s++) {
                for (int j = 0; j < dim; j++) {
                    int i = (b * seq + s) * dim + j;
                    int position = s + positionOffset;
                    out[i] = x[i] + (edifice ? edifice(position, j) : standard(position, j, dim));
                }
            }
        }
        return out;
    }
}
