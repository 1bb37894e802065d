package org.attentionlab.model.layers;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.kernels.Activations;
import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.FfnSpec;
import org.attentionlab.model.spec.HiddenAct;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.weights.Parameters;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A transformer block on a residual stream of {@code width} features:
 * <ul>
 * <li>pre-norm: {@code x + drop(attn(LN(x)))}, then {@code + drop(FFN(LN(x)))};</li>
 * <li>post-norm: {@code LN(x + drop(attn(x)))}, then {@code LN(x + drop(FFN(x)))};</li>
 * <li>parallel (Cohere2): {@code x + drop(attn(LN(x))) + drop(FFN(LN(x)))} with one norm.</li>
 * </ul>
 * FFN = up_proj → activation → down_proj, or, gated (SwiGLU, GeGLU), down_proj(act(gate_proj(x)) * up_proj(x)); a
 * block may have no FFN ({@code intermediate_size: 0}, the default of the hybrid LSTM model's attention): then it has
 * no ffn_norm either. A layer whose position embedding is sinusoidal first adds the encoding to its input stream.
 * Parameters ({@code <prefix>} = {@code layers.<index>}): {@code <prefix>.attn_norm},
 * {@code <prefix>.attn.{q,k,v,o}_proj}, {@code <prefix>.ffn_norm}, {@code <prefix>.ffn.{gate,up,down}_proj}, as
 * PyTorch modules of those names would call them; projections without biases ({@code attention_bias},
 * {@code mlp_bias} false) and norms without them ({@code norm_bias} false) have no {@code .bias} tensors.
 */
public final class TransformerBlock implements Layer {

    /** The two residual updates of a block: their tasks' name prefix and their dropout stream. */
    private enum Residual {
        ATTENTION("attn", 0), FEED_FORWARD("ffn", 1);

        final String taskPrefix;
        final int dropoutStream;

        Residual(String taskPrefix, int dropoutStream) {
            this.taskPrefix = taskPrefix;
            this.dropoutStream = dropoutStream;
        }
    }

    private final BlockSpec block;
    private final int width;
    private final int qWidth;
    private final int kvWidth;
    private final NormPosition position;
    private final NormWeights attnNorm;
    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear oProj;
    private final NormWeights ffnNorm;
    /** Null unless the FFN is gated. */
    private final Linear gateProj;
    private final Linear upProj;
    private final Linear downProj;
    private final HiddenAct act;
    private final AttentionCore attention;
    /**
     * q, k and v projection weights side by side, [q + 2 kv, width], for the fused projection kernel; allocated when
     * the block is first run, so that a model built only to be described allocates no weights.
     */
    private FloatArray qkvWeight;
    /** Their biases side by side, or one element the kernel does not read (no attention bias). */
    private FloatArray qkvBias;

    /** A block on a residual stream of {@code width} features; its parameters are {@code layers.<index>.*}. */
    public TransformerBlock(BlockSpec block, Parameters parameters, int width) {
        String prefix = "layers." + block.index();
        this.block = block;
        this.width = width;
        this.qWidth = block.attention().queryWidth();
        this.kvWidth = block.attention().keyValueWidth();
        this.position = block.normPosition();
        this.attnNorm = new NormWeights(parameters, prefix + ".attn_norm", block.norm(), width);
        boolean attentionBias = block.attentionBias();
        this.qProj = new Linear(parameters, prefix + ".attn.q_proj", width, qWidth, attentionBias);
        this.kProj = new Linear(parameters, prefix + ".attn.k_proj", width, kvWidth, attentionBias);
        this.vProj = new Linear(parameters, prefix + ".attn.v_proj", width, kvWidth, attentionBias);
        this.oProj = new Linear(parameters, prefix + ".attn.o_proj", qWidth, width, attentionBias);
        FfnSpec ffn = block.ffn().orElse(null);
        this.ffnNorm = ffn != null && position != NormPosition.PARALLEL ? new NormWeights(parameters, prefix + ".ffn_norm", block.norm(), width) : null;
        this.gateProj = ffn != null && ffn.gated() ? new Linear(parameters, prefix + ".ffn.gate_proj", width, ffn.size(), ffn.bias()) : null;
        this.upProj = ffn != null ? new Linear(parameters, prefix + ".ffn.up_proj", width, ffn.size(), ffn.bias()) : null;
        this.downProj = ffn != null ? new Linear(parameters, prefix + ".ffn.down_proj", ffn.size(), width, ffn.bias()) : null;
        this.act = ffn != null ? ffn.act() : null;
        this.attention = new AttentionCore(block.attention());
    }

    @Override
    public String describe() {
        String ffn = gateProj == null ? "" : ", " + block.ffn().orElseThrow().type().yamlName();
        return (upProj == null ? "attention" : "block") + " " + block.index() + " (" + block.describe() + ffn + ", " + position.yamlName() + "-norm)";
    }

    @Override
    public int outputWidth() {
        return width;
    }

    @Override
    public List<Object> deviceConstants() {
        packQkv();
        List<Object> constants = new ArrayList<>();
        attnNorm.addWeightsTo(constants);
        constants.add(qkvWeight);
        constants.add(qkvBias);
        oProj.addWeightsTo(constants);
        if (ffnNorm != null) {
            ffnNorm.addWeightsTo(constants);
        }
        if (gateProj != null) {
            gateProj.addWeightsTo(constants);
        }
        if (upProj != null) {
            upProj.addWeightsTo(constants);
            downProj.addWeightsTo(constants);
        }
        attention.addConstantsTo(constants);
        return constants;
    }

    private int packedBiasSize() {
        return block.attentionBias() ? qWidth + 2 * kvWidth : 1;
    }

    /** Copies the current q/k/v projection parameters (seeded or loaded) into the fused layout. */
    private void packQkv() {
        if (qkvWeight == null) {
            qkvWeight = new FloatArray((qWidth + 2 * kvWidth) * width);
            qkvBias = new FloatArray(packedBiasSize());
        }
        int at = 0;
        for (Linear p : List.of(qProj, kProj, vProj)) {
            for (int i = 0; i < p.weight.getSize(); i++) {
                qkvWeight.set(at * width + i, p.weight.get(i));
            }
            for (int i = 0; p.hasBias() && i < p.out; i++) {
                qkvBias.set(at + i, p.bias.get(i));
            }
            at += p.out;
        }
    }

    @Override
    public FloatArray addTasks(LayerTasks tasks, FloatArray x) {
        int rows = tasks.shape().rows();
        block.sinusoidalInput().ifPresent(variant -> InputEncoding.addSinusoidal(tasks, x, width, variant));
        FloatArray normed = tasks.scratch("normed", rows * width);
        FloatArray update = tasks.scratch("update", rows * width);
        switch (position) {
        case PRE -> {
            addAttention(tasks, attnNorm.addTask(tasks, "attn_norm", x, normed, rows), update);
            addResidual(tasks, Residual.ATTENTION, x, update, rows);
            if (upProj != null) {
                addFeedForward(tasks, ffnNorm.addTask(tasks, "ffn_norm", x, normed, rows), update);
                addResidual(tasks, Residual.FEED_FORWARD, x, update, rows);
            }
        }
        case POST -> {
            addAttention(tasks, x, update);
            addResidual(tasks, Residual.ATTENTION, x, update, rows);
            attnNorm.addTask(tasks, "attn_norm", x, x, rows);
            if (upProj != null) {
                addFeedForward(tasks, x, update);
                addResidual(tasks, Residual.FEED_FORWARD, x, update, rows);
                ffnNorm.addTask(tasks, "ffn_norm", x, x, rows);
            }
        }
        case PARALLEL -> {
            FloatArray h = attnNorm.addTask(tasks, "attn_norm", x, normed, rows);
            addAttention(tasks, h, update);
            if (upProj != null) {
                FloatArray ffnUpdate = tasks.scratch("ffn_update", rows * width);
                addFeedForward(tasks, h, ffnUpdate);
                addResidual(tasks, Residual.FEED_FORWARD, x, ffnUpdate, rows);
            }
            addResidual(tasks, Residual.ATTENTION, x, update, rows);
        }
        }
        return x;
    }

    private void addAttention(LayerTasks tasks, FloatArray input, FloatArray out) {
        int rows = tasks.shape().rows();
        FloatArray q = tasks.scratch("q", rows * qWidth);
        FloatArray k = tasks.scratch("k", rows * kvWidth);
        FloatArray v = tasks.scratch("v", rows * kvWidth);
        FloatArray heads = tasks.scratch("attention", rows * qWidth);
        if (qkvWeight == null) {
            packQkv();
        }
        tasks.graph().task("qkv_proj", LinearKernels::qkvProjection, new KernelContext(), input, qkvWeight, qkvBias, q, k, v, rows, width, qWidth, kvWidth,
                KernelCodes.hasBias(block.attentionBias()));
        tasks.grid("qkv_proj", LinearKernels.qkvGrid(rows, qWidth, kvWidth));
        attention.addTasks(tasks, q, k, v, heads);
        oProj.addTask(tasks, "o_proj", heads, out, rows);
    }

    private void addFeedForward(LayerTasks tasks, FloatArray input, FloatArray out) {
        int rows = tasks.shape().rows();
        int size = rows * upProj.out;
        FloatArray hidden = tasks.scratch("ffn_hidden", size);
        if (gateProj == null) {
            upProj.addTask(tasks, "up_proj", input, hidden, rows);
            Activation.addTask(tasks, "ffn_act", act, hidden, size);
        } else {
            FloatArray gate = tasks.scratch("ffn_gate", size);
            FloatArray up = tasks.scratch("ffn_up", size);
            gateProj.addTask(tasks, "gate_proj", input, gate, rows);
            upProj.addTask(tasks, "up_proj", input, up, rows);
            Activation.addGatedTask(tasks, "ffn_act", act, gate, up, hidden, size);
        }
        downProj.addTask(tasks, "down_proj", hidden, out, rows);
    }

    /** x += drop(update); dropout only in runs that ask for it. */
    private void addResidual(LayerTasks tasks, Residual residual, FloatArray x, FloatArray update, int rows) {
        if (tasks.shape().dropout() && block.dropout() > 0) {
            int seed = tasks.shape().dropoutSeed() * 1_000_003 + block.index() * 2 + residual.dropoutStream;
            tasks.graph().task(residual.taskPrefix + "_dropout", Activations::dropout, update, update, rows * width, (float) block.dropout(), seed);
        }
        tasks.graph().task(residual.taskPrefix + "_residual", Activations::accumulate, x, update, rows * width);
    }

    @Override
    public long flops(int batch, int seqLen) {
        int rows = batch * seqLen;
        long f = 2L * rows * width * (qWidth + 2L * kvWidth) + oProj.flops(rows) + attention.flops(batch, seqLen) + NormWeights.flops(rows, width);
        if (upProj != null) {
            f += upProj.flops(rows) + downProj.flops(rows) + 8L * rows * upProj.out + NormWeights.flops(rows, width);
        }
        if (gateProj != null) {
            f += gateProj.flops(rows) + (long) rows * gateProj.out;
        }
        return f + 2L * rows * width;
    }

    @Override
    public List<Buffer> buffers(int batch, int seqLen) {
        long rows = (long) batch * seqLen;
        List<Buffer> buffers = new ArrayList<>(List.of(Buffer.of("normed", rows, width), Buffer.of("update", rows, width), Buffer.of("q", rows, qWidth),
                Buffer.of("k", rows, kvWidth), Buffer.of("v", rows, kvWidth), Buffer.of("attention", rows, qWidth)));
        buffers.addAll(attention.buffers(batch, seqLen));
        if (upProj != null) {
            buffers.add(Buffer.of("ffn_hidden", rows, upProj.out));
            if (gateProj != null) {
                buffers.add(Buffer.of("ffn_gate", rows, upProj.out));
                buffers.add(Buffer.of("ffn_up", rows, upProj.out));
            }
            if (position == NormPosition.PARALLEL) {
                buffers.add(Buffer.of("ffn_update", rows, width));
            }
        }
        return buffers;
    }

    @Override
    public List<Buffer> packedWeights() {
        return List.of(Buffer.of("qkv_weight", qWidth + 2L * kvWidth, width), new Buffer("qkv_bias", packedBiasSize()));
    }
}
