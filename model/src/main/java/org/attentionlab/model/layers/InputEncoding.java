package org.attentionlab.model.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.attentionlab.kernels.SinusoidalEncoding;
import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.spec.SinusoidalVariant;
import org.attentionlab.model.weights.Parameters;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The input side of a transformer stack: an optional projection {@code input_proj} from embed_dim to the hidden
 * size, then an optional sinusoidal position encoding added to every position.
 */
public final class InputEncoding implements TrainableLayer {

    private final Linear projection;
    private final int width;
    private final SinusoidalVariant sinusoidal;

    /** {@code project}: whether input_proj exists. */
    public InputEncoding(Parameters parameters, int embedDim, int hidden, boolean project, Optional<SinusoidalVariant> sinusoidal) {
        this.projection = project ? new Linear(parameters, "input_proj", embedDim, hidden, true) : null;
        this.width = project ? hidden : embedDim;
        this.sinusoidal = sinusoidal.orElse(null);
    }

    @Override
    public boolean isIdentity() {
        return projection == null && sinusoidal == null;
    }

    @Override
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (projection != null) {
            parts.add("input_proj " + projection.in + " -> " + projection.out);
        }
        if (sinusoidal != null) {
            parts.add("sinusoidal encoding (" + sinusoidal.yamlName() + ")");
        }
        return String.join(", ", parts);
    }

    @Override
    public List<Object> deviceConstants() {
        List<Object> constants = new ArrayList<>();
        if (projection != null) {
            projection.addWeightsTo(constants);
        }
        return constants;
    }

    @Override
    public int outputWidth() {
        return width;
    }

    @Override
    public FloatArray addTasks(LayerTasks tasks, FloatArray input) {
        int rows = tasks.shape().rows();
        FloatArray x = input;
        if (projection != null) {
            x = tasks.scratch("stream", rows * width);
            projection.addTask(tasks, TaskKind.EMBEDDING, "input_proj", input, x, rows);
        }
        if (sinusoidal != null) {
            addSinusoidal(tasks, x, width, sinusoidal);
        }
        return x;
    }

    /**
     * Adds the sinusoidal encoding to every position of {@code x} (also a block's input, for a per-layer sinusoidal);
     * in a decode step, to the one new position at the position in device memory.
     */
    static void addSinusoidal(LayerTasks tasks, FloatArray x, int width, SinusoidalVariant variant) {
        if (tasks.decoding()) {
            tasks.graph().task(tasks.name(TaskKind.EMBEDDING, "sinusoidal"), SinusoidalEncoding::addAtPosition, x, tasks.caches().position(), tasks.shape().batch(), width,
                    KernelCodes.sinusoidal(variant));
            return;
        }
        tasks.graph().task(tasks.name(TaskKind.EMBEDDING, "sinusoidal"), SinusoidalEncoding::add, x, tasks.shape().batch(), tasks.shape().seqLen(), width, 0,
                KernelCodes.sinusoidal(variant));
    }

    @Override
    public long weightsRead(int batch, int seqLen) {
        return projection == null ? 0 : projection.weightElements();
    }

    @Override
    public long flops(int batch, int seqLen) {
        int rows = batch * seqLen;
        return (projection == null ? 0 : projection.flops(rows)) + (sinusoidal == null ? 0 : 20L * rows * width);
    }

    @Override
    public List<Buffer> buffers(int batch, int seqLen) {
        return projection == null ? List.of() : List.of(Buffer.of("stream", (long) batch * seqLen, width));
    }

    // ---------------------------------------------------------------- training

    @Override
    public List<Object> trainingConstants() {
        List<Object> constants = new ArrayList<>();
        if (projection != null) {
            projection.addTrainingConstantsTo(constants);
        }
        return constants;
    }

    @Override
    public TrainingForward addTrainingForward(TrainingTasks tasks, FloatArray input) {
        int rows = tasks.shape().rows();
        FloatArray x = tasks.keep("stream", rows * width);
        if (projection != null) {
            projection.addTrainingForward(tasks, "input_proj", input, x, rows);
        } else {
            TrainingOps.copy(tasks, "input_copy", input, x, rows * width);
        }
        if (sinusoidal != null) {
            tasks.graph().task(tasks.name("sinusoidal"), SinusoidalEncoding::add, x, tasks.shape().batch(), tasks.shape().seqLen(), width, 0,
                    KernelCodes.sinusoidal(sinusoidal));
        }
        return new TrainingForward(x, (t, dOut) -> {
            // x + pe passes the gradient unchanged; the projection's input gradient only when asked for (features from
            // data need none).
            FloatArray dInput = t.inputNeedsGradient() ? (projection == null ? dOut : t.keep("d_input", rows * projection.in)) : null;
            if (projection != null) {
                projection.addBackward(t, "input_proj", input, dOut, dInput, false, rows);
            }
            return dInput;
        });
    }
}
