package org.attentionlab.model.layers;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.spec.HiddenAct;
import org.attentionlab.model.weights.Parameters;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Dense layers on top of a pooled [batch, width] output ({@code mlp.<i>}), each followed by the activation:
 * the MLP head of Edifice's hybrid_mlp model.
 */
public final class DenseStack implements TrainableLayer {

    private final List<Linear> layers = new ArrayList<>();
    private final HiddenAct act;
    private final boolean pooledInput;

    /** {@code pooledInput}: the input is one vector per sequence, not one per position. */
    public DenseStack(Parameters parameters, int in, List<Integer> sizes, HiddenAct act, boolean pooledInput) {
        this.pooledInput = pooledInput;
        int width = in;
        for (int i = 0; i < sizes.size(); i++) {
            layers.add(new Linear(parameters, "mlp." + i, width, sizes.get(i), true));
            width = sizes.get(i);
        }
        this.act = act;
    }

    @Override
    public String describe() {
        StringBuilder text = new StringBuilder("mlp " + layers.get(0).in);
        for (Linear l : layers) {
            text.append(" -> ").append(l.out);
        }
        return text.append(" (").append(act.yamlName()).append(')').toString();
    }

    @Override
    public List<Object> deviceConstants() {
        List<Object> constants = new ArrayList<>();
        for (Linear l : layers) {
            l.addWeightsTo(constants);
        }
        return constants;
    }

    @Override
    public int outputWidth() {
        return layers.get(layers.size() - 1).out;
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
        int batch = rows(tasks.shape().batch(), tasks.shape().seqLen());
        FloatArray x = input;
        for (int i = 0; i < layers.size(); i++) {
            Linear l = layers.get(i);
            FloatArray y = tasks.scratch("mlp_" + i, batch * l.out);
            l.addTask(tasks, TaskKind.HEAD, "mlp_" + i, x, y, batch, act, false);
            x = y;
        }
        return x;
    }

    @Override
    public long weightsRead(int batch, int seqLen) {
        return layers.stream().mapToLong(Linear::weightElements).sum();
    }

    @Override
    public long flops(int batch, int seqLen) {
        long f = 0;
        int rows = rows(batch, seqLen);
        for (Linear l : layers) {
            f += l.flops(rows) + 8L * rows * l.out;
        }
        return f;
    }

    @Override
    public List<Buffer> buffers(int batch, int seqLen) {
        long rows = pooledInput ? batch : (long) batch * seqLen;
        List<Buffer> buffers = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            buffers.add(Buffer.of("mlp_" + i, rows, layers.get(i).out));
        }
        return buffers;
    }

    // ---------------------------------------------------------------- training

    @Override
    public TrainingForward addTrainingForward(TrainingTasks tasks, FloatArray input) {
        int rows = rows(tasks.shape().batch(), tasks.shape().seqLen());
        List<FloatArray> inputs = new ArrayList<>();
        List<FloatArray> preActivations = new ArrayList<>();
        FloatArray x = input;
        for (int i = 0; i < layers.size(); i++) {
            Linear l = layers.get(i);
            inputs.add(x);
            preActivations.add(tasks.keep("mlp_" + i + "_pre_activation", rows * l.out));
            FloatArray y = tasks.keep("mlp_" + i, rows * l.out);
            l.addTrainingForward(tasks, "mlp_" + i, x, preActivations.get(i), rows);
            Activation.addTrainingForward(tasks, "mlp_act_" + i, act, preActivations.get(i), y, rows * l.out);
            x = y;
        }
        return new TrainingForward(x, (t, dOut) -> {
            FloatArray dy = dOut;
            for (int i = layers.size() - 1; i >= 0; i--) {
                Linear l = layers.get(i);
                Activation.addBackward(t, "mlp_act_" + i + "_backward", act, preActivations.get(i), dy, dy, rows * l.out);
                FloatArray dx = null;
                if (i > 0) {
                    dx = t.scratch(i % 2 == 0 ? "mlp_d_a" : "mlp_d_b", rows * l.in);
                } else if (t.inputNeedsGradient()) {
                    dx = t.keep("d_input", rows * l.in);
                }
                l.addBackward(t, "mlp_" + i, inputs.get(i), dy, dx, false, rows);
                dy = dx;
            }
            return dy;
        });
    }
}
