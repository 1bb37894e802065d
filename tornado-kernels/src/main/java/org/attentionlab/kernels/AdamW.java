package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The AdamW optimizer step as kernels that keep everything on the device: {@code torch.optim.AdamW} (decoupled
 * weight decay, bias correction) with {@code torch.nn.utils.clip_grad_norm_}'s global-norm clipping, a linear
 * warm-up then cosine learning-rate schedule, and gradient accumulation.
 *
 * <p>TornadoVM captures a task's scalar arguments when the graph is built, so whatever changes from step to step
 * lives in device buffers, never in scalars: the step counter {@code step} ({@code IntArray[1]}, updates done so
 * far), and {@code state} ({@code FloatArray[STATE]}), which {@link #prepareStep} writes each step from the counter
 * and the gradient norm: learning rate, step size, bias correction, gradient factor, norm. The run's constant
 * hyperparameters are one {@code FloatArray[SETTINGS]} the host fills once ({@link #settings}), with the values
 * PyTorch derives in double precision ({@code 1 - beta}, {@code log beta}) rounded from doubles. Weight decay is a
 * scalar of each {@link #update} task, so parameter groups (e.g. no decay for norms and biases) are just tasks with
 * another value.
 *
 * <p>One optimizer step, after the backward passes have accumulated into the gradient buffers:
 * <ol>
 * <li>{@link #sumOfSquares} for every gradient buffer over {@link #normGrid}: its work-groups write partial sums of
 * squares into their own slots of {@code partials} ({@link #normGroups} slots per buffer, at offsets the caller
 * assigns);</li>
 * <li>{@link #prepareStep} over {@link #prepareGrid}: one work-group sums all partials in a fixed order, increments
 * {@code step} and writes {@code state};</li>
 * <li>{@link #update} for every parameter buffer (reading the clip factor from {@code state});</li>
 * <li>{@link #zeroGradients} for every gradient buffer, ready for the next accumulation.</li>
 * </ol>
 * The norm's partial sums and their total are trees and loops in a fixed order: the same bits on every run.
 */
public final class AdamW {

    // ---- settings: FloatArray[SETTINGS], written once by the host (see settings(...)) ----
    public static final int SETTING_LEARNING_RATE = 0;
    public static final int SETTING_BETA1 = 1;
    public static final int SETTING_BETA2 = 2;
    public static final int SETTING_ONE_MINUS_BETA1 = 3;
    public static final int SETTING_ONE_MINUS_BETA2 = 4;
    public static final int SETTING_LOG_BETA1 = 5;
    public static final int SETTING_LOG_BETA2 = 6;
    public static final int SETTING_EPS = 7;
    /** The clipping threshold; 0 or less: no clipping. */
    public static final int SETTING_MAX_GRAD_NORM = 8;
    public static final int SETTING_WARMUP_STEPS = 9;
    /** The step where the cosine reaches its minimum; at most the warm-up: constant after the warm-up. */
    public static final int SETTING_TOTAL_STEPS = 10;
    public static final int SETTING_MIN_LEARNING_RATE_RATIO = 11;
    /** Multiplies every accumulated gradient before the norm, e.g. 1 / micro-batches for accumulation. */
    public static final int SETTING_GRADIENT_SCALE = 12;
    public static final int SETTINGS = 13;

    // ---- state: FloatArray[STATE], written by prepareStep each step ----
    public static final int STATE_LEARNING_RATE = 0;
    /** {@code lr / (1 - beta1^t)}. */
    public static final int STATE_STEP_SIZE = 1;
    /** {@code sqrt(1 - beta2^t)}. */
    public static final int STATE_BIAS_CORRECTION2_SQRT = 2;
    /** What every gradient is multiplied by: the gradient scale times the clip factor. */
    public static final int STATE_GRADIENT_FACTOR = 3;
    /** The global norm of the scaled gradients before clipping (what {@code clip_grad_norm_} returns). */
    public static final int STATE_GRADIENT_NORM = 4;
    public static final int STATE = 5;

    /** {@code clip_grad_norm_}'s guard: clip factor {@code max / (norm + 1e-6)}. */
    public static final float CLIP_EPSILON = 1e-6f;
    /** At most this many work-groups per buffer in {@link #sumOfSquares}. */
    public static final int MAX_NORM_GROUPS = 64;
    /** Elements per work-item {@link #normGroups} aims at before adding groups. */
    private static final int ELEMENTS_PER_ITEM = 16;
    private static final float PI = 3.14159265358979f;
    /** Below this |y| the bias correction {@code 1 - e^y} uses a series (no cancellation). */
    private static final float SERIES_LIMIT = 0.5f;

    private AdamW() {
    }

    // ---- kernels ----

    /** {@code gradient[0 .. size) = 0}: the start of a new accumulation. */
    public static void zeroGradients(FloatArray gradient, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            gradient.set(i, 0.0f);
        }
    }

    /**
     * Partial sums of squares of one gradient buffer, over {@link #normGrid}{@code (size)}: work-item {@code i} of the
     * grid sums {@code gradient[i], gradient[i + G], ...} ({@code G} the grid's size), each work-group sums its items
     * and writes {@code partials[firstSlot + group]}; the buffer uses {@link #normGroups}{@code (size)} slots.
     */
    public static void sumOfSquares(KernelContext context, FloatArray gradient, FloatArray partials, int size, int firstSlot) {
        float[] local = context.allocateFloatLocalArray(WorkGroupReductions.GROUP);
        float partial = 0.0f;
        for (int i = context.globalIdx; i < size; i += context.globalGroupSizeX) {
            float g = gradient.get(i);
            partial += g * g;
        }
        float total = WorkGroupReductions.sum(context, local, partial);
        if (context.localIdx == 0) {
            partials.set(firstSlot + context.groupIdx, total);
        }
    }

    /**
     * Starts optimizer step {@code t = step[0] + 1} (and stores it in {@code step}): sums {@code partials[0 ..
     * partialCount)} into the squared global norm, and writes {@code state}. Run over {@link #prepareGrid} (one
     * work-group). With {@code s} the gradient scale and {@code n = s sqrt(sum)}:
     * <ul>
     * <li>learning rate: {@code lr * factor(t)}, {@code factor = t / warmup} for {@code t <= warmup}, then
     * {@code minRatio + (1 - minRatio) (1 + cos(pi p)) / 2} with {@code p = min(1, (t - warmup) / (total - warmup))}
     * (1 when {@code total <= warmup}). In PyTorch: {@code LambdaLR(optimizer, lambda k: factor(k + 1))}, stepped
     * after each {@code optimizer.step()} (Hugging Face's {@code get_cosine_with_min_lr_schedule_with_warmup}
     * shifted by one step, so that the first update does not have a learning rate of 0);</li>
     * <li>{@code 1 - beta^t} as {@code -expm1(t log beta)}: without the cancellation of {@code 1 - pow(beta, t)} in
     * fp32 at small t;</li>
     * <li>gradient factor {@code s * min(1, maxNorm / (n + 1e-6))} (just {@code s} without clipping), and {@code n}.</li>
     * </ul>
     */
    public static void prepareStep(KernelContext context, FloatArray partials, int partialCount, FloatArray settings, IntArray step, FloatArray state) {
        float[] local = context.allocateFloatLocalArray(WorkGroupReductions.GROUP);
        float partial = 0.0f;
        for (int i = context.localIdx; i < partialCount; i += context.localGroupSizeX) {
            partial += partials.get(i);
        }
        float sumOfSquares = WorkGroupReductions.sum(context, local, partial);
        if (context.localIdx == 0) {
            int t = step.get(0) + 1;
            step.set(0, t);
            float learningRate = settings.get(SETTING_LEARNING_RATE) * learningRateFactor(t, settings.get(SETTING_WARMUP_STEPS), settings.get(SETTING_TOTAL_STEPS),
                    settings.get(SETTING_MIN_LEARNING_RATE_RATIO));
            float biasCorrection1 = oneMinusExp(t * settings.get(SETTING_LOG_BETA1));
            float biasCorrection2 = oneMinusExp(t * settings.get(SETTING_LOG_BETA2));
            float scale = settings.get(SETTING_GRADIENT_SCALE);
            float norm = scale * TornadoMath.sqrt(sumOfSquares);
            float maxNorm = settings.get(SETTING_MAX_GRAD_NORM);
            float clip = 1.0f;
            if (maxNorm > 0.0f) {
                clip = TornadoMath.min(1.0f, maxNorm / (norm + CLIP_EPSILON));
            }
            state.set(STATE_LEARNING_RATE, learningRate);
            state.set(STATE_STEP_SIZE, learningRate / biasCorrection1);
            state.set(STATE_BIAS_CORRECTION2_SQRT, TornadoMath.sqrt(biasCorrection2));
            state.set(STATE_GRADIENT_FACTOR, scale * clip);
            state.set(STATE_GRADIENT_NORM, norm);
        }
    }

    /**
     * One AdamW update of a parameter buffer, as {@code torch.optim.AdamW} (amsgrad off) after clipping:
     * <pre>
     *   g = gradient * gradientFactor
     *   m = beta1 m + (1 - beta1) g           v = beta2 v + (1 - beta2) g^2
     *   p = p (1 - lr weightDecay)            p = p - stepSize m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
     * </pre>
     * with {@code lr}, {@code stepSize = lr / (1 - beta1^t)} and the factors from {@code state}. The gradient buffer is
     * left as it is (clipping scales it on the fly).
     *
     * @param m           the first moment, {@code v} the second, both zero before the first step
     * @param weightDecay this parameter group's decoupled weight decay (PyTorch's default 0.01; 0 for none)
     */
    public static void update(FloatArray parameter, FloatArray gradient, FloatArray m, FloatArray v, FloatArray settings, FloatArray state, float weightDecay,
            int size) {
        for (@Parallel int i = 0; i < size; i++) {
            float g = gradient.get(i) * state.get(STATE_GRADIENT_FACTOR);
            float firstMoment = settings.get(SETTING_BETA1) * m.get(i) + settings.get(SETTING_ONE_MINUS_BETA1) * g;
            float secondMoment = settings.get(SETTING_BETA2) * v.get(i) + settings.get(SETTING_ONE_MINUS_BETA2) * g * g;
            m.set(i, firstMoment);
            v.set(i, secondMoment);
            float decayed = parameter.get(i) * (1.0f - state.get(STATE_LEARNING_RATE) * weightDecay);
            float denominator = TornadoMath.sqrt(secondMoment) / state.get(STATE_BIAS_CORRECTION2_SQRT) + settings.get(SETTING_EPS);
            parameter.set(i, decayed - state.get(STATE_STEP_SIZE) * (firstMoment / denominator));
        }
    }

    /** The learning-rate multiplier of update {@code t} (see {@link #prepareStep}). */
    private static float learningRateFactor(int t, float warmupSteps, float totalSteps, float minRatio) {
        float factor = 1.0f;
        if (t <= warmupSteps) {
            factor = t / warmupSteps;
        } else if (totalSteps > warmupSteps) {
            float progress = TornadoMath.min(1.0f, (t - warmupSteps) / (totalSteps - warmupSteps));
            factor = minRatio + (1.0f - minRatio) * 0.5f * (1.0f + TornadoMath.cos(PI * progress));
        }
        return factor;
    }

    /** {@code 1 - e^y} for {@code y <= 0}: the series of {@code -expm1(y)} near 0, {@code 1 - exp(y)} beyond (no cancellation there). */
    private static float oneMinusExp(float y) {
        float result;
        if (y > -SERIES_LIMIT) {
            // -(y + y^2/2! + ... + y^9/9!): the next term is below 3e-9 of the result for |y| < 0.5.
            float series = 1.0f + y / 2.0f * (1.0f + y / 3.0f * (1.0f + y / 4.0f * (1.0f + y / 5.0f * (1.0f + y / 6.0f * (1.0f + y / 7.0f * (1.0f + y / 8.0f * (1.0f + y / 9.0f)))))));
            result = -y * series;
        } else {
            result = 1.0f - TornadoMath.exp(y);
        }
        return result;
    }

    // ---- host-side helpers (not kernels) ----

    /**
     * The settings buffer for {@link #prepareStep} and {@link #update}, values derived in double precision as PyTorch
     * does ({@code 1 - beta}, and {@code log beta} for the bias corrections) and then rounded to float.
     *
     * @param maxGradNorm     0 for no clipping
     * @param warmupSteps     linear warm-up over updates 1 .. warmupSteps (0: none)
     * @param totalSteps      where the cosine reaches {@code minLearningRateRatio}; {@code <= warmupSteps}: no decay
     * @param gradientScale   multiplies the accumulated gradients (1 / micro-batches to average them)
     */
    public static FloatArray settings(double learningRate, double beta1, double beta2, double eps, double maxGradNorm, int warmupSteps, int totalSteps,
            double minLearningRateRatio, double gradientScale) {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW betas must be in [0, 1): " + beta1 + ", " + beta2);
        }
        FloatArray settings = new FloatArray(SETTINGS);
        settings.set(SETTING_LEARNING_RATE, (float) learningRate);
        settings.set(SETTING_BETA1, (float) beta1);
        settings.set(SETTING_BETA2, (float) beta2);
        settings.set(SETTING_ONE_MINUS_BETA1, (float) (1 - beta1));
        settings.set(SETTING_ONE_MINUS_BETA2, (float) (1 - beta2));
        settings.set(SETTING_LOG_BETA1, (float) Math.log(beta1));
        settings.set(SETTING_LOG_BETA2, (float) Math.log(beta2));
        settings.set(SETTING_EPS, (float) eps);
        settings.set(SETTING_MAX_GRAD_NORM, (float) maxGradNorm);
        settings.set(SETTING_WARMUP_STEPS, warmupSteps);
        settings.set(SETTING_TOTAL_STEPS, totalSteps);
        settings.set(SETTING_MIN_LEARNING_RATE_RATIO, (float) minLearningRateRatio);
        settings.set(SETTING_GRADIENT_SCALE, (float) gradientScale);
        return settings;
    }

    /** How many partial-sum slots {@link #sumOfSquares} uses for a buffer of {@code size} elements: 1 .. {@value #MAX_NORM_GROUPS}. */
    public static int normGroups(int size) {
        int perGroup = WorkGroupReductions.GROUP * ELEMENTS_PER_ITEM;
        return Math.max(1, Math.min(MAX_NORM_GROUPS, (size + perGroup - 1) / perGroup));
    }

    /** The grid of {@link #sumOfSquares} for a buffer of {@code size} elements: {@link #normGroups} work-groups. */
    public static WorkerGrid normGrid(int size) {
        return WorkGroupReductions.groups(normGroups(size));
    }

    /** {@link #normGrid(int)} with groups of {@code items} items (a power of two up to {@link WorkGroupReductions#GROUP}). */
    public static WorkerGrid normGrid(int size, int items) {
        return WorkGroupReductions.groups(normGroups(size), items);
    }

    /** The grid of {@link #prepareStep}: one work-group. */
    public static WorkerGrid prepareGrid() {
        return WorkGroupReductions.groups(1);
    }

    /** {@link #prepareGrid()} with a group of {@code items} items. */
    public static WorkerGrid prepareGrid(int items) {
        return WorkGroupReductions.groups(1, items);
    }
}
