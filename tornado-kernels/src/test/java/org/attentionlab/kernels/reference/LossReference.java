package org.attentionlab.kernels.reference;

/** Float64 losses and their gradients, from the definitions. */
public final class LossReference {

    /** A mean loss, how many rows (elements) counted, how many were predicted right, and the gradient. */
    public record Result(double loss, int counted, int correct, double[] gradient) {
    }

    private LossReference() {
    }

    /**
     * Mean softmax cross-entropy over the rows whose target is in {@code [0, classes)}:
     * {@code loss_r = log(sum_j exp z_rj) - z_r,target} (the log-sum-exp shifted by the row maximum), gradient
     * {@code (softmax(z_r) - onehot(target_r)) / counted}; a row is correct when its first maximal logit is the target.
     */
    public static Result crossEntropy(double[] logits, int[] targets, int rows, int classes) {
        double total = 0;
        int counted = 0;
        int correct = 0;
        double[] gradient = new double[logits.length];
        for (int r = 0; r < rows; r++) {
            int target = targets[r];
            if (target < 0 || target >= classes) {
                continue;
            }
            counted++;
        }
        for (int r = 0; r < rows; r++) {
            int target = targets[r];
            if (target < 0 || target >= classes) {
                continue;
            }
            int base = r * classes;
            double max = Double.NEGATIVE_INFINITY;
            int argMax = -1;
            for (int j = 0; j < classes; j++) {
                if (logits[base + j] > max) {
                    max = logits[base + j];
                    argMax = j;
                }
            }
            double sum = 0;
            for (int j = 0; j < classes; j++) {
                sum += Math.exp(logits[base + j] - max);
            }
            double logSumExp = max + Math.log(sum);
            total += logSumExp - logits[base + target];
            correct += argMax == target ? 1 : 0;
            for (int j = 0; j < classes; j++) {
                gradient[base + j] = (Math.exp(logits[base + j] - logSumExp) - (j == target ? 1 : 0)) / counted;
            }
        }
        return new Result(counted == 0 ? 0 : total / counted, counted, correct, gradient);
    }

    /** {@code mean((p - t)^2)}, gradient {@code 2 (p - t) / n}. */
    public static Result meanSquaredError(double[] prediction, double[] target) {
        int n = prediction.length;
        double total = 0;
        double[] gradient = new double[n];
        for (int i = 0; i < n; i++) {
            double difference = prediction[i] - target[i];
            total += difference * difference;
            gradient[i] = 2 * difference / n;
        }
        return new Result(n == 0 ? 0 : total / n, n, 0, gradient);
    }
}
