package org.attentionlab.model.train;

import java.util.Map;
import java.util.function.BiFunction;

import org.attentionlab.kernels.reference.FiniteDifferences;

/**
 * The check every per-layer gradient test makes: a layer's training run ({@link LayerTrainingRun}) against a float64
 * forward written separately, for {@code L = sum(dOut * layer(x))}: the output against the forward, the input gradient
 * and the gradient of every parameter the layer owns against central finite differences of it, each element within
 * {@code tolerance} of its tensor's largest expected magnitude (plus 1e-6).
 */
final class LayerGradients {

    private LayerGradients() {
    }

    /**
     * @param forward    the float64 forward of (parameters by name, input)
     * @param input      the input as float64, or null for token ids (no input gradient to check)
     * @param owned      the prefix of the parameters the layer owns (the model's others get no gradient from it)
     */
    static void assertMatchFiniteDifferences(LayerTrainingRun.Result result, Map<String, double[]> parameters, String owned, double[] input,
            double[] dOut, BiFunction<Map<String, double[]>, double[], double[]> forward, double tolerance) {
        TransformerBlockGradientTest.Closeness.assertClose("output", forward.apply(parameters, input), result.output(), tolerance);
        if (input != null) {
            double[] dx = FiniteDifferences.gradient(point -> forward.apply(parameters, point), input, dOut);
            TransformerBlockGradientTest.Closeness.assertClose("input gradient", dx, result.inputGradient(), tolerance);
        }
        int checked = 0;
        for (String parameter : parameters.keySet()) {
            if (!parameter.startsWith(owned)) {
                continue;
            }
            double[] original = parameters.get(parameter);
            double[] gradient = FiniteDifferences.gradient(values -> {
                parameters.put(parameter, values);
                double[] out = forward.apply(parameters, input);
                parameters.put(parameter, original);
                return out;
            }, original, dOut);
            TransformerBlockGradientTest.Closeness.assertClose(parameter, gradient, result.gradients().get(parameter), tolerance);
            checked++;
        }
        if (checked == 0) {
            throw new AssertionError("no parameter starts with " + owned);
        }
    }
}
