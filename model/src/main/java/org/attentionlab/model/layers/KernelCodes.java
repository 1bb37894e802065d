package org.attentionlab.model.layers;

import org.attentionlab.kernels.AttentionLaunch;
import org.attentionlab.kernels.AttentionMasks;
import org.attentionlab.kernels.MatrixMultiply;
import org.attentionlab.kernels.PositionalBiases;
import org.attentionlab.kernels.RotaryEmbedding;
import org.attentionlab.kernels.SinusoidalEncoding;
import org.attentionlab.model.spec.AlibiSlopes;
import org.attentionlab.model.spec.AttentionAlgorithm;
import org.attentionlab.model.spec.HiddenAct;
import org.attentionlab.model.spec.Mask;
import org.attentionlab.model.spec.PositionBias;
import org.attentionlab.model.spec.RopePairing;
import org.attentionlab.model.spec.SinusoidalVariant;
import org.attentionlab.model.spec.Window;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The one place where spec values become the kernels' arguments: int codes, window sides, slope arrays. The specs
 * say what a layer computes; the kernels keep their own conventions (tornado-kernels/README.md).
 */
public final class KernelCodes {

    private KernelCodes() {
    }

    /** Head {@code head}'s band of keys around each query: W keys including the query when causal, W/2 on each side when not. */
    public static AttentionMasks.Window window(Mask mask, int head) {
        return switch (mask.window()) {
        case Window.Sliding sliding -> mask.causal() ? AttentionMasks.Window.causalSliding(sliding.size(head))
                : AttentionMasks.Window.bidirectionalLocal(sliding.size(head));
        case Window.Full full -> mask.causal() ? AttentionMasks.Window.causal() : AttentionMasks.Window.full();
        };
    }

    /** The kernels' {@code windows} argument for {@code heads} query heads: each head's band ({@link #window}). */
    public static IntArray windows(Mask mask, int heads) {
        AttentionMasks.Window[] perHead = new AttentionMasks.Window[heads];
        for (int h = 0; h < heads; h++) {
            perHead[h] = window(mask, h);
        }
        return AttentionMasks.windows(perHead);
    }

    public static int biasKind(PositionBias bias) {
        return switch (bias) {
        case PositionBias.None none -> PositionalBiases.NONE;
        case PositionBias.Alibi alibi -> PositionalBiases.ALIBI;
        case PositionBias.Ape ape -> PositionalBiases.APE;
        };
    }

    /** The kernels' slope array: ALiBi's slopes for {@code heads} heads, else the one-element placeholder. */
    public static FloatArray slopes(PositionBias bias, int heads) {
        if (bias instanceof PositionBias.Alibi alibi) {
            return alibi.rule() == AlibiSlopes.EDIFICE ? PositionalBiases.alibiSlopesEdifice(heads) : PositionalBiases.alibiSlopes(heads);
        }
        return PositionalBiases.noSlopes();
    }

    /** The APE scale, 0 when the bias is not APE (the kernels ignore it then). */
    public static float apeScale(PositionBias bias) {
        return bias instanceof PositionBias.Ape ape ? (float) ape.scale() : 0f;
    }

    public static AttentionLaunch.Algorithm algorithm(AttentionAlgorithm algorithm) {
        return switch (algorithm) {
        case STANDARD -> AttentionLaunch.Algorithm.STANDARD;
        case CHUNKED -> AttentionLaunch.Algorithm.CHUNKED;
        case MEMORY_EFFICIENT -> AttentionLaunch.Algorithm.MEMORY_EFFICIENT;
        case FLASH -> AttentionLaunch.Algorithm.FLASH;
        };
    }

    public static int pairing(RopePairing pairing) {
        return pairing == RopePairing.GPTJ ? RotaryEmbedding.GPTJ : RotaryEmbedding.NEOX;
    }

    /** {@link MatrixMultiply}'s activation code of {@code act}; null: {@link MatrixMultiply#NONE}. */
    static int activation(HiddenAct act) {
        if (act == null) {
            return MatrixMultiply.NONE;
        }
        return switch (act) {
        case GELU -> MatrixMultiply.GELU_ERF;
        case GELU_PYTORCH_TANH -> MatrixMultiply.GELU_TANH;
        case SILU -> MatrixMultiply.SILU;
        case RELU -> MatrixMultiply.RELU;
        };
    }

    /** The linear kernels' {@code hasBias} argument: 1 when the projection has a bias (its array is then read), else 0. */
    static int hasBias(boolean bias) {
        return bias ? 1 : 0;
    }

    public static int sinusoidal(SinusoidalVariant variant) {
        return variant == SinusoidalVariant.EDIFICE ? SinusoidalEncoding.EDIFICE : SinusoidalEncoding.STANDARD;
    }
}
