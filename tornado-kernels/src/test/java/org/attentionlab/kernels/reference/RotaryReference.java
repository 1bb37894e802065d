package org.attentionlab.kernels.reference;

/**
 * Float64 RoPE: each pair seen as a complex number {@code z = a + i b} and multiplied by {@code e^(i angle)},
 * {@code angle = position / theta^(2p / headDim)}.
 */
public final class RotaryReference {

    private RotaryReference() {
    }

    /** The two element indices (within one head vector) of pair p. */
    public static int[] pairIndices(int pair, int headDim, boolean interleaved) {
        return interleaved ? new int[] { 2 * pair, 2 * pair + 1 } : new int[] { pair, pair + headDim / 2 };
    }

    public static double angle(int position, int pair, int headDim, double theta) {
        return position / Math.pow(theta, 2.0 * pair / headDim);
    }

    /** {@code x [batch, seq, heads, headDim]} rotated (a new array; odd headDim leaves the last element alone). */
    public static double[] rotate(float[] x, int batch, int seq, int heads, int headDim, int positionOffset, double theta, boolean interleaved) {
        return rotate(org.attentionlab.kernels.testing.Closeness.toDoubles(x), batch, seq, heads, headDim, positionOffset, theta, interleaved);
    }

    public static double[] rotate(double[] x, int batch, int seq, int heads, int headDim, int positionOffset, double theta, boolean interleaved) {
        double[] out = x.clone();
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < seq; s++) {
                for (int h = 0; h < heads; h++) {
                    int base = ((b * seq + s) * heads + h) * headDim;
                    for (int p = 0; p < headDim / 2; p++) {
                        int[] idx = pairIndices(p, headDim, interleaved);
                        double re = x[base + idx[0]];
                        double im = x[base + idx[1]];
                        double phi = angle(s + positionOffset, p, headDim, theta);
                        double rotRe = re * Math.cos(phi) - im * Math.sin(phi);
                        double rotIm = re * Math.sin(phi) + im * Math.cos(phi);
                        out[base + idx[0]] = rotRe;
                        out[base + idx[1]] = rotIm;
                    }
                }
            }
        }
        return out;
    }

    /**
     * The gradient of {@link #rotate}'s input: the rotation's Jacobian is the 2 x 2 matrix
     * {@code [[cos, -sin], [sin, cos]]} per pair, so {@code dx = J^T dOut}:
     * {@code (dRe, dIm) -> (cos dRe + sin dIm, -sin dRe + cos dIm)}.
     */
    public static double[] rotateBackward(double[] dOut, int batch, int seq, int heads, int headDim, int positionOffset, double theta, boolean interleaved) {
        double[] dx = dOut.clone();
        for (int v = 0; v < batch * seq * heads; v++) {
            int base = v * headDim;
            int position = (v / heads) % seq + positionOffset;
            for (int p = 0; p < headDim / 2; p++) {
                int[] idx = pairIndices(p, headDim, interleaved);
                double phi = angle(position, p, headDim, theta);
                double dRe = dOut[base + idx[0]];
                double dIm = dOut[base + idx[1]];
                dx[base + idx[0]] = Math.cos(phi) * dRe + Math.sin(phi) * dIm;
                dx[base + idx[1]] = -Math.sin(phi) * dRe + Math.cos(phi) * dIm;
            }
        }
        return dx;
    }
}
