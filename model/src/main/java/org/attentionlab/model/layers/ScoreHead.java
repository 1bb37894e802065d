package org.attentionlab.model.layers;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.weights.Parameters;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * {@code score}: a Linear from the output's width to {@code num_labels} (Hugging Face's {@code score} of its
 * {@code ForSequenceClassification} models, here with a bias), on the pooled output or on every position. It gives
 * a model class logits or regression outputs of a width of its own.
 */
public final class ScoreHead implements TrainableLayer {

    private final Linear score;
    private final boolean pooledInput;

    /** {@code pooledInput}: the input is one vector per sequence (output last or mean), not one per position. */
    public ScoreHead(Parameters parameters, int in, int labels, boolean pooledInput) {
        this.score = new Linear(parameters, "score", in, labels, true);
        this.pooledInput = pooledInput;
    }

    @Override
    public String describe() {
        return "score " + score.in + " -> " + score.out;
    }

    @Override
    public List<Object> deviceConstants() {
        List<Object> constants = new ArrayList<>();
        score.addWeightsTo(constants);
        return constants;
    }

    @Override
    public int outputWidth() {
        return score.out;
    }

    @Override
    public int outputPositions(int seqLen) {
        return pooledInput ? 1 : seqLen;
    }

    private int rows(int batch, int seqLen) {
        return pooledInput ? batch : batch * seqLen;
    }

    @Override
    public FloatArray addTasks(LayerTasks tasks, FloatArray input) {
        int rows = rows(tasks.shape().batch(), tasks.shape().seqLen());
        FloatArray out = tasks.scratch("score", rows * score.out);
        score.addTask(tasks, TaskKind.HEAD, "score", input, out, rows);
        return out;
    }

    @Override
    public long weightsRead(int batch, int seqLen) {
        return score.weightElements();
    }

    @Override
    public long flops(int batch, int seqLen) {
        return score.flops(rows(batch, seqLen));
    }

    @Override
    public List<Buffer> buffers(int batch, int seqLen) {
        return List.of(Buffer.of("score", pooledInput ? batch : (long) batch * seqLen, score.out));
    }

    // ---------------------------------------------------------------- training

    @Override
    public TrainingForward addTrainingForward(TrainingTasks tasks, FloatArray input) {
        int rows = rows(tasks.shape().batch(), tasks.shape().seqLen());
        FloatArray out = tasks.keep("score", rows * score.out);
        score.addTrainingForward(tasks, "score", input, out, rows);
        return new TrainingForward(out, (t, dOut) -> {
            FloatArray dInput = t.inputNeedsGradient() ? t.keep("d_input", rows * score.in) : null;
            score.addBackward(t, "score", input, dOut, dInput, false, rows);
            return dInput;
        });
    }
}
