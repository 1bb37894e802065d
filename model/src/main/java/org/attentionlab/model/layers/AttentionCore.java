package org.attentionlab.model.layers;

import java.util.List;

import org.attentionlab.kernels.AttentionLaunch;
import org.attentionlab.kernels.AttentionMasks;
import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.Normalization;
import org.attentionlab.kernels.PositionalBiases;
import org.attentionlab.kernels.RotaryEmbedding;
import org.attentionlab.model.config.AlibiSlopes;
import org.attentionlab.model.config.LayerConfig;
import org.attentionlab.model.config.ModelConfig;
import org.attentionlab.model.config.PositionEmbedding;
import org.attentionlab.model.config.RopePairing;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.RunShape;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Scaled-dot-product attention of one layer on q/k/v laid out [batch, seq, heads, head_dim]: QK-norm, RoPE,
 * the layer's mask (causal or bidirectional, sliding or full, global tokens), its logit bias (ALiBi, APE) and its
 * algorithm. Shared by the transformer blocks and the APE model.
 */
final class AttentionCore {

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final boolean causal;
    private final LayerConfig layer;
    private final float eps;
    private final float apeScale;
    private final FloatArray slopes;
    private final IntArray globalTokens;
    private final int numGlobal;

    AttentionCore(ModelConfig model, LayerConfig layer, int heads, int kvHeads, int headDim) {
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.causal = model.causal();
        this.layer = layer;
        this.eps = (float) model.layerNormEps();
        this.apeScale = (float) model.apeScale();
        this.slopes = layer.positionEmbedding() != PositionEmbedding.ALIBI ? PositionalBiases.noSlopes()
                : model.alibiSlopes() == AlibiSlopes.EDIFICE ? PositionalBiases.alibiSlopesEdifice(heads) : PositionalBiases.alibiSlopes(heads);
        List<Integer> globals = model.globalTokens();
        this.numGlobal = globals.size();
        this.globalTokens = AttentionMasks.globalTokens(globals.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Constants the kernels read (ALiBi slopes, global-token positions): sent once, like weights. */
    void addConstantsTo(List<Object> constants) {
        constants.add(slopes);
        constants.add(globalTokens);
    }

    /** The band of keys around each query this layer's mask admits. */
    Window window() {
        if (layer.sliding()) {
            return causal ? Window.causalSliding(layer.window()) : Window.bidirectionalLocal(layer.window());
        }
        return causal ? Window.causal() : Window.full();
    }

    private int biasKind() {
        return switch (layer.positionEmbedding()) {
        case ALIBI -> PositionalBiases.ALIBI;
        case APE -> PositionalBiases.APE;
        default -> PositionalBiases.NONE;
        };
    }

    String describe() {
        return layer.describe() + (causal ? "" : ", bidirectional");
    }

    /** Adds the tasks computing {@code out} from {@code q}, {@code k}, {@code v} (q and k are modified in place). */
    void addTasks(LayerTasks tasks, FloatArray q, FloatArray k, FloatArray v, FloatArray out) {
        RunShape shape = tasks.shape();
        int batch = shape.batch();
        int seqLen = shape.seqLen();
        if (layer.qkNorm()) {
            tasks.graph().task("q_norm", Normalization::qkLayerNorm, q, batch, seqLen, heads, headDim, eps);
            tasks.graph().task("k_norm", Normalization::qkLayerNorm, k, batch, seqLen, kvHeads, headDim, eps);
        }
        if (layer.usesRope()) {
            float theta = (float) layer.ropeTheta();
            int pairing = layer.ropePairing() == RopePairing.GPTJ ? RotaryEmbedding.GPTJ : RotaryEmbedding.NEOX;
            tasks.graph().task("rope_q", RotaryEmbedding::apply, q, batch, seqLen, heads, headDim, 0, theta, pairing);
            tasks.graph().task("rope_k", RotaryEmbedding::apply, k, batch, seqLen, kvHeads, headDim, 0, theta, pairing);
        }
        AttentionLaunch launch = launch(batch, seqLen);
        FloatArray scratch = launch.scratchSize() > 0 ? tasks.scratch("scores", launch.scratchSize()) : null;
        launch.addTask(tasks.graph(), "attention", q, k, v, out, scratch);
        launch.grid().ifPresent(grid -> tasks.grid("attention", grid));
    }

    /** The kernel call of this layer for one run shape. */
    private AttentionLaunch launch(int batch, int seqLen) {
        Window w = window();
        AttentionLaunch.Algorithm algorithm = switch (layer.attentionAlgorithm()) {
        case STANDARD -> AttentionLaunch.Algorithm.STANDARD;
        case CHUNKED -> AttentionLaunch.Algorithm.CHUNKED;
        case MEMORY_EFFICIENT -> AttentionLaunch.Algorithm.MEMORY_EFFICIENT;
        case FLASH -> AttentionLaunch.Algorithm.FLASH;
        };
        return new AttentionLaunch(algorithm, batch, seqLen, heads, kvHeads, headDim, w.left(), w.right(), globalTokens, numGlobal, biasKind(), slopes,
                apeScale, (float) (1.0 / Math.sqrt(headDim)), layer.chunkSize());
    }

    /** Keys summed over all queries of one sequence that this layer's mask admits (the kernels' own counting). */
    long visiblePairs(int seqLen) {
        Window w = window();
        int globalsInRange = AttentionMasks.globalsBelow(globalTokens, numGlobal, seqLen);
        long pairs = 0;
        for (int i = 0; i < seqLen; i++) {
            if (AttentionMasks.isGlobal(globalTokens, numGlobal, i)) {
                pairs += seqLen;
                continue;
            }
            int start = AttentionMasks.bandStart(i, w.left());
            int end = AttentionMasks.bandEnd(i, w.right(), seqLen);
            pairs += AttentionMasks.visibleKeyCount(start, end, AttentionMasks.globalsBelow(globalTokens, numGlobal, start),
                    AttentionMasks.globalsBelow(globalTokens, numGlobal, end), globalsInRange);
        }
        return pairs;
    }

    /** Multiply-adds of QKᵀ and PV (2 FLOPs each) plus QK-norm and RoPE. */
    long flops(int batch, int seqLen) {
        long attention = 4L * headDim * heads * batch * visiblePairs(seqLen);
        long extras = (layer.qkNorm() ? 8L : 0) * batch * seqLen * (heads + kvHeads) * headDim
                + (layer.usesRope() ? 6L : 0) * batch * seqLen * (heads + kvHeads) * headDim;
        return attention + extras;
    }

    long scratchBytes(int batch, int seqLen) {
        return 4L * launch(batch, seqLen).scratchSize();
    }
}
