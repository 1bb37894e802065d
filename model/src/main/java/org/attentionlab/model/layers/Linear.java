package org.attentionlab.model.layers;

import java.util.List;

import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.model.exec.LayerTasks;
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
}
