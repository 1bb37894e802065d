package org.attentionlab.kernels.testing;

import java.util.SplittableRandom;

/**
 * The inputs of {@code MatrixMultiply.residualNormLinearTiled}: the residual projection's input {@code [rows, inner]}
 * (N(0, 1)), x {@code [rows, width]} (N(0, 4)), its weight {@code [width, inner]} and bias, the norm's weight and bias,
 * the second projection's weight {@code [cols, width]} and bias, the down projection's weight {@code [width, cols]} and bias
 * (weights scaled by 1/sqrt(fan-in)); a bias is null where {@code biases} (1: the residual projection's, 2: the second's,
 * 4: the down projection's) leaves it out.
 */
public record ResidualNormCase(int rows, int inner, int width, int cols, int biases, float[] input, float[] x, float[] residualWeight, float[] residualBias,
        float[] normWeight, float[] normBias, float[] weight, float[] bias, float[] downWeight, float[] downBias) {

    public static ResidualNormCase random(SplittableRandom random, int rows, int inner, int width, int cols, int biases) {
        float[] input = RandomArrays.gaussian(random, rows * inner, 1.0);
        float[] x = RandomArrays.gaussian(random, rows * width, 2.0);
        float[] residualWeight = RandomArrays.gaussian(random, width * inner, 1.0 / Math.sqrt(inner));
        float[] residualBias = (biases & 1) != 0 ? RandomArrays.gaussian(random, width, 1.0) : null;
        float[] normWeight = RandomArrays.uniform(random, width, 0.5, 1.5);
        float[] normBias = RandomArrays.gaussian(random, width, 0.5);
        float[] weight = RandomArrays.gaussian(random, cols * width, 1.0 / Math.sqrt(width));
        float[] bias = (biases & 2) != 0 ? RandomArrays.gaussian(random, cols, 1.0) : null;
        float[] downWeight = RandomArrays.gaussian(random, width * cols, 1.0 / Math.sqrt(cols));
        float[] downBias = (biases & 4) != 0 ? RandomArrays.gaussian(random, width, 1.0) : null;
        return new ResidualNormCase(rows, inner, width, cols, biases, input, x, residualWeight, residualBias, normWeight, normBias, weight, bias, downWeight,
                downBias);
    }
}
