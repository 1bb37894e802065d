package org.attentionlab.model.layers;

import java.util.List;

import org.attentionlab.kernels.Normalization;
import org.attentionlab.model.exec.LaunchGeometry;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormSpec;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.weights.Parameters;
import org.attentionlab.model.weights.Parameters.Init;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A LayerNorm (weight and bias, as torch.nn.LayerNorm; weight only when the spec has no bias, as Cohere2's), an
 * RMSNorm (weight only) over the last dimension, or none ({@code norm: none}: no parameters, no task).
 */
final class NormWeights {

    private final Norm kind;
    private final int width;
    private final float eps;
    final FloatArray weight;
    /**
     * The LayerNorm kernel's bias: the {@code .bias} parameter, or, for a bias-free LayerNorm, zeros that are no
     * parameter (adding 0.0f changes no value, so this is exactly the norm without a bias).
     */
    private final FloatArray bias;
    /** Whether {@link #bias} is a parameter (trained), not the zeros of a bias-free LayerNorm. */
    private final boolean biasParameter;
    /** What a fused projection's norm-bias argument receives for an RMSNorm (one element it does not read). */
    private final FloatArray unreadBias = new FloatArray(1);

    NormWeights(Parameters parameters, String name, NormSpec spec, int width) {
        this.kind = spec.kind();
        this.width = width;
        this.eps = (float) spec.eps();
        this.weight = kind == Norm.NONE ? null : parameters.add(name + ".weight", Init.ones(), width);
        this.bias = kind != Norm.LAYERNORM ? null : spec.bias() ? parameters.add(name + ".bias", Init.zeros(), width) : zeros(width);
        this.biasParameter = kind == Norm.LAYERNORM && spec.bias();
    }

    private static FloatArray zeros(int size) {
        FloatArray zeros = new FloatArray(size);
        zeros.init(0f);
        return zeros;
    }

    void addWeightsTo(List<Object> weights) {
        if (weight != null) {
            weights.add(weight);
        }
        if (bias != null) {
            weights.add(bias);
        }
        if (kind == Norm.RMSNORM) {
            weights.add(unreadBias);
        }
    }

    /**
     * The rows per work-group with which a register-tiled projection of {@code cols} outputs normalises its own input
     * by this norm ({@link LaunchGeometry#normGroupRows}), or 0: no norm, or the norm stays a task of its own.
     */
    int fusedGroupRows(LayerTasks tasks, int cols) {
        return kind == Norm.NONE ? 0 : tasks.geometry().normGroupRows(tasks.shape().rows(), cols);
    }

    /** The fused projections' {@code norm} argument. */
    int kernelCode() {
        return kind == Norm.RMSNORM ? Normalization.RMS_NORM : Normalization.LAYER_NORM;
    }

    /** The fused projections' {@code normBias} argument: the LayerNorm's bias (or zeros), or for an RMSNorm an element not read. */
    FloatArray biasArgument() {
        return bias != null ? bias : unreadBias;
    }

    float eps() {
        return eps;
    }

    /**
     * Adds the task normalising {@code x} into {@code out} (they may be the same array: each row is read before
     * it is written); returns where the result is: {@code out}, or {@code x} itself when there is no norm.
     */
    FloatArray addTask(LayerTasks tasks, String taskName, FloatArray x, FloatArray out, int rows) {
        switch (kind) {
        case LAYERNORM -> tasks.graph().task(tasks.name(TaskKind.NORMS, taskName), Normalization::layerNorm, x, weight, bias, out, rows, width, eps);
        case RMSNORM -> tasks.graph().task(tasks.name(TaskKind.NORMS, taskName), Normalization::rmsNorm, x, weight, out, rows, width, eps);
        case NONE -> {
            return x;
        }
        }
        return out;
    }

    /**
     * Elements its kernel reads: the weight and a LayerNorm's bias (also the zeros of a bias-free one); from the kind,
     * as a model described without weights has no arrays.
     */
    long weightElements() {
        return (kind == Norm.NONE ? 0 : width) + (kind == Norm.LAYERNORM ? width : 0);
    }

    static long flops(int rows, int width) {
        return 8L * rows * width;
    }

    // ---------------------------------------------------------------- training

    /** What a training graph sends besides the parameters: the zero bias of a bias-free LayerNorm. */
    void addTrainingConstantsTo(List<Object> constants) {
        if (bias != null && !biasParameter) {
            constants.add(bias);
        }
    }

    /** {@link #addTask} under the layer's prefix in a training graph; {@code out} must not be {@code x} (the backward reads x). */
    FloatArray addTrainingForward(TrainingTasks tasks, String taskName, FloatArray x, FloatArray out, int rows) {
        switch (kind) {
        case LAYERNORM -> tasks.graph().task(tasks.name(taskName), Normalization::layerNorm, x, weight, bias, out, rows, width, eps);
        case RMSNORM -> tasks.graph().task(tasks.name(taskName), Normalization::rmsNorm, x, weight, out, rows, width, eps);
        case NONE -> {
            return x;
        }
        }
        return out;
    }

    /**
     * The backward of the norm of {@code x} for {@code dOut}: writes {@code dx} (which must be neither x nor dOut) and
     * accumulates the weight (and bias) gradients; returns dx, or dOut itself when there is no norm.
     */
    FloatArray addBackward(TrainingTasks tasks, String taskName, FloatArray x, FloatArray dOut, FloatArray dx, int rows) {
        switch (kind) {
        case LAYERNORM -> {
            FloatArray statistics = tasks.scratch("norm_statistics", rows * Normalization.LAYER_NORM_STATISTICS);
            tasks.graph().task(tasks.name(taskName + "_dx"), Normalization::layerNormBackward, x, weight, dOut, dx, statistics, rows, width, eps);
            // Without a bias the kernel's dBias is never touched, but it must still be an array of its own: TornadoVM
            // 5.2.1 never finishes scheduling a task that takes an array it writes again as a later argument (README,
            // "Limits worth knowing").
            FloatArray dBias = biasParameter ? tasks.gradient(bias) : tasks.scratch("unused_norm_bias_gradient", 1);
            tasks.graph().task(tasks.name(taskName + "_dw"), Normalization::layerNormParameterGradients, x, dOut, statistics, tasks.gradient(weight),
                    dBias, rows, width, KernelCodes.hasBias(biasParameter));
        }
        case RMSNORM -> {
            FloatArray inverseRms = tasks.scratch("norm_statistics", rows);
            tasks.graph().task(tasks.name(taskName + "_dx"), Normalization::rmsNormBackward, x, weight, dOut, dx, inverseRms, rows, width, eps);
            tasks.graph().task(tasks.name(taskName + "_dw"), Normalization::rmsNormWeightGradients, x, dOut, inverseRms, tasks.gradient(weight), rows,
                    width);
        }
        case NONE -> {
            return dOut;
        }
        }
        return dx;
    }
}
