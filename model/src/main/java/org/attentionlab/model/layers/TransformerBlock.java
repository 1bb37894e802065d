package org.attentionlab.model.layers;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.kernels.Activations;
import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.kernels.MatrixMultiply;
import org.attentionlab.kernels.SinusoidalEncoding;
import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.DeferredTask;
import org.attentionlab.model.exec.KvCaches;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.exec.LaunchGeometry;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.exec.TrainingTasks;
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
public final class TransformerBlock implements TrainableLayer {

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
        this.attention = new AttentionCore(block.index(), block.attention());
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

    /**
     * The block in a handful of tasks: the norms, the fused q/k/v projection, the attention core, o_proj adding its
     * result into the residual stream x ({@link MatrixMultiply#linear}'s accumulating epilogue), the up projection with
     * the activation in its epilogue (gated: {@link MatrixMultiply#gatedLinear}), down_proj adding into x. Post-norm
     * adds the same way and normalises x after. A run with dropout writes each residual update into {@code normed}
     * (free by then), drops it and adds it as separate tasks. Pre-norm on register tiles (PoCL) normalises inside the
     * q/k/v and up (gated: gate and up) projections where {@link NormWeights#fusedGroupRows} allows: two tasks fewer
     * per block, the same bits (the norm kernels' own code, into {@code normed}); an ungated one without dropout also runs
     * o_proj's residual add in the up projection's task ({@link #residualNormGroupRows}), a third task fewer, and down_proj
     * with its residual add too ({@link FeedForward}), a fourth. The same sums as the separate tasks of the training
     * forward, in the same order, so the same values on the plain JVM; a device may round the fused ones differently.
     */
    @Override
    public FloatArray addTasks(LayerTasks tasks, FloatArray x) {
        int rows = tasks.shape().rows();
        ModelExecution.InputCopy inputCopy = inputCopyToFuse(tasks, x);
        block.sinusoidalInput().ifPresent(variant -> InputEncoding.addSinusoidal(tasks, x, width, variant));
        FloatArray normed = tasks.scratch("normed", rows * width);
        switch (position) {
        case PRE -> {
            FloatArray heads = addAttention(tasks, inputCopy, attnNorm, x, normed);
            int feedForwardGroupRows = upProj == null ? 0 : residualNormGroupRows(tasks);
            if (upProj == null) {
                addResidual(tasks, Residual.ATTENTION, oProj, heads, x, normed);
            } else if (feedForwardGroupRows > 0) {
                FeedForward feedForward = new FeedForward(this, heads, x, normed, tasks.scratch("ffn_hidden", rows * upProj.out), feedForwardGroupRows);
                if (tasks.canDefer()) {
                    tasks.defer(feedForward);
                } else {
                    feedForward.addTo(tasks);
                }
            } else {
                FloatArray hidden = addAttentionResidualAndFeedForwardHidden(tasks, heads, x, normed);
                if (defersDownProjection(tasks)) {
                    tasks.defer(new ResidualProjection(downProj, hidden, x));
                } else {
                    addResidual(tasks, Residual.FEED_FORWARD, downProj, hidden, x, normed);
                }
            }
        }
        case POST -> {
            addResidual(tasks, Residual.ATTENTION, oProj, addAttention(tasks, x), x, normed);
            attnNorm.addTask(tasks, "attn_norm", x, x, rows);
            if (upProj != null) {
                addResidual(tasks, Residual.FEED_FORWARD, downProj, addFeedForwardHidden(tasks, x), x, normed);
                ffnNorm.addTask(tasks, "ffn_norm", x, x, rows);
            }
        }
        case PARALLEL -> {
            // x + ffn(h) + attn(h): both branches read h before either adds into x, the FFN's update first (as the
            // training forward adds them).
            FloatArray h = attnNorm.addTask(tasks, "attn_norm", x, normed, rows);
            FloatArray heads = addAttention(tasks, h);
            if (upProj != null) {
                addResidual(tasks, Residual.FEED_FORWARD, downProj, addFeedForwardHidden(tasks, h), x, normed);
            }
            addResidual(tasks, Residual.ATTENTION, oProj, heads, x, normed);
        }
        }
        return x;
    }

    /**
     * {@link #addAttention(LayerTasks, FloatArray)} of {@code norm(x)}, the norm inside the q/k/v projection where the
     * geometry allows ({@code normed}: its output), and in the same task the copy of the model's input into x where this
     * first block takes it ({@code inputCopy} not null: {@link #inputCopyToFuse}).
     */
    private FloatArray addAttention(LayerTasks tasks, ModelExecution.InputCopy inputCopy, NormWeights norm, FloatArray x, FloatArray normed) {
        int rows = tasks.shape().rows();
        if (inputCopy != null) {
            QkvBuffers out = qkvBuffers(tasks);
            int groupRows = inputCopyGroupRows(tasks);
            tasks.graph().task(tasks.name(TaskKind.PROJECTIONS, INPUT_QKV_TASK), LinearKernels::inputNormQkvProjectionTiled, new KernelContext(),
                    inputCopy.input(), x, norm.weight, norm.biasArgument(), normed, qkvWeight, qkvBias, out.q, out.k, out.v, rows, width, qWidth, kvWidth,
                    groupRows, norm.kernelCode(), norm.eps(), attention.qkvStoreCode(tasks, block.attentionBias()), tasks.geometry().vectorLanes());
            tasks.grid(INPUT_QKV_TASK, tasks.geometry().normProjection(rows, Math.max(width, qWidth + 2 * kvWidth), groupRows));
            attention.addTasks(tasks, out.q, out.k, out.v, out.heads, attention.kvLayout(tasks));
            return out.heads;
        }
        int groupRows = norm.fusedGroupRows(tasks, qWidth + 2 * kvWidth);
        if (groupRows == 0) {
            return addAttention(tasks, norm.addTask(tasks, "attn_norm", x, normed, rows));
        }
        QkvBuffers out = qkvBuffers(tasks);
        tasks.graph().task(tasks.name(TaskKind.PROJECTIONS, "attn_norm_qkv_proj"), LinearKernels::normQkvProjectionTiled, new KernelContext(), x, norm.weight,
                norm.biasArgument(), normed, qkvWeight, qkvBias, out.q, out.k, out.v, rows, width, qWidth, kvWidth, groupRows, norm.kernelCode(), norm.eps(),
                attention.qkvStoreCode(tasks, block.attentionBias()), tasks.geometry().vectorLanes());
        tasks.grid("attn_norm_qkv_proj", tasks.geometry().normProjection(rows, qWidth + 2 * kvWidth, groupRows));
        attention.addTasks(tasks, out.q, out.k, out.v, out.heads, attention.kvLayout(tasks));
        return out.heads;
    }

    /**
     * {@code x += input Wᵀ (+ b)} of {@code projection}: a pre-norm block's down projection and residual add, deferred
     * to the layer after it ({@link #defersDownProjection}; where o_proj and the up projection are one task, all of them
     * are deferred together, {@link FeedForward}): the output head runs it with the final norm
     * ({@link OutputHead#RESIDUAL_NORM_TASK}); any other layer, the next block included, adds it as the task it would
     * have been. (Run inside the next block's norm and q/k/v task, it made rnope-swa at L = 128 slower on PoCL, with its
     * input staged 1024 values deep, a 64 KB panel; in {@link FeedForward}'s task, staged 256 deep, it is faster.)
     */
    record ResidualProjection(Linear projection, FloatArray input, FloatArray x) implements DeferredTask {
        @Override
        public void addTo(LayerTasks tasks) {
            projection.addTask(tasks, TaskKind.FFN, "down_proj", input, x, tasks.shape().rows(), null, true);
        }
    }

    /**
     * Whether this block leaves its down projection and residual add to the layer after it: in a model's pass without
     * dropout (a dropped update is a task of its own), where the geometry fuses norms into projections for these rows
     * ({@link LaunchGeometry#normGroupRows}), as the output head would.
     */
    private boolean defersDownProjection(LayerTasks tasks) {
        boolean dropout = tasks.shape().dropout() && block.dropout() > 0;
        return tasks.canDefer() && !dropout && tasks.geometry().normGroupRows(tasks.shape().rows(), width) > 0;
    }

    /** A block takes the task deferred to it: the model's input copy it may fuse ({@link #inputCopyToFuse}), else adds it first. */
    @Override
    public boolean fusesDeferredTask() {
        return true;
    }

    /** The task of a model's first block that copies the model's input into the stream x with its attn_norm and q/k/v projection. */
    public static final String INPUT_QKV_TASK = "input_attn_norm_qkv_proj";

    /**
     * The copy of the model's input into x that this block runs in its first task ({@link #INPUT_QKV_TASK}), or null after
     * adding any deferred task as its own: a pre-norm block without a sinusoidal input (whose encoding would come
     * between) that the copy writes, where {@link #inputCopyGroupRows} finds a group size.
     */
    private ModelExecution.InputCopy inputCopyToFuse(LayerTasks tasks, FloatArray x) {
        if (tasks.deferred() instanceof ModelExecution.InputCopy copy && position == NormPosition.PRE && block.sinusoidalInput().isEmpty() && copy.stream() == x
                && inputCopyGroupRows(tasks) > 0) {
            tasks.consumeDeferred();
            return copy;
        }
        tasks.addDeferred();
        return null;
    }

    /** Rows per work-group of {@link #INPUT_QKV_TASK}: the norm fused into a projection as wide as the wider of the copy and q/k/v ({@link NormWeights#fusedGroupRows}). */
    private int inputCopyGroupRows(LayerTasks tasks) {
        return attnNorm.fusedGroupRows(tasks, Math.max(width, qWidth + 2 * kvWidth));
    }

    /** The attention branch's buffers: q, k, v and the heads' outputs. */
    private record QkvBuffers(FloatArray q, FloatArray k, FloatArray v, FloatArray heads) {
    }

    private QkvBuffers qkvBuffers(LayerTasks tasks) {
        int rows = tasks.shape().rows();
        if (qkvWeight == null) {
            packQkv();
        }
        return new QkvBuffers(tasks.scratch("q", rows * qWidth), tasks.scratch("k", rows * kvWidth), tasks.scratch("v", rows * kvWidth),
                tasks.scratch("attention", rows * qWidth));
    }

    /** The fused q/k/v projection of {@code input} and the attention core; returns the heads' outputs (o_proj's input). */
    private FloatArray addAttention(LayerTasks tasks, FloatArray input) {
        int rows = tasks.shape().rows();
        QkvBuffers out = qkvBuffers(tasks);
        if (tasks.geometry().registerTiles()) {
            tasks.graph().task(tasks.name(TaskKind.PROJECTIONS, "qkv_proj"), LinearKernels::qkvProjectionTiled, new KernelContext(), input, qkvWeight, qkvBias,
                    out.q, out.k, out.v, rows, width, qWidth, kvWidth, attention.qkvStoreCode(tasks, block.attentionBias()), tasks.geometry().vectorLanes());
        } else {
            // Row blocks (no register tiles): never flashTiled (LaunchGeometry.attentionKernel), so kvLayout is token-major.
            tasks.graph().task(tasks.name(TaskKind.PROJECTIONS, "qkv_proj"), LinearKernels::qkvProjection, new KernelContext(), input, qkvWeight, qkvBias, out.q,
                    out.k, out.v, rows, width, qWidth, kvWidth, KernelCodes.hasBias(block.attentionBias()));
        }
        tasks.grid("qkv_proj", tasks.geometry().projection(rows, qWidth + 2 * kvWidth));
        attention.addTasks(tasks, out.q, out.k, out.v, out.heads, attention.kvLayout(tasks));
        return out.heads;
    }

    /** {@link #addFeedForwardHidden(LayerTasks, FloatArray)} of {@code norm(x)}, the norm inside the up projection where the geometry allows. */
    private FloatArray addFeedForwardHidden(LayerTasks tasks, NormWeights norm, FloatArray x, FloatArray normed) {
        int rows = tasks.shape().rows();
        int groupRows = norm.fusedGroupRows(tasks, upProj.out);
        if (groupRows == 0) {
            return addFeedForwardHidden(tasks, norm.addTask(tasks, "ffn_norm", x, normed, rows));
        }
        FloatArray hidden = tasks.scratch("ffn_hidden", rows * upProj.out);
        if (gateProj == null) {
            upProj.addNormTask(tasks, TaskKind.FFN, "ffn_norm_up_proj", norm, groupRows, x, normed, hidden, rows, act);
        } else {
            Linear.addNormGatedTask(tasks, "ffn_norm_gate_up_proj", norm, groupRows, gateProj, upProj, act, x, normed, hidden, rows);
        }
        return hidden;
    }

    /** The task of o_proj, its residual add, ffn_norm and the up projection where they run as one ({@code forward --json} counts them). */
    public static final String RESIDUAL_NORM_TASK = "o_proj_ffn_norm_up_proj";

    /** The task of o_proj, its residual add, ffn_norm, the up projection, down_proj and its residual add where they run as one. */
    public static final String RESIDUAL_FEED_FORWARD_TASK = "o_proj_and_ffn";

    /**
     * A pre-norm block's update of x after its attention core, {@code x += o_proj(heads)}, then
     * {@code x += down_proj(act(up_proj(ffn_norm(x))))}: row-local, so one task where {@link #residualNormGroupRows} allows
     * ({@link MatrixMultiply#residualNormLinearTiled} with its down phase, {@link #RESIDUAL_FEED_FORWARD_TASK}). Deferred to
     * the layer after the block in a model's pass: the output head runs it as that task without the down phase
     * ({@link #RESIDUAL_NORM_TASK}) and the down projection with the final norm ({@link OutputHead#RESIDUAL_NORM_TASK}),
     * two tasks as before, where one task would then need the final norm's task of its own; any other layer adds it as
     * one task.
     */
    record FeedForward(TransformerBlock block, FloatArray heads, FloatArray x, FloatArray normed, FloatArray hidden, int groupRows) implements DeferredTask {
        @Override
        public void addTo(LayerTasks tasks) {
            block.addResidualNormTask(tasks, this, true);
        }

        /** Adds all but the down projection and its residual add, and returns those for the caller to run. */
        ResidualProjection addAllButDownProjection(LayerTasks tasks) {
            block.addResidualNormTask(tasks, this, false);
            return new ResidualProjection(block.downProj, hidden, x);
        }
    }

    private void addResidualNormTask(LayerTasks tasks, FeedForward feedForward, boolean downPhase) {
        Linear.addResidualNormTask(tasks, TaskKind.FFN, downPhase ? RESIDUAL_FEED_FORWARD_TASK : RESIDUAL_NORM_TASK, oProj, ffnNorm, feedForward.groupRows(),
                upProj, act, downProj, downPhase, feedForward.heads(), feedForward.x(), feedForward.normed(), feedForward.hidden(), tasks.shape().rows());
    }

    /** o_proj adding {@code heads} into x as a task of its own, then the feed-forward's hidden activations of ffn_norm(x) (where {@link #residualNormGroupRows} is 0). */
    private FloatArray addAttentionResidualAndFeedForwardHidden(LayerTasks tasks, FloatArray heads, FloatArray x, FloatArray normed) {
        addResidual(tasks, Residual.ATTENTION, oProj, heads, x, normed);
        return addFeedForwardHidden(tasks, ffnNorm, x, normed);
    }

    /**
     * Rows per work-group of the fused o_proj, residual add, ffn_norm and up projection ({@link FeedForward}, with or
     * without down_proj), or 0 to keep them separate tasks:
     * fused for an ungated feed-forward in a run without dropout (a dropped residual update is a task of its own; the
     * gated kernel would take more than a task's 20 arguments), where the geometry fuses a norm into a projection as wide
     * as the wider of the two ({@link NormWeights#fusedGroupRows}: register tiles, a group of items the device allows).
     */
    private int residualNormGroupRows(LayerTasks tasks) {
        boolean dropout = tasks.shape().dropout() && block.dropout() > 0;
        return gateProj != null || dropout ? 0 : ffnNorm.fusedGroupRows(tasks, Math.max(width, upProj.out));
    }

    /** The feed-forward block's hidden activations of {@code input}: act(up_proj), or act(gate_proj) * up_proj; down_proj's input. */
    private FloatArray addFeedForwardHidden(LayerTasks tasks, FloatArray input) {
        int rows = tasks.shape().rows();
        FloatArray hidden = tasks.scratch("ffn_hidden", rows * upProj.out);
        if (gateProj == null) {
            upProj.addTask(tasks, TaskKind.FFN, "up_proj", input, hidden, rows, act, false);
        } else {
            Linear.addGatedTask(tasks, "gate_up_proj", gateProj, upProj, act, input, hidden, rows);
        }
        return hidden;
    }

    /**
     * {@code x += drop(projection(input))}: one accumulating product without dropout; with it, the product into
     * {@code free} (a buffer nothing reads any more), the dropout and the add.
     */
    private void addResidual(LayerTasks tasks, Residual residual, Linear projection, FloatArray input, FloatArray x, FloatArray free) {
        int rows = tasks.shape().rows();
        TaskKind kind = residual == Residual.ATTENTION ? TaskKind.PROJECTIONS : TaskKind.FFN;
        String name = residual == Residual.ATTENTION ? "o_proj" : "down_proj";
        if (!(tasks.shape().dropout() && block.dropout() > 0)) {
            projection.addTask(tasks, kind, name, input, x, rows, null, true);
            return;
        }
        projection.addTask(tasks, kind, name, input, free, rows);
        int seed = tasks.shape().dropoutSeed() * 1_000_003 + block.index() * 2 + residual.dropoutStream;
        tasks.graph().task(tasks.name(TaskKind.RESIDUAL, residual.taskPrefix + "_dropout"), Activations::dropout, free, free, rows * width,
                (float) block.dropout(), seed);
        tasks.graph().task(tasks.name(TaskKind.RESIDUAL, residual.taskPrefix + "_residual"), Activations::accumulate, x, free, rows * width);
    }

    @Override
    public List<KvCaches.Layout> kvCacheLayouts(int maxLength) {
        return List.of(attention.cacheLayout(maxLength));
    }

    @Override
    public long weightsRead(int batch, int seqLen) {
        long elements = attnNorm.weightElements() + qProj.weightElements() + kProj.weightElements() + vProj.weightElements() + oProj.weightElements();
        for (Linear l : new Linear[] { gateProj, upProj, downProj }) {
            elements += l == null ? 0 : l.weightElements();
        }
        return elements + (ffnNorm == null ? 0 : ffnNorm.weightElements());
    }

    /** {@link Layer#bytes}, and the residual stream it updates in place (read and written by each of its two adds). */
    @Override
    public long bytes(int batch, int seqLen) {
        return TrainableLayer.super.bytes(batch, seqLen) + Float.BYTES * 2L * (upProj == null ? 1 : 2) * batch * seqLen * width;
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
        List<Buffer> buffers = new ArrayList<>(List.of(Buffer.of("normed", rows, width), Buffer.of("q", rows, qWidth), Buffer.of("k", rows, kvWidth),
                Buffer.of("v", rows, kvWidth), Buffer.of("attention", rows, qWidth)));
        buffers.addAll(attention.buffers(batch, seqLen));
        if (upProj != null) {
            buffers.add(Buffer.of("ffn_hidden", rows, upProj.out));
        }
        return buffers;
    }

    @Override
    public List<Buffer> packedWeights() {
        return List.of(Buffer.of("qkv_weight", qWidth + 2L * kvWidth, width), new Buffer("qkv_bias", packedBiasSize()));
    }

    // =================================================================================================================
    // Training. This section computes the same block as the forward above, with the same sums in the same order (as
    // separate tasks where the forward fuses them), out of place, into buffers the block keeps for its backward (tasks.keep).
    // =================================================================================================================

    @Override
    public List<Object> trainingConstants() {
        List<Object> constants = new ArrayList<>();
        attention.addConstantsTo(constants);
        for (Linear projection : java.util.Arrays.asList(qProj, kProj, vProj, oProj, gateProj, upProj, downProj)) {
            if (projection != null) {
                projection.addTrainingConstantsTo(constants);
            }
        }
        attnNorm.addTrainingConstantsTo(constants);
        if (ffnNorm != null) {
            ffnNorm.addTrainingConstantsTo(constants);
        }
        return constants;
    }

    @Override
    public TrainingForward addTrainingForward(TrainingTasks tasks, FloatArray input) {
        int size = tasks.shape().rows() * width;
        FloatArray x = input;
        if (block.sinusoidalInput().isPresent()) {
            x = tasks.keep("encoded_input", size);
            TrainingOps.copy(tasks, "input_copy", input, x, size);
            tasks.graph().task(tasks.name("sinusoidal"), SinusoidalEncoding::add, x, tasks.shape().batch(), tasks.shape().seqLen(), width, 0,
                    KernelCodes.sinusoidal(block.sinusoidalInput().get()));
        }
        return switch (position) {
        case PRE -> preNormForward(tasks, x, size);
        case POST -> postNormForward(tasks, x, size);
        case PARALLEL -> parallelForward(tasks, x, size);
        };
    }

    /** x1 = x + drop(attn(norm(x))), x2 = x1 + drop(ffn(norm(x1))); the sinusoidal encoding's gradient is the identity. */
    private TrainingForward preNormForward(TrainingTasks tasks, FloatArray x, int size) {
        int rows = tasks.shape().rows();
        FloatArray attnInput = attnNorm.addTrainingForward(tasks, "attn_norm", x, tasks.keep("attn_normed", size), rows);
        Branch attn = attentionBranch(tasks, attnInput);
        FloatArray x1 = tasks.keep("attn_residual", size);
        TrainingOps.add(tasks, "attn_residual", x, dropped(tasks, Residual.ATTENTION, attn.update(), size), x1, size);
        Branch ffn = null;
        FloatArray x2 = x1;
        if (upProj != null) {
            ffn = ffnBranch(tasks, ffnNorm.addTrainingForward(tasks, "ffn_norm", x1, tasks.keep("ffn_normed", size), rows));
            x2 = tasks.keep("ffn_residual", size);
            TrainingOps.add(tasks, "ffn_residual", x1, dropped(tasks, Residual.FEED_FORWARD, ffn.update(), size), x2, size);
        }
        Branch ffnBranch = ffn;
        return new TrainingForward(x2, (t, dOut) -> {
            FloatArray dx1 = dOut;
            if (ffnBranch != null) {
                FloatArray dBranchInput = ffnBranch.backward().addTasks(t, droppedGradient(t, Residual.FEED_FORWARD, dOut, size));
                dx1 = t.keep("d_residual", size);
                TrainingOps.add(t, "ffn_residual_backward", dOut, ffnNorm.addBackward(t, "ffn_norm", x1, dBranchInput, t.scratch("d_norm", size), rows), dx1,
                        size);
            }
            FloatArray dBranchInput = attn.backward().addTasks(t, droppedGradient(t, Residual.ATTENTION, dx1, size));
            FloatArray dNorm = attnNorm.addBackward(t, "attn_norm", x, dBranchInput, t.scratch("d_norm", size), rows);
            return inputGradient(t, "attn_residual_backward", dx1, dNorm, size);
        });
    }

    /** s1 = x + drop(attn(x)), x1 = norm(s1), s2 = x1 + drop(ffn(x1)), x2 = norm(s2). */
    private TrainingForward postNormForward(TrainingTasks tasks, FloatArray x, int size) {
        int rows = tasks.shape().rows();
        Branch attn = attentionBranch(tasks, x);
        FloatArray s1 = tasks.keep("attn_residual", size);
        TrainingOps.add(tasks, "attn_residual", x, dropped(tasks, Residual.ATTENTION, attn.update(), size), s1, size);
        FloatArray x1 = attnNorm.addTrainingForward(tasks, "attn_norm", s1, tasks.keep("attn_normed", size), rows);
        Branch ffn = null;
        FloatArray s2 = null;
        FloatArray x2 = x1;
        if (upProj != null) {
            ffn = ffnBranch(tasks, x1);
            s2 = tasks.keep("ffn_residual", size);
            TrainingOps.add(tasks, "ffn_residual", x1, dropped(tasks, Residual.FEED_FORWARD, ffn.update(), size), s2, size);
            x2 = ffnNorm.addTrainingForward(tasks, "ffn_norm", s2, tasks.keep("ffn_normed", size), rows);
        }
        Branch ffnBranch = ffn;
        FloatArray ffnResidual = s2;
        return new TrainingForward(x2, (t, dOut) -> {
            FloatArray dx1 = dOut;
            if (ffnBranch != null) {
                FloatArray ds2 = ffnNorm.addBackward(t, "ffn_norm", ffnResidual, dOut, t.scratch("d_norm", size), rows);
                FloatArray dBranchInput = ffnBranch.backward().addTasks(t, droppedGradient(t, Residual.FEED_FORWARD, ds2, size));
                dx1 = t.keep("d_residual", size);
                TrainingOps.add(t, "ffn_residual_backward", ds2, dBranchInput, dx1, size);
            }
            FloatArray ds1 = attnNorm.addBackward(t, "attn_norm", s1, dx1, t.scratch("d_norm", size), rows);
            FloatArray dBranchInput = attn.backward().addTasks(t, droppedGradient(t, Residual.ATTENTION, ds1, size));
            return inputGradient(t, "attn_residual_backward", ds1, dBranchInput, size);
        });
    }

    /** out = x + drop(ffn(h)) + drop(attn(h)) with h = norm(x), the residuals added in the inference forward's order. */
    private TrainingForward parallelForward(TrainingTasks tasks, FloatArray x, int size) {
        int rows = tasks.shape().rows();
        FloatArray h = attnNorm.addTrainingForward(tasks, "attn_norm", x, tasks.keep("attn_normed", size), rows);
        Branch attn = attentionBranch(tasks, h);
        FloatArray attnUpdate = dropped(tasks, Residual.ATTENTION, attn.update(), size);
        Branch ffn = upProj == null ? null : ffnBranch(tasks, h);
        FloatArray out = tasks.keep("output", size);
        if (ffn != null) {
            TrainingOps.add(tasks, "ffn_residual", x, dropped(tasks, Residual.FEED_FORWARD, ffn.update(), size), out, size);
            tasks.graph().task(tasks.name("attn_residual"), Activations::accumulate, out, attnUpdate, size);
        } else {
            TrainingOps.add(tasks, "attn_residual", x, attnUpdate, out, size);
        }
        return new TrainingForward(out, (t, dOut) -> {
            FloatArray dh = attn.backward().addTasks(t, droppedGradient(t, Residual.ATTENTION, dOut, size));
            if (ffn != null) {
                FloatArray dFfnInput = ffn.backward().addTasks(t, droppedGradient(t, Residual.FEED_FORWARD, dOut, size));
                t.graph().task(t.name("branch_gradients"), Activations::accumulate, dh, dFfnInput, size);
            }
            FloatArray dNorm = attnNorm.addBackward(t, "attn_norm", x, dh, t.scratch("d_norm", size), rows);
            return inputGradient(t, "residual_backward", dOut, dNorm, size);
        });
    }

    /** A residual branch's training forward: its update (before dropout) and the backward from dUpdate to its input's gradient. */
    private record Branch(FloatArray update, Backward backward) {
    }

    /** q, k, v projections of h, the attention core, o_proj. */
    private Branch attentionBranch(TrainingTasks tasks, FloatArray h) {
        int rows = tasks.shape().rows();
        FloatArray q = tasks.keep("q", rows * qWidth);
        FloatArray k = tasks.keep("k", rows * kvWidth);
        FloatArray v = tasks.keep("v", rows * kvWidth);
        FloatArray heads = tasks.keep("attention", rows * qWidth);
        FloatArray update = tasks.keep("attn_update", rows * width);
        // Three products instead of the fused one: the parameters are the three tensors themselves (the fused copy
        // is packed from them for inference), and each output element is the same blocked sum either way.
        qProj.addTrainingForward(tasks, "q_proj", h, q, rows);
        kProj.addTrainingForward(tasks, "k_proj", h, k, rows);
        vProj.addTrainingForward(tasks, "v_proj", h, v, rows);
        AttentionCore.Backward attentionBackward = attention.addTrainingForward(tasks, q, k, v, heads);
        oProj.addTrainingForward(tasks, "o_proj", heads, update, rows);
        return new Branch(update, (t, dUpdate) -> {
            FloatArray dHeads = t.scratch("d_attention", rows * qWidth);
            oProj.addBackward(t, "o_proj", heads, dUpdate, dHeads, false, rows);
            FloatArray dq = t.scratch("dq", rows * qWidth);
            FloatArray dk = t.scratch("dk", rows * kvWidth);
            FloatArray dv = t.scratch("dv", rows * kvWidth);
            attentionBackward.addTasks(t, dHeads, dq, dk, dv);
            FloatArray dh = t.scratch("d_attn_input", rows * width);
            qProj.addBackward(t, "q_proj", h, dq, dh, false, rows);
            kProj.addBackward(t, "k_proj", h, dk, dh, true, rows);
            vProj.addBackward(t, "v_proj", h, dv, dh, true, rows);
            return dh;
        });
    }

    /** up_proj, the activation, down_proj; gated: down_proj(act(gate_proj(h)) * up_proj(h)). */
    private Branch ffnBranch(TrainingTasks tasks, FloatArray h) {
        int rows = tasks.shape().rows();
        int hiddenSize = rows * upProj.out;
        FloatArray hidden = tasks.keep("ffn_hidden", hiddenSize);
        FloatArray update = tasks.keep("ffn_update", rows * width);
        FloatArray preActivation = gateProj == null ? tasks.keep("ffn_pre_activation", hiddenSize) : null;
        FloatArray gate = gateProj == null ? null : tasks.keep("ffn_gate", hiddenSize);
        FloatArray up = gateProj == null ? null : tasks.keep("ffn_up", hiddenSize);
        if (gateProj == null) {
            upProj.addTrainingForward(tasks, "up_proj", h, preActivation, rows);
            Activation.addTrainingForward(tasks, "ffn_act", act, preActivation, hidden, hiddenSize);
        } else {
            gateProj.addTrainingForward(tasks, "gate_proj", h, gate, rows);
            upProj.addTrainingForward(tasks, "up_proj", h, up, rows);
            Activation.addGatedTrainingForward(tasks, "ffn_act", act, gate, up, hidden, hiddenSize);
        }
        downProj.addTrainingForward(tasks, "down_proj", hidden, update, rows);
        return new Branch(update, (t, dUpdate) -> {
            FloatArray dHidden = t.scratch("d_ffn_hidden", hiddenSize);
            downProj.addBackward(t, "down_proj", hidden, dUpdate, dHidden, false, rows);
            FloatArray dh = t.scratch("d_ffn_input", rows * width);
            if (gateProj == null) {
                Activation.addBackward(t, "ffn_act_backward", act, preActivation, dHidden, dHidden, hiddenSize);
                upProj.addBackward(t, "up_proj", h, dHidden, dh, false, rows);
            } else {
                FloatArray dGate = t.scratch("d_ffn_gate", hiddenSize);
                FloatArray dUp = t.scratch("d_ffn_up", hiddenSize);
                Activation.addGatedBackward(t, "ffn_act_backward", act, gate, up, dHidden, dGate, dUp, hiddenSize);
                gateProj.addBackward(t, "gate_proj", h, dGate, dh, false, rows);
                upProj.addBackward(t, "up_proj", h, dUp, dh, true, rows);
            }
            return dh;
        });
    }

    /** The branch update after dropout (in place; nothing else reads the update before). */
    private FloatArray dropped(TrainingTasks tasks, Residual residual, FloatArray update, int size) {
        return TrainingOps.dropout(tasks, residual.taskPrefix + "_dropout", update, update, size, block.dropout(), dropoutStream(residual));
    }

    /** The gradient of a branch's update: the residual's gradient through the same dropout mask (into a temporary). */
    private FloatArray droppedGradient(TrainingTasks tasks, Residual residual, FloatArray dOut, int size) {
        return TrainingOps.dropout(tasks, residual.taskPrefix + "_dropout_backward", dOut, tasks.scratch("d_update", size), size, block.dropout(),
                dropoutStream(residual));
    }

    private int dropoutStream(Residual residual) {
        return block.index() * 2 + residual.dropoutStream;
    }

    /** The block's input gradient, {@code a + b}, into a buffer of its own (the layer below reads it as its output gradient). */
    private static FloatArray inputGradient(TrainingTasks tasks, String task, FloatArray a, FloatArray b, int size) {
        if (!tasks.inputNeedsGradient()) {
            return null;
        }
        FloatArray dx = tasks.keep("d_input", size);
        TrainingOps.add(tasks, task, a, b, dx, size);
        return dx;
    }
}
