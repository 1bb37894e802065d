package org.attentionlab.kernels.reference;

/**
 * Float64 AdamW steps written from {@code torch.optim.AdamW} and {@code torch.nn.utils.clip_grad_norm_}, with the
 * documented learning-rate schedule: update t (from 1) uses {@code lr * factor(t)}, factor {@code t / warmup} during
 * the warm-up, then a cosine from 1 to {@code minRatio} reached at step {@code total}.
 */
public final class AdamWReference {

    /** The run's hyperparameters. */
    public record Hyperparameters(double learningRate, double beta1, double beta2, double eps, double maxGradNorm, int warmupSteps,
            int totalSteps, double minLearningRateRatio, double gradientScale) {
    }

    /** Parameters and both moments of every buffer, and the step count. */
    public static final class State {
        public final double[][] parameters;
        public final double[][] m;
        public final double[][] v;
        /** {@code m} with every term taken by magnitude: the scale of m's rounding errors when its terms cancel. */
        public final double[][] mMagnitude;
        public int step;
        public double lastLearningRate;
        public double lastGradientNorm;

        public State(double[][] parameters) {
            this.parameters = new double[parameters.length][];
            this.m = new double[parameters.length][];
            this.v = new double[parameters.length][];
            this.mMagnitude = new double[parameters.length][];
            for (int b = 0; b < parameters.length; b++) {
                this.parameters[b] = parameters[b].clone();
                this.m[b] = new double[parameters[b].length];
                this.v[b] = new double[parameters[b].length];
                this.mMagnitude[b] = new double[parameters[b].length];
            }
        }
    }

    private AdamWReference() {
    }

    public static double learningRateFactor(int t, int warmup, int total, double minRatio) {
        if (t <= warmup) {
            return (double) t / warmup;
        }
        if (total <= warmup) {
            return 1.0;
        }
        double progress = Math.min(1.0, (double) (t - warmup) / (total - warmup));
        return minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }

    /** One step with the accumulated gradients {@code gradients[b]} (scaled, clipped, then AdamW; weight decay per buffer). */
    public static void step(State state, double[][] gradients, Hyperparameters h, double[] weightDecays) {
        int t = ++state.step;
        double squares = 0;
        double[][] g = new double[gradients.length][];
        for (int b = 0; b < gradients.length; b++) {
            g[b] = new double[gradients[b].length];
            for (int i = 0; i < g[b].length; i++) {
                g[b][i] = gradients[b][i] * h.gradientScale();
                squares += g[b][i] * g[b][i];
            }
        }
        double norm = Math.sqrt(squares);
        double clip = h.maxGradNorm() > 0 ? Math.min(1.0, h.maxGradNorm() / (norm + 1e-6)) : 1.0;
        double lr = h.learningRate() * learningRateFactor(t, h.warmupSteps(), h.totalSteps(), h.minLearningRateRatio());
        double biasCorrection1 = 1 - Math.pow(h.beta1(), t);
        double biasCorrection2 = 1 - Math.pow(h.beta2(), t);
        for (int b = 0; b < gradients.length; b++) {
            double[] p = state.parameters[b];
            for (int i = 0; i < p.length; i++) {
                double gradient = g[b][i] * clip;
                state.m[b][i] = h.beta1() * state.m[b][i] + (1 - h.beta1()) * gradient;
                state.mMagnitude[b][i] = h.beta1() * state.mMagnitude[b][i] + (1 - h.beta1()) * Math.abs(gradient);
                state.v[b][i] = h.beta2() * state.v[b][i] + (1 - h.beta2()) * gradient * gradient;
                p[i] *= 1 - lr * weightDecays[b];
                double mHat = state.m[b][i] / biasCorrection1;
                double vHat = state.v[b][i] / biasCorrection2;
                p[i] -= lr * mHat / (Math.sqrt(vHat) + h.eps());
            }
        }
        state.lastLearningRate = lr;
        state.lastGradientNorm = norm;
    }
}
