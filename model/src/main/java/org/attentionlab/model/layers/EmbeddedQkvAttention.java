package org.attentionlab.model.layers;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.model.config.ModelConfig;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TokenLayer;
import org.attentionlab.model.weights.Parameters;
import org.attentionlab.model.weights.Parameters.Init;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The APE notebook's model: token ids → an embedding of width 3·d ({@code embedding.weight}, [vocab, 3d])
 * split into q, k and v without projections → attention with the layer's bias (APE by default).
 */
public final class EmbeddedQkvAttention implements TokenLayer {

    private final ModelConfig model;
    private final int width;
    private final FloatArray table;
    private final AttentionCore attention;

    public EmbeddedQkvAttention(ModelConfig model, Parameters parameters) {
        this.model = model;
        this.width = model.hiddenSize();
        this.table = parameters.add("embedding.weight", new Init.Normal(1.0), model.vocabSize(), 3 * width);
        this.attention = new AttentionCore(model, model.layers().get(0), model.numAttentionHeads(), model.numAttentionHeads(), model.headDim());
    }

    @Override
    public int vocabSize() {
        return model.vocabSize();
    }

    @Override
    public String describe() {
        return "embedded qkv " + model.vocabSize() + " x 3*" + width + " -> attention (" + attention.describe() + ")";
    }

    @Override
    public List<Object> deviceConstants() {
        List<Object> constants = new ArrayList<>();
        constants.add(table);
        attention.addConstantsTo(constants);
        return constants;
    }

    @Override
    public int outputWidth() {
        return width;
    }

    @Override
    public FloatArray addTasks(LayerTasks tasks, IntArray tokenIds) {
        int rows = tasks.shape().rows();
        FloatArray q = tasks.scratch("q", rows * width);
        FloatArray k = tasks.scratch("k", rows * width);
        FloatArray v = tasks.scratch("v", rows * width);
        FloatArray out = tasks.scratch("stream", rows * width);
        tasks.graph().task("embedded_qkv", LinearKernels::embeddedQkv, tokenIds, table, q, k, v, rows, width, model.vocabSize());
        attention.addTasks(tasks, q, k, v, out);
        return out;
    }

    @Override
    public long flops(int batch, int seqLen) {
        return attention.flops(batch, seqLen);
    }

    @Override
    public long activationBytes(int batch, int seqLen) {
        return 16L * batch * seqLen * width + attention.scratchBytes(batch, seqLen);
    }
}
