package org.attentionlab.model.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.attentionlab.kernels.SequencePooling;
import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.spec.NormSpec;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.weights.Parameters;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** The end of a stack: an optional final norm ({@code final_norm}), then the output: last position, mean, or all. */
public final class OutputHead implements TrainableLayer {

    private final NormWeights finalNorm;
    private final OutputMode output;
    private final int width;

    /** {@code output}: how hidden states are returned (logits are a {@link LanguageModelHead} on every position). */
    public OutputHead(Parameters parameters, Optional<NormSpec> finalNorm, int width, OutputMode output) {
        if (output == OutputMode.LOGITS) {
            throw new IllegalArgumentException("the output head returns hidden states; logits come from a LanguageModelHead after it (output all)");
        }
        this.finalNorm = finalNorm.map(norm -> new NormWeights(parameters, "final_norm", norm, width)).orElse(null);
        this.output = output;
        this.width = width;
    }

    @Override
    public String describe() {
        return (finalNorm == null ? "" : "final norm, ") + "output " + output.yamlName();
    }

    @Override
    public boolean isIdentity() {
        return finalNorm == null && output == OutputMode.ALL;
    }

    @Override
    public List<Object> deviceConstants() {
        List<Object> constants = new ArrayList<>();
        if (finalNorm != null) {
            finalNorm.addWeightsTo(constants);
        }
        return constants;
    }

    @Override
    public int outputWidth() {
        return width;
    }

    @Override
    public int outputPositions(int seqLen) {
        return output == OutputMode.ALL ? seqLen : 1;
    }

    /** The task of the last block's down projection and residual add with the final norm (and the last positions), where they run as one ({@code forward --json} counts them). */
    public static final String RESIDUAL_NORM_TASK = "residual_final_norm";

    /**
     * The final norm, then the output. Where the last block deferred its down projection and residual add
     * ({@link #residualToFuse}), they, the final norm and for {@code output: last} the last positions run as one task
     * ({@link #RESIDUAL_NORM_TASK}).
     */
    @Override
    public FloatArray addTasks(LayerTasks tasks, FloatArray x) {
        int batch = tasks.shape().batch();
        int seqLen = tasks.shape().seqLen();
        TransformerBlock.ResidualProjection before = residualToFuse(tasks, x);
        if (before != null) {
            FloatArray last = output == OutputMode.LAST ? tasks.scratch("pooled", batch * width) : null;
            Linear.addResidualNormTask(tasks, TaskKind.FFN, RESIDUAL_NORM_TASK, before.projection(), finalNorm, finalNorm.fusedGroupRows(tasks, width),
                    before.input(), x, last, batch * seqLen);
            if (last != null) {
                return last;
            }
        } else if (finalNorm != null) {
            finalNorm.addTask(tasks, "final_norm", x, x, batch * seqLen);
        }
        return switch (output) {
        case ALL, LOGITS -> x;
        case LAST -> {
            FloatArray out = tasks.scratch("pooled", batch * width);
            tasks.graph().task(tasks.name(TaskKind.HEAD, "last_position"), SequencePooling::lastPosition, x, out, batch, seqLen, width);
            yield out;
        }
        case MEAN -> {
            FloatArray out = tasks.scratch("pooled", batch * width);
            tasks.graph().task(tasks.name(TaskKind.HEAD, "mean_position"), SequencePooling::meanOverPositions, x, out, batch, seqLen, width);
            yield out;
        }
        };
    }

    @Override
    public boolean fusesDeferredTask() {
        return true;
    }

    /**
     * The last block's deferred down projection, to run with the final norm, or null after adding any deferred task as
     * its own: fused where it adds into this head's input x and the geometry fuses the norm over x's rows
     * ({@link NormWeights#fusedGroupRows}; none without a final norm). A block that deferred its whole feed-forward
     * ({@link TransformerBlock.FeedForward}) has all of it but the down projection added here first.
     */
    private TransformerBlock.ResidualProjection residualToFuse(LayerTasks tasks, FloatArray x) {
        if (finalNorm != null && finalNorm.fusedGroupRows(tasks, width) > 0) {
            if (tasks.deferred() instanceof TransformerBlock.ResidualProjection before && before.x() == x && before.projection().out == width) {
                tasks.consumeDeferred();
                return before;
            }
            if (tasks.deferred() instanceof TransformerBlock.FeedForward feedForward && feedForward.x() == x) {
                return feedForward.addAllButDownProjection(tasks.consumeDeferred());
            }
        }
        tasks.addDeferred();
        return null;
    }

    @Override
    public long weightsRead(int batch, int seqLen) {
        return finalNorm == null ? 0 : finalNorm.weightElements();
    }

    @Override
    public long flops(int batch, int seqLen) {
        return (finalNorm == null ? 0 : NormWeights.flops(batch * seqLen, width)) + (output == OutputMode.MEAN ? (long) batch * seqLen * width : 0);
    }

    @Override
    public List<Buffer> buffers(int batch, int seqLen) {
        return output == OutputMode.ALL ? List.of() : List.of(Buffer.of("pooled", batch, width));
    }

    // ---------------------------------------------------------------- training

    @Override
    public List<Object> trainingConstants() {
        List<Object> constants = new ArrayList<>();
        if (finalNorm != null) {
            finalNorm.addTrainingConstantsTo(constants);
        }
        return constants;
    }

    @Override
    public TrainingForward addTrainingForward(TrainingTasks tasks, FloatArray input) {
        int batch = tasks.shape().batch();
        int seqLen = tasks.shape().seqLen();
        int rows = batch * seqLen;
        FloatArray x = finalNorm == null ? input : finalNorm.addTrainingForward(tasks, "final_norm", input, tasks.keep("normed", rows * width), rows);
        FloatArray out = switch (output) {
        case ALL, LOGITS -> x;
        case LAST -> {
            FloatArray pooled = tasks.keep("pooled", batch * width);
            tasks.graph().task(tasks.name("last_position"), SequencePooling::lastPosition, x, pooled, batch, seqLen, width);
            yield pooled;
        }
        case MEAN -> {
            FloatArray pooled = tasks.keep("pooled", batch * width);
            tasks.graph().task(tasks.name("mean_position"), SequencePooling::meanOverPositions, x, pooled, batch, seqLen, width);
            yield pooled;
        }
        };
        return new TrainingForward(out, (t, dOut) -> {
            FloatArray dx = switch (output) {
            case ALL, LOGITS -> dOut;
            case LAST -> {
                FloatArray positions = t.keep("d_positions", rows * width);
                t.graph().task(t.name("last_position_backward"), SequencePooling::lastPositionBackward, dOut, positions, batch, seqLen, width);
                yield positions;
            }
            case MEAN -> {
                FloatArray positions = t.keep("d_positions", rows * width);
                t.graph().task(t.name("mean_position_backward"), SequencePooling::meanOverPositionsBackward, dOut, positions, batch, seqLen, width);
                yield positions;
            }
            };
            return finalNorm == null ? dx : finalNorm.addBackward(t, "final_norm", input, dx, t.keep("d_input", rows * width), rows);
        });
    }
}
