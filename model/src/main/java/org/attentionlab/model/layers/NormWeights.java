package org.attentionlab.model.layers;

import java.util.List;

import org.attentionlab.kernels.Normalization;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormSpec;
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

    NormWeights(Parameters parameters, String name, NormSpec spec, int width) {
        this.kind = spec.kind();
        this.width = width;
        this.eps = (float) spec.eps();
        this.weight = kind == Norm.NONE ? null : parameters.add(name + ".weight", Init.ones(), width);
        this.bias = kind != Norm.LAYERNORM ? null : spec.bias() ? parameters.add(name + ".bias", Init.zeros(), width) : zeros(width);
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
    }

    /**
     * Adds the task normalising {@code x} into {@code out} (they may be the same array: each row is read before
     * it is written); returns where the result is: {@code out}, or {@code x} itself when there is no norm.
     */
    FloatArray addTask(LayerTasks tasks, String taskName, FloatArray x, FloatArray out, int rows) {
        switch (kind) {
        case LAYERNORM -> tasks.graph().task(taskName, Normalization::layerNorm, x, weight, bias, out, rows, width, eps);
        case RMSNORM -> tasks.graph().task(taskName, Normalization::rmsNorm, x, weight, out, rows, width, eps);
        case NONE -> {
            return x;
        }
        }
        return out;
    }

    static long flops(int rows, int width) {
        return 8L * rows * width;
    }
}
