package org.attentionlab.model.layers;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.exec.TokenLayer;
import org.attentionlab.model.exec.TrainableTokenLayer;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.weights.Parameters;
import org.attentionlab.model.weights.Parameters.Init;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The APE notebook's model: token ids → an embedding of width 3·d ({@code embedding.weight}, [vocab, 3d])
 * split into q, k and v without projections → attention with the layer's bias (APE by default).
 */
public final class EmbeddedQkvAttention implements TrainableTokenLayer {

    private final int vocabSize;
    private final int width;
    private final BlockSpec layer;
    private final FloatArray table;
    private final AttentionCore attention;

    /** {@code layer}: the attention of the one layer (its q, k and v are as wide as the embedding's thirds). */
    public EmbeddedQkvAttention(Parameters parameters, int vocabSize, int width, BlockSpec layer) {
        if (layer.attention().queryWidth() != width || layer.attention().keyValueWidth() != width) {
            throw new IllegalArgumentException("embedded q, k and v are " + width + " wide; the attention needs " + layer.attention().queryWidth()
                    + " and " + layer.attention().keyValueWidth());
        }
        this.vocabSize = vocabSize;
        this.width = width;
        this.layer = layer;
        this.table = parameters.add("embedding.weight", new Init.Normal(1.0), vocabSize, 3 * width);
        this.attention = new AttentionCore(layer.index(), layer.attention());
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public String describe() {
        return "embedded qkv " + vocabSize + " x 3*" + width + " -> attention (" + layer.describe() + ")";
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
        tasks.graph().task(tasks.name(TaskKind.EMBEDDING, "embedded_qkv"), LinearKernels::embeddedQkv, tokenIds, table, q, k, v, rows, width, vocabSize);
        attention.addTasks(tasks, q, k, v, out);
        return out;
    }

    @Override
    public long weightsRead(int batch, int seqLen) {
        return (long) batch * seqLen * 3 * width;
    }

    @Override
    public long flops(int batch, int seqLen) {
        return attention.flops(batch, seqLen);
    }

    @Override
    public List<Buffer> buffers(int batch, int seqLen) {
        long rows = (long) batch * seqLen;
        List<Buffer> buffers = new ArrayList<>(List.of(Buffer.of("q", rows, width), Buffer.of("k", rows, width), Buffer.of("v", rows, width),
                Buffer.of("stream", rows, width)));
        buffers.addAll(attention.buffers(batch, seqLen));
        return buffers;
    }

    // ---------------------------------------------------------------- training

    @Override
    public List<Object> trainingConstants() {
        List<Object> constants = new ArrayList<>();
        attention.addConstantsTo(constants);
        return constants;
    }

    /** The forward above into buffers of its own; the backward scatters dq, dk and dv into their thirds of the table's rows. */
    @Override
    public TrainingForward addTrainingForward(TrainingTasks tasks, IntArray tokenIds) {
        int rows = tasks.shape().rows();
        FloatArray q = tasks.keep("q", rows * width);
        FloatArray k = tasks.keep("k", rows * width);
        FloatArray v = tasks.keep("v", rows * width);
        FloatArray out = tasks.keep("attention", rows * width);
        tasks.graph().task(tasks.name("embedded_qkv"), LinearKernels::embeddedQkv, tokenIds, table, q, k, v, rows, width, vocabSize);
        AttentionCore.Backward attentionBackward = attention.addTrainingForward(tasks, q, k, v, out);
        return new TrainingForward(out, (t, dOut) -> {
            FloatArray dq = t.scratch("dq", rows * width);
            FloatArray dk = t.scratch("dk", rows * width);
            FloatArray dv = t.scratch("dv", rows * width);
            attentionBackward.addTasks(t, dOut, dq, dk, dv);
            t.graph().task(t.name("embedded_qkv_backward"), LinearKernels::embeddedQkvBackward, tokenIds, dq, dk, dv, t.gradient(table), rows, width,
                    vocabSize);
            return null;
        });
    }
}
