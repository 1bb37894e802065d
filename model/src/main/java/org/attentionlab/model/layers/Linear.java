package org.attentionlab.model.layers;

import java.util.List;

import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.model.exec.LayerTasks;
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

    void addTask(LayerTasks tasks, String taskName, FloatArray x, FloatArray y, int rows) {
        tasks.graph().task(taskName, LinearKernels::linear, new KernelContext(), x, weight, biasArgument, y, rows, in, out, KernelCodes.hasBias(hasBias()));
        tasks.grid(taskName, LinearKernels.linearGrid(rows, out));
    }

    long flops(int rows) {
        return 2L * rows * in * out;
    }
}
