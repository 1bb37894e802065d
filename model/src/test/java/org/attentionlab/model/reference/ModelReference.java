package org.attentionlab.model.reference;

import java.util.Map;

import org.attentionlab.kernels.PositionalBiases;
import org.attentionlab.kernels.reference.ActivationReference;
import org.attentionlab.kernels.reference.AttentionReference;
import org.attentionlab.kernels.reference.LstmReference;
import org.attentionlab.kernels.reference.NormalizationReference;
import org.attentionlab.kernels.reference.RotaryReference;
import org.attentionlab.kernels.reference.SinusoidalReference;
import org.attentionlab.model.spec.AlibiSlopes;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.HiddenAct;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormSpec;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.spec.PositionBias;
import org.attentionlab.model.spec.SinusoidalVariant;
import org.attentionlab.model.spec.Window;

/**
 * A model's forward in float64 (transformer blocks, the LSTM, the MLP head, embedded QKV), written from the definitions
 * (the component references of tornado-kernels' test tree, dense attention from the mask's definition), to take finite
 * differences of: nothing here is shared with the model's code. Parameters by their safetensors names; activations row-major
 * {@code [batch, seq, features]}. Dropout, when given, multiplies each dropped update by its mask.
 */
public final class ModelReference {

    /** The dropout mask of a block's residual update: the factor (0 or 1 / (1 - p)) of element {@code index} of stream {@code stream}. */
    @FunctionalInterface
    public interface DropoutMask {
        double factor(int stream, int index);

        DropoutMask NONE = (stream, index) -> 1.0;
    }

    private final Map<String, double[]> p;
    private final int batch;
    private final int seqLen;
    private final DropoutMask dropout;

    public ModelReference(Map<String, double[]> parameters, int batch, int seqLen, DropoutMask dropout) {
        this.p = parameters;
        this.batch = batch;
        this.seqLen = seqLen;
        this.dropout = dropout;
    }

    private int rows() {
        return batch * seqLen;
    }

    /** {@code x Wᵀ + b} of the parameters {@code name}.weight [out, in] and {@code name}.bias. */
    public double[] linear(String name, double[] x, int rowCount, int in) {
        double[] w = p.get(name + ".weight");
        double[] b = p.get(name + ".bias");
        int out = w.length / in;
        double[] y = new double[rowCount * out];
        for (int r = 0; r < rowCount; r++) {
            for (int o = 0; o < out; o++) {
                double sum = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) {
                    sum += x[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = sum;
            }
        }
        return y;
    }

    /** The norm {@code name} of rows of x ({@code norm: none}: x itself). */
    public double[] norm(String name, NormSpec spec, double[] x, int width) {
        int rowCount = x.length / width;
        return switch (spec.kind()) {
        case LAYERNORM -> NormalizationReference.layerNorm(x, p.get(name + ".weight"), p.get(name + ".bias"), rowCount, width, spec.eps());
        case RMSNORM -> NormalizationReference.rmsNorm(x, p.get(name + ".weight"), rowCount, width, spec.eps());
        case NONE -> x;
        };
    }

    public static double[] addSinusoidal(double[] x, int batch, int seqLen, int width, SinusoidalVariant variant) {
        double[] out = x.clone();
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < seqLen; s++) {
                for (int j = 0; j < width; j++) {
                    out[(b * seqLen + s) * width + j] += variant == SinusoidalVariant.EDIFICE ? SinusoidalReference.edifice(s, j)
                            : SinusoidalReference.standard(s, j, width);
                }
            }
        }
        return out;
    }

    /** One transformer block on a stream of {@code width} features. */
    public double[] block(BlockSpec block, int width, double[] input) {
        String prefix = "layers." + block.index();
        double[] x = block.sinusoidalInput().isPresent() ? addSinusoidal(input, batch, seqLen, width, block.sinusoidalInput().get()) : input;
        boolean ffn = block.ffn().isPresent();
        int attnStream = block.index() * 2;
        int ffnStream = block.index() * 2 + 1;
        switch (block.normPosition()) {
        case PRE -> {
            double[] x1 = add(x, drop(attention(block, width, norm(prefix + ".attn_norm", block.norm(), x, width)), attnStream));
            if (!ffn) {
                return x1;
            }
            return add(x1, drop(feedForward(block, width, norm(prefix + ".ffn_norm", block.norm(), x1, width)), ffnStream));
        }
        case POST -> {
            double[] x1 = norm(prefix + ".attn_norm", block.norm(), add(x, drop(attention(block, width, x), attnStream)), width);
            if (!ffn) {
                return x1;
            }
            return norm(prefix + ".ffn_norm", block.norm(), add(x1, drop(feedForward(block, width, x1), ffnStream)), width);
        }
        case PARALLEL -> {
            double[] h = norm(prefix + ".attn_norm", block.norm(), x, width);
            double[] out = add(x, drop(attention(block, width, h), attnStream));
            return ffn ? add(out, drop(feedForward(block, width, h), ffnStream)) : out;
        }
        }
        throw new IllegalStateException();
    }

    private double[] drop(double[] update, int stream) {
        double[] out = new double[update.length];
        for (int i = 0; i < update.length; i++) {
            out[i] = update[i] * dropout.factor(stream, i);
        }
        return out;
    }

    private static double[] add(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }

    /** q, k, v projections, QK-norm, RoPE, attention over the mask with the bias, o_proj. */
    public double[] attention(BlockSpec block, int width, double[] h) {
        String prefix = "layers." + block.index() + ".attn.";
        double[] q = linear(prefix + "q_proj", h, rows(), width);
        double[] k = linear(prefix + "k_proj", h, rows(), width);
        double[] v = linear(prefix + "v_proj", h, rows(), width);
        return linear(prefix + "o_proj", attentionCore(block, q, k, v), rows(), block.attention().queryWidth());
    }

    /** QK-norm, RoPE and attention over the layer's mask with its bias, on projected q, k, v [batch, seq, heads, head_dim]. */
    public double[] attentionCore(BlockSpec block, double[] projectedQ, double[] projectedK, double[] v) {
        var spec = block.attention();
        int heads = spec.heads();
        int kvHeads = spec.kvHeads();
        int headDim = spec.headDim();
        double[] q = projectedQ;
        double[] k = projectedK;
        if (spec.qkNorm()) {
            q = perHeadNorm(q, headDim, spec.normEps());
            k = perHeadNorm(k, headDim, spec.normEps());
        }
        if (spec.rope().isPresent()) {
            boolean interleaved = spec.rope().get().pairing() == org.attentionlab.model.spec.RopePairing.GPTJ;
            q = RotaryReference.rotate(q, batch, seqLen, heads, headDim, 0, spec.rope().get().theta(), interleaved);
            k = RotaryReference.rotate(k, batch, seqLen, kvHeads, headDim, 0, spec.rope().get().theta(), interleaved);
        }
        return AttentionReference.attention(new AttentionReference.Shape(batch, seqLen, heads, kvHeads, headDim), q, k, v, mask(block),
                bias(spec.bias(), heads), 1.0 / Math.sqrt(headDim));
    }

    /**
     * The APE notebook's layer: each id's row of {@code embedding.weight} [vocab, 3 width] split into q, k and v
     * (thirds, in that order; an id outside the table gives zeros), then the layer's attention.
     */
    public double[] embeddedQkvAttention(BlockSpec block, int[] ids, int width) {
        double[] table = p.get("embedding.weight");
        int vocab = table.length / (3 * width);
        double[][] qkv = new double[3][rows() * width];
        for (int t = 0; t < rows(); t++) {
            for (int part = 0; part < 3 && ids[t] >= 0 && ids[t] < vocab; part++) {
                System.arraycopy(table, (ids[t] * 3 + part) * width, qkv[part], t * width, width);
            }
        }
        return attentionCore(block, qkv[0], qkv[1], qkv[2]);
    }

    /**
     * A stacked torch.nn.LSTM ({@code lstm.weight_ih_l<k>}, ...; zero initial state) over x [batch, seq, in]: every
     * layer's hidden states, the last layer's returned.
     */
    public double[] lstm(double[] x, int inputSize, int hidden, int layers) {
        double[] h = x;
        int in = inputSize;
        for (int k = 0; k < layers; k++) {
            h = LstmReference.run(h, p.get("lstm.weight_ih_l" + k), p.get("lstm.weight_hh_l" + k), p.get("lstm.bias_ih_l" + k), p.get("lstm.bias_hh_l" + k),
                    null, null, batch, seqLen, in, hidden).output();
            in = hidden;
        }
        return h;
    }

    /** Edifice's MLP head: {@code act(x Wᵀ + b)} for each of {@code mlp.0}, {@code mlp.1}, ... on rows of x. */
    public double[] denseStack(double[] x, int rowCount, int in, int layers, HiddenAct act) {
        double[] y = x;
        int width = in;
        for (int i = 0; i < layers; i++) {
            y = linear("mlp." + i, y, rowCount, width);
            width = y.length / rowCount;
            for (int j = 0; j < y.length; j++) {
                y[j] = activate(act, y[j]);
            }
        }
        return y;
    }

    /** Layer norm without weights over each head's vector (Edifice's qk_layernorm). */
    private static double[] perHeadNorm(double[] x, int headDim, double eps) {
        double[] ones = new double[headDim];
        java.util.Arrays.fill(ones, 1.0);
        return NormalizationReference.layerNorm(x, ones, new double[headDim], x.length / headDim, headDim, eps);
    }

    /** The mask by its definition (configs/README.md, "Sliding-window convention"). */
    private AttentionReference.Mask mask(BlockSpec block) {
        var mask = block.attention().mask();
        long all = seqLen;
        long left;
        long right;
        if (mask.window() instanceof Window.Sliding sliding) {
            left = mask.causal() ? sliding.size() - 1 : sliding.size() / 2;
            right = mask.causal() ? 0 : sliding.size() / 2;
        } else {
            left = all;
            right = mask.causal() ? 0 : all;
        }
        return new AttentionReference.Mask(left, right, mask.globalTokens().stream().mapToInt(Integer::intValue).toArray());
    }

    private AttentionReference.PositionBias bias(PositionBias bias, int heads) {
        return switch (bias) {
        case PositionBias.None none -> AttentionReference.PositionBias.none();
        case PositionBias.Alibi alibi -> {
            var slopes = alibi.rule() == AlibiSlopes.EDIFICE ? PositionalBiases.alibiSlopesEdifice(heads) : PositionalBiases.alibiSlopes(heads);
            double[] values = new double[heads];
            for (int h = 0; h < heads; h++) {
                values[h] = slopes.get(h);
            }
            yield new AttentionReference.PositionBias(AttentionReference.Bias.ALIBI, values, 0);
        }
        case PositionBias.Ape ape -> new AttentionReference.PositionBias(AttentionReference.Bias.APE, new double[0], ape.scale());
        };
    }

    /** up_proj, the activation, down_proj; gated: down_proj(act(gate_proj(h)) * up_proj(h)). */
    public double[] feedForward(BlockSpec block, int width, double[] h) {
        String prefix = "layers." + block.index() + ".ffn.";
        int size = block.ffn().get().size();
        double[] hidden = linear(prefix + "up_proj", h, rows(), width);
        double[] gate = block.ffn().get().gated() ? linear(prefix + "gate_proj", h, rows(), width) : null;
        HiddenAct act = block.ffn().get().act();
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = gate == null ? activate(act, hidden[i]) : activate(act, gate[i]) * hidden[i];
        }
        return linear(prefix + "down_proj", hidden, rows(), size);
    }

    public static double activate(HiddenAct act, double x) {
        return switch (act) {
        case GELU -> ActivationReference.geluErf(x);
        case GELU_PYTORCH_TANH -> ActivationReference.geluTanh(x);
        case SILU -> ActivationReference.silu(x);
        case RELU -> Math.max(x, 0);
        };
    }

    /** The end of a stack: the final norm (when given), then the output's positions. */
    public double[] head(java.util.Optional<NormSpec> finalNorm, OutputMode output, int width, double[] x) {
        double[] normed = finalNorm.isPresent() && finalNorm.get().kind() != Norm.NONE ? norm("final_norm", finalNorm.get(), x, width) : x;
        if (output == OutputMode.ALL) {
            return normed;
        }
        double[] pooled = new double[batch * width];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < width; j++) {
                double value = 0;
                if (output == OutputMode.LAST) {
                    value = normed[((b + 1) * seqLen - 1) * width + j];
                } else {
                    for (int s = 0; s < seqLen; s++) {
                        value += normed[(b * seqLen + s) * width + j];
                    }
                    value /= seqLen;
                }
                pooled[b * width + j] = value;
            }
        }
        return pooled;
    }

    /** Mean cross-entropy over the rows whose target is in range (the others do not count); 0 when none does. */
    public static double crossEntropy(double[] logits, int[] targets, int classes) {
        double total = 0;
        int counted = 0;
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] < 0 || targets[r] >= classes) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                max = Math.max(max, logits[r * classes + j]);
            }
            double sum = 0;
            for (int j = 0; j < classes; j++) {
                sum += Math.exp(logits[r * classes + j] - max);
            }
            total += max + Math.log(sum) - logits[r * classes + targets[r]];
            counted++;
        }
        return counted == 0 ? 0 : total / counted;
    }

}
