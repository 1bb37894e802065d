package org.attentionlab.model.layers;

import java.util.List;

import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.kernels.MatrixMultiply;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.spec.HiddenAct;
import org.attentionlab.model.weights.Parameters;
import org.attentionlab.model.weights.Parameters.Init;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A torch.nn.Linear: weight [out, in], and bias [out] unless it has none (Hugging Face's {@code bias=False}); y = x·Wᵀ
 * (+ b) on rows of x. Without a bias there is no {@code .bias} tensor and the kernel is told so ({@code hasBias 0}).
 */
final class Linear {

    final int in;
    final int out;
    final FloatArray weight;
    /** The bias, or null. */
    final FloatArray bias;
    private final boolean hasBias;
    /** What the kernel's bias argument receives: the bias, or a one-element array it does not read. */
    private final FloatArray biasArgument;

    Linear(Parameters parameters, String name, int in, int out, boolean bias) {
        this(in, out, parameters.add(name + ".weight", Init.linear(in), out, in), bias ? parameters.add(name + ".bias", Init.linear(in), out) : null,
                bias);
    }

    /** A projection with a weight declared elsewhere (a tied lm_head reads embed_tokens.weight) and no bias. */
    Linear(int in, int out, FloatArray weight, FloatArray bias) {
        this(in, out, weight, bias, bias != null);
    }

    /** {@code hasBias}: whether a bias was declared (its values are null in a model built without weights). */
    private Linear(int in, int out, FloatArray weight, FloatArray bias, boolean hasBias) {
        this.in = in;
        this.out = out;
        this.weight = weight;
        this.bias = bias;
        this.hasBias = hasBias;
        this.biasArgument = hasBias ? bias : new FloatArray(1);
    }

    boolean hasBias() {
        return hasBias;
    }

    void addWeightsTo(List<Object> weights) {
        weights.add(weight);
        weights.add(biasArgument);
    }

    /** {@code y = x Wᵀ (+ b)}, a task of {@code kind}. */
    void addTask(LayerTasks tasks, TaskKind kind, String taskName, FloatArray x, FloatArray y, int rows) {
        addTask(tasks, kind, taskName, x, y, rows, null, false);
    }

    /**
     * {@code y = act(x Wᵀ (+ b))}, or with {@code accumulate} {@code y += act(x Wᵀ (+ b))} (a residual add), in one task
     * ({@link MatrixMultiply#linear}'s epilogue); {@code act} null: none.
     */
    void addTask(LayerTasks tasks, TaskKind kind, String taskName, FloatArray x, FloatArray y, int rows, HiddenAct act, boolean accumulate) {
        if (tasks.geometry().registerTiles()) {
            tasks.graph().task(tasks.name(kind, taskName), MatrixMultiply::linearTiled, new KernelContext(), x, weight, biasArgument, y, rows, in, out,
                    KernelCodes.hasBias(hasBias()), KernelCodes.activation(act), accumulate ? 1 : 0, tasks.geometry().vectorLanes());
        } else {
            tasks.graph().task(tasks.name(kind, taskName), MatrixMultiply::linear, new KernelContext(), x, weight, biasArgument, y, rows, in, out,
                    KernelCodes.hasBias(hasBias()), KernelCodes.activation(act), accumulate ? 1 : 0);
        }
        tasks.grid(taskName, tasks.geometry().projection(rows, out));
    }

    /**
     * The gated feed-forward input {@code h = act(x Gᵀ (+ bg)) * (x Uᵀ (+ bu))} of {@code gate} and {@code up} in one task
     * ({@link MatrixMultiply#gatedLinear}, or {@link MatrixMultiply#gatedLinearTiled} where the run's geometry picks
     * register tiles): SwiGLU with silu, GeGLU with a GELU.
     */
    static void addGatedTask(LayerTasks tasks, String taskName, Linear gate, Linear up, HiddenAct act, FloatArray x, FloatArray h, int rows) {
        if (tasks.geometry().registerTiles()) {
            tasks.graph().task(tasks.name(TaskKind.FFN, taskName), MatrixMultiply::gatedLinearTiled, new KernelContext(), x, gate.weight, up.weight,
                    gate.biasArgument, up.biasArgument, h, rows, gate.in, gate.out, KernelCodes.hasBias(gate.hasBias()), KernelCodes.activation(act),
                    tasks.geometry().vectorLanes());
        } else {
            tasks.graph().task(tasks.name(TaskKind.FFN, taskName), MatrixMultiply::gatedLinear, new KernelContext(), x, gate.weight, up.weight,
                    gate.biasArgument, up.biasArgument, h, rows, gate.in, gate.out, KernelCodes.hasBias(gate.hasBias()), KernelCodes.activation(act));
        }
        tasks.grid(taskName, tasks.geometry().projection(rows, gate.out));
    }

    /**
     * {@code y = act(norm(x) Wᵀ (+ b))} in one task ({@link MatrixMultiply#normLinearTiled}), for a geometry whose
     * {@link NormWeights#fusedGroupRows} is {@code groupRows > 0}; {@code normed}: scratch for the normalised rows.
     */
    void addNormTask(LayerTasks tasks, TaskKind kind, String taskName, NormWeights norm, int groupRows, FloatArray x, FloatArray normed, FloatArray y,
            int rows, HiddenAct act) {
        tasks.graph().task(tasks.name(kind, taskName), MatrixMultiply::normLinearTiled, new KernelContext(), x, norm.weight, norm.biasArgument(), normed,
                weight, biasArgument, y, rows, in, out, groupRows, norm.kernelCode(), norm.eps(), KernelCodes.hasBias(hasBias()), KernelCodes.activation(act),
                tasks.geometry().vectorLanes());
        tasks.grid(taskName, tasks.geometry().normProjection(rows, out, groupRows));
    }

    /** {@link #addGatedTask} of {@code norm(x)} in one task ({@link MatrixMultiply#normGatedLinearTiled}), as {@link #addNormTask}. */
    static void addNormGatedTask(LayerTasks tasks, String taskName, NormWeights norm, int groupRows, Linear gate, Linear up, HiddenAct act, FloatArray x,
            FloatArray normed, FloatArray h, int rows) {
        tasks.graph().task(tasks.name(TaskKind.FFN, taskName), MatrixMultiply::normGatedLinearTiled, new KernelContext(), x, norm.weight, norm.biasArgument(),
                normed, gate.weight, up.weight, gate.biasArgument, up.biasArgument, h, rows, gate.in, gate.out, groupRows, norm.kernelCode(), norm.eps(),
                KernelCodes.hasBias(gate.hasBias()), KernelCodes.activation(act));
        tasks.grid(taskName, tasks.geometry().normProjection(rows, gate.out, groupRows));
    }

    /**
     * {@code x += input Rᵀ (+ rb)} of {@code residual} (o_proj adding into the residual stream), then
     * {@code y = act(norm(x) Pᵀ (+ pb))} of {@code projection}, and with {@code downPhase} {@code x += y Dᵀ (+ db)} of
     * {@code down} (the feed-forward's down projection adding into the stream), in one task
     * ({@link MatrixMultiply#residualNormLinearTiled}), for a geometry whose {@link NormWeights#fusedGroupRows} over the
     * wider of the two is {@code groupRows > 0}; {@code normed}: scratch for the normalised rows.
     */
    static void addResidualNormTask(LayerTasks tasks, TaskKind kind, String taskName, Linear residual, NormWeights norm, int groupRows, Linear projection,
            HiddenAct act, Linear down, boolean downPhase, FloatArray input, FloatArray x, FloatArray normed, FloatArray y, int rows) {
        int flags = MatrixMultiply.residualNormFlags(residual.hasBias, projection.hasBias, downPhase, downPhase && down.hasBias, norm.kernelCode(),
                KernelCodes.activation(act), tasks.geometry().vectorLanes());
        tasks.graph().task(tasks.name(kind, taskName), MatrixMultiply::residualNormLinearTiled, new KernelContext(), input, residual.weight,
                residual.biasArgument, x, norm.weight, norm.biasArgument(), normed, projection.weight, projection.biasArgument, y, down.weight,
                down.biasArgument, rows, residual.in, residual.out, projection.out, groupRows, norm.eps(), flags);
        tasks.grid(taskName, tasks.geometry().normProjection(rows, Math.max(residual.out, projection.out), groupRows));
    }

    /**
     * {@code x += input Rᵀ (+ rb)} of {@code residual}, then {@code x = norm(x)} in place, and with
     * {@code lastPositions} not null each sequence's last position of x copied into it, in one task
     * ({@link MatrixMultiply#residualNormTiled}): a model's last block's down projection with the final norm (and the
     * last-position output), for a geometry whose {@link NormWeights#fusedGroupRows} over x's width is
     * {@code groupRows > 0}.
     */
    static void addResidualNormTask(LayerTasks tasks, TaskKind kind, String taskName, Linear residual, NormWeights norm, int groupRows, FloatArray input,
            FloatArray x, FloatArray lastPositions, int rows) {
        int flags = (residual.hasBias ? 1 : 0) + (lastPositions != null ? 2 : 0) + 4 * norm.kernelCode() + (tasks.geometry().vectorLanes() == 8 ? MatrixMultiply.RESIDUAL_NORM_EIGHT_LANES : 0);
        // Not x itself when there is nothing to copy: TornadoVM never schedules a task given one array twice.
        tasks.graph().task(tasks.name(kind, taskName), MatrixMultiply::residualNormTiled, new KernelContext(), input, residual.weight, residual.biasArgument,
                x, norm.weight, norm.biasArgument(), lastPositions != null ? lastPositions : tasks.scratch("unread", 1), rows, residual.in, residual.out, tasks.shape().seqLen(),
                groupRows, flags, norm.eps());
        tasks.grid(taskName, tasks.geometry().normProjection(rows, residual.out, groupRows));
    }

    /** Elements of its weight and bias. */
    long weightElements() {
        return (long) in * out + (hasBias ? out : 0);
    }

    long flops(int rows) {
        return 2L * rows * in * out;
    }

    // ---------------------------------------------------------------- training

    /** What a training graph sends besides the parameters: the placeholder bias argument of a projection without bias. */
    void addTrainingConstantsTo(List<Object> constants) {
        if (bias == null) {
            constants.add(biasArgument);
        }
    }

    /** {@link #addTask} under the layer's prefix in a training graph: the kernel its device's launch geometry picks. */
    void addTrainingForward(TrainingTasks tasks, String taskName, FloatArray x, FloatArray y, int rows) {
        if (tasks.geometry().registerTiles()) {
            tasks.graph().task(tasks.name(taskName), MatrixMultiply::linearTiled, new KernelContext(), x, weight, biasArgument, y, rows, in, out,
                    KernelCodes.hasBias(hasBias()), MatrixMultiply.NONE, 0, tasks.geometry().vectorLanes());
        } else {
            tasks.graph().task(tasks.name(taskName), LinearKernels::linear, new KernelContext(), x, weight, biasArgument, y, rows, in, out,
                    KernelCodes.hasBias(hasBias()));
        }
        tasks.grid(taskName, tasks.geometry().projection(rows, out));
    }

    /**
     * The backward of {@code y = x Wᵀ + b} for {@code dY}: {@code dW += dYᵀ x}, {@code db += Σ_rows dY} (when there is a
     * bias), and, when {@code dX} is not null, {@code dX = dY W} ({@code dX += dY W} with {@code accumulateInput}); the
     * products with the kernel the device's launch geometry picks for projections ({@link #addProduct}).
     */
    void addBackward(TrainingTasks tasks, String taskName, FloatArray x, FloatArray dY, FloatArray dX, boolean accumulateInput, int rows) {
        addBackward(tasks, taskName, x, dY, dX, accumulateInput, rows, bias != null);
    }

    /**
     * {@link #addBackward} without the bias gradient: for a bias whose gradient another kernel accumulates (an LSTM's
     * {@code b_ih}, which {@code LstmKernels.recurrentWeightGradients} sums with {@code b_hh}).
     */
    void addBackwardWithoutBias(TrainingTasks tasks, String taskName, FloatArray x, FloatArray dY, FloatArray dX, boolean accumulateInput, int rows) {
        addBackward(tasks, taskName, x, dY, dX, accumulateInput, rows, false);
    }

    private void addBackward(TrainingTasks tasks, String taskName, FloatArray x, FloatArray dY, FloatArray dX, boolean accumulateInput, int rows,
            boolean biasGradient) {
        addProduct(tasks, taskName + "_dw", dY, x, tasks.gradient(weight), out, rows, in, true, true);
        if (biasGradient) {
            tasks.graph().task(tasks.name(taskName + "_db"), MatrixMultiply::columnSums, dY, tasks.gradient(bias), rows, out, 1);
        }
        if (dX != null) {
            addProduct(tasks, taskName + "_dx", dY, weight, dX, rows, out, in, false, accumulateInput);
        }
    }

    /**
     * {@code y (+)= a b} or {@code a^T b} ({@link MatrixMultiply#product}), register-tiled ({@link MatrixMultiply#productTiled})
     * where the launch geometry picks register tiles for projections.
     */
    private static void addProduct(TrainingTasks tasks, String taskName, FloatArray a, FloatArray b, FloatArray y, int rows, int inner, int cols,
            boolean transposeA, boolean accumulate) {
        if (tasks.geometry().registerTiles()) {
            tasks.graph().task(tasks.name(taskName), MatrixMultiply::productTiled, new KernelContext(), a, b, y, rows, inner, cols, transposeA ? 1 : 0,
                    accumulate ? 1 : 0, tasks.geometry().vectorLanes());
        } else {
            tasks.graph().task(tasks.name(taskName), MatrixMultiply::product, new KernelContext(), a, b, y, rows, inner, cols, transposeA ? 1 : 0,
                    accumulate ? 1 : 0);
        }
        tasks.grid(taskName, tasks.geometry().product(rows, cols));
    }
}
