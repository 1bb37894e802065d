package org.attentionlab.analysis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.kernels.AttentionLaunch;
import org.attentionlab.kernels.AttentionMasks;
import org.attentionlab.kernels.Normalization;
import org.attentionlab.kernels.RotaryEmbedding;
import org.attentionlab.kernels.SinusoidalEncoding;
import org.attentionlab.model.Model;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.layers.EmbeddedQkvAttention;
import org.attentionlab.model.layers.KernelCodes;
import org.attentionlab.model.layers.TransformerBlock;
import org.attentionlab.model.spec.AttentionSpec;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.weights.Parameters;

import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The attention probabilities of every attention layer and head of a model on one input, without touching the
 * kernels or layers: the stream that enters layer j comes from the model's own forward pass of layers 0..j-1 (on
 * the given device); on the host, that stream goes through the layer's attention input (its attention norm for pre-
 * and parallel-norm blocks, a per-layer sinusoidal encoding), the q and k projections (parameters
 * {@code layers.<i>.attn.{q,k,v}_proj}), QK-norm and RoPE (the kernels called as plain Java), and then the standard
 * attention kernel, whose scratch row holds the unnormalised softmax weights of each query's visible keys, in the
 * kernels' own mask and bias conventions. ModelProbeTest checks that these probabilities reproduce the layer's output.
 */
public final class AttentionProbe {

    /** One attention layer's probabilities for every (batch row, head, query). */
    public static final class LayerAttention {
        private final int layer;
        private final AttentionSpec spec;
        private final int batch;
        private final int seqLen;
        private final int stride;
        private final float[] weights;
        private final float[] headOutputs;
        private final IntArray windows;
        private final int causal;
        private final IntArray globals;
        private final int numGlobal;

        LayerAttention(int layer, AttentionSpec spec, int batch, int seqLen, int stride, float[] weights, float[] headOutputs, IntArray windows,
                int causal, IntArray globals, int numGlobal) {
            this.layer = layer;
            this.spec = spec;
            this.batch = batch;
            this.seqLen = seqLen;
            this.stride = stride;
            this.weights = weights;
            this.headOutputs = headOutputs;
            this.windows = windows;
            this.causal = causal;
            this.globals = globals;
            this.numGlobal = numGlobal;
        }

        /** The block index (layer number in the config). */
        public int layer() {
            return layer;
        }

        public int heads() {
            return spec.heads();
        }

        public int batch() {
            return batch;
        }

        public int seqLen() {
            return seqLen;
        }

        /** The attention output of each head before o_proj, [batch, seq, heads, head_dim]. */
        public float[] headOutputs() {
            return headOutputs;
        }

        public int headDim() {
            return spec.headDim();
        }

        /** Calls {@code row} once per (batch row, head, query) with the visible keys and their probabilities. */
        public void forEachRow(RowConsumer row) {
            int[] keys = new int[stride];
            double[] p = new double[stride];
            for (int b = 0; b < batch; b++) {
                for (int h = 0; h < spec.heads(); h++) {
                    for (int i = 0; i < seqLen; i++) {
                        int[] visible = AttentionMasks.visibleKeysOf(i, AttentionMasks.windowLeft(windows, h), AttentionMasks.windowRight(windows, h), causal,
                                globals, numGlobal, seqLen);
                        int count = visible.length;
                        int base = ((b * spec.heads() + h) * seqLen + i) * stride;
                        double sum = 0;
                        for (int t = 0; t < count; t++) {
                            sum += weights[base + t];
                        }
                        for (int t = 0; t < count; t++) {
                            keys[t] = visible[t];
                            p[t] = weights[base + t] / sum;
                        }
                        row.accept(b, h, i, keys, p, count);
                    }
                }
            }
        }
    }

    /** One softmax row: {@code keys[0..count)} with probabilities {@code p[0..count)} (summing to 1). */
    @FunctionalInterface
    public interface RowConsumer {
        void accept(int batchRow, int head, int query, int[] keys, double[] p, int count);
    }

    private AttentionProbe() {
    }

    /**
     * The probabilities of every attention layer of {@code model} on {@code input} ({@link Input}); the forward
     * passes of the layers before each run on {@code device} (null: the runtime's default).
     *
     * @throws UnsupportedOperationException for a layer whose attention this probe cannot rebuild
     */
    public static List<LayerAttention> measure(Model model, Input input, TornadoDevice device) {
        Map<String, FloatArray> parameters = new HashMap<>();
        for (Parameters.Parameter p : model.parameters().all()) {
            parameters.put(p.name(), p.data());
        }
        List<LayerAttention> result = new ArrayList<>();
        List<Layer> layers = model.layers();
        int blockIndex = 0;
        for (int position = 0; position < layers.size(); position++) {
            Layer layer = layers.get(position);
            if (layer instanceof TransformerBlock) {
                BlockSpec block = model.spec().blocks().get(blockIndex++);
                FloatArray stream = streamBefore(model, position, input, device);
                result.add(transformerBlock(block, stream, parameters, input.batch(), input.seqLen()));
            } else if (layer instanceof EmbeddedQkvAttention) {
                BlockSpec block = model.spec().blocks().get(blockIndex++);
                result.add(embeddedQkv(block, parameters.get("embedding.weight"), input, model.vocabSize()));
            }
        }
        if (result.isEmpty()) {
            throw new UnsupportedOperationException("no attention layer the probe knows in " + model.spec().architecture().yamlName());
        }
        return result;
    }

    /** A model input: token ids or features [batch, seq, width], row-major. */
    public record Input(int batch, int seqLen, int[] ids, float[] features) {

        void fill(ModelExecution execution) {
            if (ids != null) {
                for (int i = 0; i < ids.length; i++) {
                    execution.tokenInput().set(i, ids[i]);
                }
            } else {
                for (int i = 0; i < features.length; i++) {
                    execution.floatInput().set(i, features[i]);
                }
            }
        }
    }

    /** The stream entering layer {@code position}: the model's forward pass of the layers before it. */
    static FloatArray streamBefore(Model model, int position, Input input, TornadoDevice device) {
        if (position == 0) {
            if (input.features() == null) {
                throw new UnsupportedOperationException("a first layer that reads token ids has no stream before it");
            }
            return FloatArray.fromArray(input.features().clone());
        }
        RunShape shape = RunShape.inference(input.batch(), input.seqLen());
        try (ModelExecution execution = ModelExecution.prepare(model.layers().subList(0, position), model.inputWidth(), shape, device,
                model.executionOptions())) {
            input.fill(execution);
            return FloatArray.fromArray(execution.run().toHeapArray());
        }
    }

    private static LayerAttention transformerBlock(BlockSpec block, FloatArray x, Map<String, FloatArray> parameters, int batch, int seqLen) {
        AttentionSpec spec = block.attention();
        int rows = batch * seqLen;
        int width = x.getSize() / rows;
        String prefix = "layers." + block.index();
        if (block.sinusoidalInput().isPresent()) {
            SinusoidalEncoding.add(x, batch, seqLen, width, 0, KernelCodes.sinusoidal(block.sinusoidalInput().get()));
        }
        FloatArray h = x;
        if (block.normPosition() != NormPosition.POST && block.norm().kind() != Norm.NONE) {
            h = new FloatArray(x.getSize());
            FloatArray weight = required(parameters, prefix + ".attn_norm.weight");
            float eps = (float) block.norm().eps();
            if (block.norm().kind() == Norm.LAYERNORM) {
                // a bias-free LayerNorm (norm_bias: false) adds zeros, as the layer does
                FloatArray bias = block.norm().bias() ? required(parameters, prefix + ".attn_norm.bias") : new FloatArray(width);
                Normalization.layerNorm(x, weight, bias, h, rows, width, eps);
            } else {
                Normalization.rmsNorm(x, weight, h, rows, width, eps);
            }
        }
        FloatArray q = linear(h, parameters, prefix + ".attn.q_proj", rows, width, spec.queryWidth());
        FloatArray k = linear(h, parameters, prefix + ".attn.k_proj", rows, width, spec.keyValueWidth());
        FloatArray v = linear(h, parameters, prefix + ".attn.v_proj", rows, width, spec.keyValueWidth());
        return attend(block, q, k, v, batch, seqLen);
    }

    private static LayerAttention embeddedQkv(BlockSpec block, FloatArray table, Input input, int vocabSize) {
        if (input.ids() == null) {
            throw new IllegalArgumentException("embedded q, k, v read token ids");
        }
        int width = block.attention().queryWidth();
        int rows = input.batch() * input.seqLen();
        FloatArray q = new FloatArray(rows * width);
        FloatArray k = new FloatArray(rows * width);
        FloatArray v = new FloatArray(rows * width);
        for (int r = 0; r < rows; r++) {
            int id = input.ids()[r];
            if (id < 0 || id >= vocabSize) {
                continue;
            }
            for (int c = 0; c < width; c++) {
                q.set(r * width + c, table.get(id * 3 * width + c));
                k.set(r * width + c, table.get(id * 3 * width + width + c));
                v.set(r * width + c, table.get(id * 3 * width + 2 * width + c));
            }
        }
        return attend(block, q, k, v, input.batch(), input.seqLen());
    }

    /** QK-norm, RoPE and the standard kernel, as the layer's AttentionCore does them. */
    private static LayerAttention attend(BlockSpec block, FloatArray q, FloatArray k, FloatArray v, int batch, int seqLen) {
        AttentionSpec spec = block.attention();
        if (spec.qkNorm()) {
            Normalization.qkLayerNorm(q, batch, seqLen, spec.heads(), spec.headDim(), (float) spec.normEps());
            Normalization.qkLayerNorm(k, batch, seqLen, spec.kvHeads(), spec.headDim(), (float) spec.normEps());
        }
        spec.rope().ifPresent(rope -> {
            int pairing = KernelCodes.pairing(rope.pairing());
            RotaryEmbedding.apply(q, batch, seqLen, spec.heads(), spec.headDim(), 0, (float) rope.theta(), pairing);
            RotaryEmbedding.apply(k, batch, seqLen, spec.kvHeads(), spec.headDim(), 0, (float) rope.theta(), pairing);
        });
        IntArray windows = KernelCodes.windows(spec.mask(), spec.heads());
        List<Integer> globalList = spec.mask().globalTokens();
        IntArray globals = AttentionMasks.globalTokens(globalList.stream().mapToInt(Integer::intValue).toArray());
        FloatArray slopes = KernelCodes.slopes(spec.bias(), spec.heads());
        AttentionLaunch launch = new AttentionLaunch(AttentionLaunch.Algorithm.STANDARD, batch, seqLen, spec.heads(), spec.kvHeads(), spec.headDim(),
                windows, spec.mask().causal(), globals, globalList.size(), KernelCodes.biasKind(spec.bias()), slopes, KernelCodes.apeScale(spec.bias()),
                (float) (1.0 / Math.sqrt(spec.headDim())), spec.chunkSize());
        FloatArray scratch = new FloatArray(Math.max(1, launch.scratchSize()));
        FloatArray out = new FloatArray(batch * seqLen * spec.queryWidth());
        launch.call(q, k, v, out, scratch);
        int stride = AttentionMasks.maxVisibleKeys(seqLen, windows, spec.heads(), globalList.size());
        return new LayerAttention(block.index(), spec, batch, seqLen, stride, scratch.toHeapArray(), out.toHeapArray(), windows,
                spec.mask().causal() ? 1 : 0, globals, globalList.size());
    }

    /**
     * x·Wᵀ + b on the host, in double, with the layer's parameters {@code name.weight} [out, in] and {@code name.bias}
     * (none for a projection without bias, {@code attention_bias: false}).
     */
    private static FloatArray linear(FloatArray x, Map<String, FloatArray> parameters, String name, int rows, int in, int out) {
        FloatArray weight = required(parameters, name + ".weight");
        FloatArray bias = parameters.get(name + ".bias");
        if (weight.getSize() != in * out) {
            throw new UnsupportedOperationException(name + ".weight has " + weight.getSize() + " values, expected " + out + " x " + in);
        }
        FloatArray y = new FloatArray(rows * out);
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double acc = bias == null ? 0 : bias.get(o);
                for (int i = 0; i < in; i++) {
                    acc += (double) x.get(r * in + i) * weight.get(o * in + i);
                }
                y.set(r * out + o, (float) acc);
            }
        }
        return y;
    }

    private static FloatArray required(Map<String, FloatArray> parameters, String name) {
        FloatArray p = parameters.get(name);
        if (p == null) {
            throw new UnsupportedOperationException("the model has no parameter " + name + " (the attention probe rebuilds q and k from it)");
        }
        return p;
    }
}
