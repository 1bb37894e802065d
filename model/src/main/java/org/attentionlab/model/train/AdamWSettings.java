package org.attentionlab.model.train;

import org.attentionlab.kernels.AdamW;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The optimizer's hyperparameters: {@code torch.optim.AdamW} (learning rate, betas, eps, decoupled weight decay),
 * {@code clip_grad_norm_}'s threshold (0: none), the schedule (linear warm-up over {@code warmupSteps} updates, then
 * a cosine from the learning rate down to {@code minLearningRate} at {@code decaySteps}; {@code decaySteps <=
 * warmupSteps}: constant after the warm-up) and the micro-batches whose gradients each update averages.
 */
public record AdamWSettings(double learningRate, double beta1, double beta2, double eps, double weightDecay, double gradClip, int warmupSteps,
        int decaySteps, double minLearningRate, int microBatches) {

    public AdamWSettings {
        if (!(learningRate > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || weightDecay < 0 || gradClip < 0
                || warmupSteps < 0 || minLearningRate < 0 || minLearningRate > learningRate || microBatches < 1) {
            throw new IllegalArgumentException("not usable AdamW settings: " + this);
        }
    }

    /** The kernels' settings buffer ({@link AdamW#settings}). */
    FloatArray deviceSettings() {
        return AdamW.settings(learningRate, beta1, beta2, eps, gradClip, warmupSteps, decaySteps, minLearningRate / learningRate, 1.0 / microBatches);
    }
}
