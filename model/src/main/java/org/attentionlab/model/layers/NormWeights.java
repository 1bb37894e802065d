package org.attentionlab.model.layers;

import org.attentionlab.kernels.Normalization;
import org.attentionlab.model.config.Norm;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.weights.Parameters;
import org.attentionlab.model.weights.Parameters.Init;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** A LayerNorm (weight and bias, as torch.nn.LayerNorm) or an RMSNorm (weight only) over the last dimension. */
final class NormWeights {

    private final Norm kind;
    private final int width;
    private final float eps;
    final FloatArray weight;
    final FloatArray bias;

    NormWeights(Parameters parameters, String name, Norm kind, int width, double eps) {
        this.kind = kind;
        this.width = width;
        this.eps = (float) eps;
        this.weight = parameters.add(name + ".weight", Init.ones(), width);
        this.bias = kind == Norm.LAYERNORM ? parameters.add(name + ".bias", Init.zeros(), width) : null;
    }

    void addWeightsTo(java.util.List<Object> weights) {
        weights.add(weight);
        if (bias != null) {
            weights.add(bias);
        }
    }

    /** Adds the task normalising {@code x} into {@code out} (they may be the same array: rows are read before written). */
    void addTask(LayerTasks tasks, String taskName, FloatArray x, FloatArray out, int rows) {
        if (kind == Norm.LAYERNORM) {
            tasks.graph().task(taskName, Normalization::layerNorm, x, weight, bias, out, rows, width, eps);
        } else {
            tasks.graph().task(taskName, Normalization::rmsNorm, x, weight, out, rows, width, eps);
        }
    }

    static long flops(int rows, int width) {
        return 8L * rows * width;
    }
}
