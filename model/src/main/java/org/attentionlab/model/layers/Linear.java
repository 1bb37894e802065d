package org.attentionlab.model.layers;

import java.util.List;

import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.kernels.MatrixMultiply;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.weights.Parameters;
import org.attentionlab.model.weights.Parameters.Init;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** A torch.nn.Linear: weight [out, in], bias [out]; y = x·Wᵀ + b on rows of x. */
final class Linear {

    final int in;
    final int out;
    final FloatArray weight;
    final FloatArray bias;

    Linear(Parameters parameters, String name, int in, int out) {
        this.in = in;
        this.out = out;
        this.weight = parameters.add(name + ".weight", Init.linear(in), out, in);
        this.bias = parameters.add(name + ".bias", Init.linear(in), out);
    }

    void addWeightsTo(List<Object> weights) {
        weights.add(weight);
        weights.add(bias);
    }

    void addTask(LayerTasks tasks, String taskName, FloatArray x, FloatArray y, int rows) {
        tasks.graph().task(taskName, LinearKernels::linear, new KernelContext(), x, weight, bias, y, rows, in, out, 1);
        tasks.grid(taskName, LinearKernels.linearGrid(rows, out));
    }

    long flops(int rows) {
        return 2L * rows * in * out;
    }

    // ---------------------------------------------------------------- training

    /** {@link #addTask} under the layer's prefix in a training graph. */
    void addTrainingForward(TrainingTasks tasks, String taskName, FloatArray x, FloatArray y, int rows) {
        tasks.graph().task(tasks.name(taskName), LinearKernels::linear, new KernelContext(), x, weight, bias, y, rows, in, out, 1);
        tasks.grid(taskName, LinearKernels.linearGrid(rows, out));
    }

    /**
     * The backward of {@code y = x Wᵀ + b} for {@code dY}: {@code dW += dYᵀ x}, {@code db += Σ_rows dY}, and, when
     * {@code dX} is not null, {@code dX = dY W} ({@code dX += dY W} with {@code accumulateInput}).
     */
    void addBackward(TrainingTasks tasks, String taskName, FloatArray x, FloatArray dY, FloatArray dX, boolean accumulateInput, int rows) {
        tasks.graph().task(tasks.name(taskName + "_dw"), MatrixMultiply::product, new KernelContext(), dY, x, tasks.gradient(weight), out, rows, in, 1, 1);
        tasks.grid(taskName + "_dw", MatrixMultiply.grid(out, in));
        tasks.graph().task(tasks.name(taskName + "_db"), MatrixMultiply::columnSums, dY, tasks.gradient(bias), rows, out, 1);
        if (dX != null) {
            tasks.graph().task(tasks.name(taskName + "_dx"), MatrixMultiply::product, new KernelContext(), dY, weight, dX, rows, out, in, 0,
                    accumulateInput ? 1 : 0);
            tasks.grid(taskName + "_dx", MatrixMultiply.grid(rows, in));
        }
    }
}
