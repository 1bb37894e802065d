package org.attentionlab.kernels.reference;

import static org.attentionlab.kernels.testing.Closeness.toDoubles;

/**
 * Float64 LSTM in PyTorch's gate order (i, f, g, o), written from the equations of {@code torch.nn.LSTM}, and its
 * backward through time written from the chain rule.
 */
public final class LstmReference {

    /** All hidden states {@code [batch, seq, H]} and the final state {@code [batch, H]}. */
    public record Result(double[] output, double[] hN, double[] cN) {
    }

    /**
     * Every gradient of a sequence: inputs {@code [batch, seq, in]}, initial state {@code [batch, H]}, parameters, and
     * the gate pre-activations' {@code [batch, seq, 4H]}.
     */
    public record Gradients(double[] dx, double[] dH0, double[] dC0, double[] dWeightIh, double[] dWeightHh, double[] dBiasIh, double[] dBiasHh,
            double[] dGates) {
    }

    private LstmReference() {
    }

    /**
     * @param x  {@code [batch, seq, inputSize]}
     * @param h0 {@code [batch, H]} or null for zeros; likewise {@code c0}
     */
    public static Result run(float[] x, float[] wIh, float[] wHh, float[] bIh, float[] bHh, float[] h0, float[] c0, int batch, int seq, int inputSize, int hidden) {
        return run(toDoubles(x), toDoubles(wIh), toDoubles(wHh), toDoubles(bIh), toDoubles(bHh), h0 == null ? null : toDoubles(h0), c0 == null ? null : toDoubles(c0),
                batch, seq, inputSize, hidden);
    }

    public static Result run(double[] x, double[] wIh, double[] wHh, double[] bIh, double[] bHh, double[] h0, double[] c0, int batch, int seq, int inputSize,
            int hidden) {
        Trace trace = forward(x, wIh, wHh, bIh, bHh, h0, c0, batch, seq, inputSize, hidden);
        double[] output = new double[batch * seq * hidden];
        double[] hN = new double[batch * hidden];
        double[] cN = new double[batch * hidden];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                System.arraycopy(trace.h[b][t + 1], 0, output, (b * seq + t) * hidden, hidden);
            }
            System.arraycopy(trace.h[b][seq], 0, hN, b * hidden, hidden);
            System.arraycopy(trace.c[b][seq], 0, cN, b * hidden, hidden);
        }
        return new Result(output, hN, cN);
    }

    /** h[b][t] and c[b][t] for t = 0 (the initial state) .. seq; gates[b][t] = activated (i, f, g, o) of step t. */
    private record Trace(double[][][] h, double[][][] c, double[][][] gates) {
    }

    private static Trace forward(double[] x, double[] wIh, double[] wHh, double[] bIh, double[] bHh, double[] h0, double[] c0, int batch, int seq, int inputSize,
            int hidden) {
        double[][][] h = new double[batch][seq + 1][hidden];
        double[][][] c = new double[batch][seq + 1][hidden];
        double[][][] gates = new double[batch][seq][4 * hidden];
        for (int b = 0; b < batch; b++) {
            for (int u = 0; u < hidden; u++) {
                h[b][0][u] = h0 == null ? 0 : h0[b * hidden + u];
                c[b][0][u] = c0 == null ? 0 : c0[b * hidden + u];
            }
            for (int t = 0; t < seq; t++) {
                double[] z = new double[4 * hidden];
                for (int row = 0; row < 4 * hidden; row++) {
                    z[row] = bIh[row] + bHh[row];
                    for (int k = 0; k < inputSize; k++) {
                        z[row] += wIh[row * inputSize + k] * x[(b * seq + t) * inputSize + k];
                    }
                    for (int k = 0; k < hidden; k++) {
                        z[row] += wHh[row * hidden + k] * h[b][t][k];
                    }
                }
                for (int u = 0; u < hidden; u++) {
                    double i = logistic(z[u]);
                    double f = logistic(z[hidden + u]);
                    double g = Math.tanh(z[2 * hidden + u]);
                    double o = logistic(z[3 * hidden + u]);
                    gates[b][t][u] = i;
                    gates[b][t][hidden + u] = f;
                    gates[b][t][2 * hidden + u] = g;
                    gates[b][t][3 * hidden + u] = o;
                    c[b][t + 1][u] = f * c[b][t][u] + i * g;
                    h[b][t + 1][u] = o * Math.tanh(c[b][t + 1][u]);
                }
            }
        }
        return new Trace(h, c, gates);
    }

    /**
     * The gradients of {@code L = sum(dOutput * output) + sum(dHN * hN) + sum(dCN * cN)} (dHN, dCN null: zero).
     * Step t from last to first, with {@code dh} and {@code dc} the gradients reaching {@code h_t} and {@code c_t}:
     * {@code c_t = f c_{t-1} + i g}, {@code h_t = o tanh(c_t)}, so {@code dc += dh o (1 - tanh^2 c_t)},
     * {@code d(i, f, g, o) = (dc g, dc c_{t-1}, dc i, dh tanh c_t)} and through the activations
     * {@code dz = d(i, f, g, o) * (i (1 - i), f (1 - f), 1 - g^2, o (1 - o))}; then {@code dW_ih += dz x_t^T},
     * {@code dW_hh += dz h_{t-1}^T}, both biases {@code += dz}, {@code dx_t = W_ih^T dz}, and the previous step gets
     * {@code dh = dOutput_{t-1} + W_hh^T dz}, {@code dc = dc f}.
     */
    public static Gradients backward(double[] x, double[] wIh, double[] wHh, double[] bIh, double[] bHh, double[] h0, double[] c0, double[] dOutput, double[] dHN,
            double[] dCN, int batch, int seq, int inputSize, int hidden) {
        Trace trace = forward(x, wIh, wHh, bIh, bHh, h0, c0, batch, seq, inputSize, hidden);
        int rows = 4 * hidden;
        double[] dx = new double[batch * seq * inputSize];
        double[] dH0 = new double[batch * hidden];
        double[] dC0 = new double[batch * hidden];
        double[] dWeightIh = new double[rows * inputSize];
        double[] dWeightHh = new double[rows * hidden];
        double[] dBias = new double[rows];
        double[] dGates = new double[batch * seq * rows];
        for (int b = 0; b < batch; b++) {
            double[] dh = new double[hidden];
            double[] dc = new double[hidden];
            for (int u = 0; u < hidden; u++) {
                dh[u] = dHN == null ? 0 : dHN[b * hidden + u];
                dc[u] = dCN == null ? 0 : dCN[b * hidden + u];
            }
            for (int t = seq - 1; t >= 0; t--) {
                double[] gate = trace.gates[b][t];
                double[] dz = new double[rows];
                for (int u = 0; u < hidden; u++) {
                    dh[u] += dOutput[(b * seq + t) * hidden + u];
                    double i = gate[u];
                    double f = gate[hidden + u];
                    double g = gate[2 * hidden + u];
                    double o = gate[3 * hidden + u];
                    double tanhCell = Math.tanh(trace.c[b][t + 1][u]);
                    dc[u] += dh[u] * o * (1 - tanhCell * tanhCell);
                    dz[u] = dc[u] * g * i * (1 - i);
                    dz[hidden + u] = dc[u] * trace.c[b][t][u] * f * (1 - f);
                    dz[2 * hidden + u] = dc[u] * i * (1 - g * g);
                    dz[3 * hidden + u] = dh[u] * tanhCell * o * (1 - o);
                    dc[u] *= f;
                }
                System.arraycopy(dz, 0, dGates, (b * seq + t) * rows, rows);
                double[] previousDh = new double[hidden];
                for (int r = 0; r < rows; r++) {
                    dBias[r] += dz[r];
                    for (int k = 0; k < inputSize; k++) {
                        dWeightIh[r * inputSize + k] += dz[r] * x[(b * seq + t) * inputSize + k];
                        dx[(b * seq + t) * inputSize + k] += wIh[r * inputSize + k] * dz[r];
                    }
                    for (int k = 0; k < hidden; k++) {
                        dWeightHh[r * hidden + k] += dz[r] * trace.h[b][t][k];
                        previousDh[k] += wHh[r * hidden + k] * dz[r];
                    }
                }
                dh = previousDh;
            }
            System.arraycopy(dh, 0, dH0, b * hidden, hidden);
            System.arraycopy(dc, 0, dC0, b * hidden, hidden);
        }
        return new Gradients(dx, dH0, dC0, dWeightIh, dWeightHh, dBias, dBias.clone(), dGates);
    }

    private static double logistic(double z) {
        return z >= 0 ? 1.0 / (1.0 + Math.exp(-z)) : Math.exp(z) / (1.0 + Math.exp(z));
    }
}
