package org.attentionlab.model.layers;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.kernels.Activations;
import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.spec.LmHeadSpec;
import org.attentionlab.model.spec.Numbers;
import org.attentionlab.model.weights.Parameters;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Logits at every position: {@code lm_head} (a Linear hidden → vocab without bias, as Hugging Face's), then the
 * logits multiplied by the logit scale when it is not 1 (Cohere2). A tied head has no {@code lm_head.weight}: it
 * reads the token embedding's table, whose [vocab, hidden] layout is a Linear's [out, in].
 */
public final class LanguageModelHead implements TrainableLayer {

    private final LmHeadSpec spec;
    private final Linear projection;

    /** {@code embedding}: the model's token embedding, whose table a tied head reads (may be null for an untied one). */
    public LanguageModelHead(Parameters parameters, LmHeadSpec spec, int width, TokenEmbedding embedding) {
        if (spec.tied() && (embedding == null || embedding.outputWidth() != width || embedding.vocabSize() != spec.vocabSize())) {
            throw new IllegalArgumentException("a tied lm_head needs a token embedding of [" + spec.vocabSize() + ", " + width + "]");
        }
        this.spec = spec;
        this.projection = spec.tied() ? new Linear(width, spec.vocabSize(), embedding.table(), null)
                : new Linear(parameters, "lm_head", width, spec.vocabSize(), false);
    }

    @Override
    public String describe() {
        return "lm_head " + projection.in + " -> " + projection.out + (spec.tied() ? " (tied to embed_tokens)" : "")
                + (spec.logitScale() == 1 ? "" : ", logits x " + Numbers.plain(spec.logitScale()));
    }

    @Override
    public List<Object> deviceConstants() {
        List<Object> constants = new ArrayList<>();
        projection.addWeightsTo(constants);
        return constants;
    }

    @Override
    public int outputWidth() {
        return spec.vocabSize();
    }

    @Override
    public FloatArray addTasks(LayerTasks tasks, FloatArray input) {
        int rows = tasks.shape().rows();
        FloatArray logits = tasks.scratch("logits", rows * spec.vocabSize());
        projection.addTask(tasks, TaskKind.HEAD, "lm_head", input, logits, rows);
        if (spec.logitScale() != 1) {
            tasks.graph().task(tasks.name(TaskKind.HEAD, "logit_scale"), Activations::scale, logits, logits, (float) spec.logitScale(), rows * spec.vocabSize());
        }
        return logits;
    }

    @Override
    public long weightsRead(int batch, int seqLen) {
        return projection.weightElements();
    }

    @Override
    public long flops(int batch, int seqLen) {
        int rows = batch * seqLen;
        return projection.flops(rows) + (spec.logitScale() == 1 ? 0 : (long) rows * spec.vocabSize());
    }

    @Override
    public List<Buffer> buffers(int batch, int seqLen) {
        return List.of(Buffer.of("logits", (long) batch * seqLen, spec.vocabSize()));
    }

    @Override
    public List<Buffer> borrowedWeights() {
        return spec.tied() ? List.of(Buffer.of("embed_tokens.weight", spec.vocabSize(), projection.in)) : List.of();
    }

    // ---------------------------------------------------------------- training

    @Override
    public List<Object> trainingConstants() {
        List<Object> constants = new ArrayList<>();
        projection.addTrainingConstantsTo(constants);
        return constants;
    }

    @Override
    public TrainingForward addTrainingForward(TrainingTasks tasks, FloatArray input) {
        int rows = tasks.shape().rows();
        int size = rows * spec.vocabSize();
        FloatArray logits = tasks.keep("logits", size);
        projection.addTrainingForward(tasks, "lm_head", input, logits, rows);
        float scale = (float) spec.logitScale();
        if (scale != 1) {
            tasks.graph().task(tasks.name("logit_scale"), Activations::scale, logits, logits, scale, size);
        }
        return new TrainingForward(logits, (t, dOut) -> {
            FloatArray dLogits = dOut;
            if (scale != 1) {
                dLogits = t.scratch("d_logits", size);
                t.graph().task(t.name("logit_scale_backward"), Activations::scale, dOut, dLogits, scale, size);
            }
            // A tied head's weight is embed_tokens.weight: its gradient adds to the embedding's in the same buffer.
            FloatArray dInput = t.inputNeedsGradient() ? t.keep("d_input", rows * projection.in) : null;
            projection.addBackward(t, "lm_head", input, dLogits, dInput, false, rows);
            return dInput;
        });
    }
}
