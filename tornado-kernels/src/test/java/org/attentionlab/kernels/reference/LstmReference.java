package org.attentionlab.kernels.reference;

/** Float64 LSTM in PyTorch's gate order (i, f, g, o), written from the equations of {@code torch.nn.LSTM}. */
public final class LstmReference {

    /** All hidden states {@code [batch, seq, H]} and the final state {@code [batch, H]}. */
    public record Result(double[] output, double[] hN, double[] cN) {
    }

    private LstmReference() {
    }

    /**
     * @param x  {@code [batch, seq, inputSize]}
     * @param h0 {@code [batch, H]} or null for zeros; likewise {@code c0}
     */
    public static Result run(float[] x, float[] wIh, float[] wHh, float[] bIh, float[] bHh, float[] h0, float[] c0, int batch, int seq, int inputSize, int hidden) {
        double[] output = new double[batch * seq * hidden];
        double[] hN = new double[batch * hidden];
        double[] cN = new double[batch * hidden];
        for (int b = 0; b < batch; b++) {
            double[] h = new double[hidden];
            double[] c = new double[hidden];
            for (int u = 0; u < hidden; u++) {
                h[u] = h0 == null ? 0 : h0[b * hidden + u];
                c[u] = c0 == null ? 0 : c0[b * hidden + u];
            }
            for (int t = 0; t < seq; t++) {
                double[] gates = new double[4 * hidden];
                for (int row = 0; row < 4 * hidden; row++) {
                    double z = bIh[row] + bHh[row];
                    for (int k = 0; k < inputSize; k++) {
                        z += (double) wIh[row * inputSize + k] * x[(b * seq + t) * inputSize + k];
                    }
                    for (int k = 0; k < hidden; k++) {
                        z += wHh[row * hidden + k] * h[k];
                    }
                    gates[row] = z;
                }
                double[] newH = new double[hidden];
                for (int u = 0; u < hidden; u++) {
                    double i = logistic(gates[u]);
                    double f = logistic(gates[hidden + u]);
                    double g = Math.tanh(gates[2 * hidden + u]);
                    double o = logistic(gates[3 * hidden + u]);
                    c[u] = f * c[u] + i * g;
                    newH[u] = o * Math.tanh(c[u]);
                    output[(b * seq + t) * hidden + u] = newH[u];
                }
                h = newH;
            }
            for (int u = 0; u < hidden; u++) {
                hN[b * hidden + u] = h[u];
                cN[b * hidden + u] = c[u];
            }
        }
        return new Result(output, hN, cN);
    }

    private static double logistic(double z) {
        return z >= 0 ? 1.0 / (1.0 + Math.exp(-z)) : Math.exp(z) / (1.0 + Math.exp(z));
    }
}
