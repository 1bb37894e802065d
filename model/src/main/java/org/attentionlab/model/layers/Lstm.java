package org.attentionlab.model.layers;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.kernels.LstmKernels;
import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.weights.Parameters;
import org.attentionlab.model.weights.Parameters.Init;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A stacked LSTM over all time steps (torch.nn.LSTM, batch_first, zero initial state, gates i, f, g, o), with
 * PyTorch's parameter names {@code lstm.weight_ih_l<k>}, {@code weight_hh_l<k>}, {@code bias_ih_l<k>},
 * {@code bias_hh_l<k>}. Per layer: the input projection of every step at once, then one kernel that walks the
 * sequence.
 */
public final class Lstm implements TrainableLayer {

    private record LstmLayer(int in, FloatArray weightIh, FloatArray weightHh, FloatArray biasIh, FloatArray biasHh) {
    }

    private final int hidden;
    private final List<LstmLayer> layers = new ArrayList<>();

    public Lstm(Parameters parameters, int inputSize, int hidden, int numLayers) {
        this.hidden = hidden;
        Init init = new Init.Uniform(1.0 / Math.sqrt(hidden));
        for (int k = 0; k < numLayers; k++) {
            int in = k == 0 ? inputSize : hidden;
            layers.add(new LstmLayer(in, parameters.add("lstm.weight_ih_l" + k, init, 4 * hidden, in),
                    parameters.add("lstm.weight_hh_l" + k, init, 4 * hidden, hidden), parameters.add("lstm.bias_ih_l" + k, init, 4 * hidden),
                    parameters.add("lstm.bias_hh_l" + k, init, 4 * hidden)));
        }
    }

    @Override
    public String describe() {
        return "lstm " + layers.get(0).in() + " -> " + hidden + " x " + layers.size() + " layer" + (layers.size() == 1 ? "" : "s");
    }

    @Override
    public List<Object> deviceConstants() {
        List<Object> constants = new ArrayList<>();
        for (LstmLayer l : layers) {
            constants.add(l.weightIh());
            constants.add(l.weightHh());
            constants.add(l.biasIh());
            constants.add(l.biasHh());
        }
        return constants;
    }

    @Override
    public int outputWidth() {
        return hidden;
    }

    @Override
    public FloatArray addTasks(LayerTasks tasks, FloatArray input) {
        int batch = tasks.shape().batch();
        int seqLen = tasks.shape().seqLen();
        int rows = batch * seqLen;
        FloatArray gates = tasks.scratch("lstm_gates", rows * 4 * hidden);
        FloatArray unusedInitial = tasks.scratch("lstm_initial", 1);
        FloatArray finalH = tasks.scratch("lstm_h_n", batch * hidden);
        FloatArray finalC = tasks.scratch("lstm_c_n", batch * hidden);
        FloatArray x = input;
        for (int k = 0; k < layers.size(); k++) {
            LstmLayer l = layers.get(k);
            FloatArray out = tasks.scratch(k % 2 == 0 ? "lstm_out_a" : "lstm_out_b", rows * hidden);
            inputProjection(l).addTask(tasks, TaskKind.RECURRENT, "input_gates_" + k, x, gates, rows);
            tasks.graph().task(tasks.name(TaskKind.RECURRENT, "recurrence_" + k), LstmKernels::sequence, new KernelContext(), gates, l.weightHh(), l.biasHh(), unusedInitial,
                    unusedInitial, out, finalH, finalC, batch, seqLen, hidden, 0);
            tasks.grid("recurrence_" + k, LstmKernels.sequenceGrid(batch, hidden));
            x = out;
        }
        return x;
    }

    @Override
    public long weightsRead(int batch, int seqLen) {
        long elements = 0;
        for (LstmLayer l : layers) {
            elements += 4L * hidden * (l.in() + hidden) + 8L * hidden;
        }
        return elements;
    }

    @Override
    public long flops(int batch, int seqLen) {
        long f = 0;
        for (LstmLayer l : layers) {
            f += 2L * batch * seqLen * 4 * hidden * (l.in() + hidden) + 10L * batch * seqLen * hidden;
        }
        return f;
    }

    @Override
    public List<Buffer> buffers(int batch, int seqLen) {
        long rows = (long) batch * seqLen;
        List<Buffer> buffers = new ArrayList<>(List.of(Buffer.of("lstm_gates", rows, 4L * hidden), new Buffer("lstm_initial", 1),
                Buffer.of("lstm_h_n", batch, hidden), Buffer.of("lstm_c_n", batch, hidden), Buffer.of("lstm_out_a", rows, hidden)));
        if (layers.size() > 1) {
            buffers.add(Buffer.of("lstm_out_b", rows, hidden));
        }
        return buffers;
    }

    // =================================================================================================================
    // Training. The same kernels as the forward above, with the recurrence's training variant, which also keeps the
    // activated gates and every cell state: per layer, the input projection, sequenceForTraining; backward from the
    // top layer down, backward through time into the gate gradients, then W_hh and both biases from them, and W_ih
    // and the layer's input gradient as the input projection's linear backward.
    // =================================================================================================================

    /**
     * What the kernels' initial-state and final-state-gradient arguments receive: they are told there are none
     * ({@code hasInitialState}, {@code hasFinalStateGradient} 0, as torch.nn.LSTM without {@code (h0, c0)}) and read
     * nothing from it.
     */
    private final FloatArray noState = new FloatArray(1);

    /** {@code x W_ihᵀ + b_ih} of layer {@code l}: the input part of its gate pre-activations, as a projection. */
    private Linear inputProjection(LstmLayer l) {
        return new Linear(l.in(), 4 * hidden, l.weightIh(), l.biasIh());
    }

    @Override
    public List<Object> trainingConstants() {
        return List.of(noState);
    }

    @Override
    public TrainingForward addTrainingForward(TrainingTasks tasks, FloatArray input) {
        int batch = tasks.shape().batch();
        int seqLen = tasks.shape().seqLen();
        int rows = batch * seqLen;
        FloatArray finalH = tasks.scratch("lstm_h_n", batch * hidden);
        FloatArray finalC = tasks.scratch("lstm_c_n", batch * hidden);
        List<FloatArray> layerInputs = new ArrayList<>();
        List<FloatArray> gates = new ArrayList<>();
        List<FloatArray> outputs = new ArrayList<>();
        List<FloatArray> cells = new ArrayList<>();
        FloatArray x = input;
        for (int k = 0; k < layers.size(); k++) {
            LstmLayer l = layers.get(k);
            layerInputs.add(x);
            gates.add(tasks.keep("gates_" + k, rows * 4 * hidden));
            cells.add(tasks.keep("cells_" + k, rows * hidden));
            outputs.add(tasks.keep("output_" + k, rows * hidden));
            inputProjection(l).addTrainingForward(tasks, "input_gates_" + k, x, gates.get(k), rows);
            tasks.graph().task(tasks.name("recurrence_" + k), LstmKernels::sequenceForTraining, new KernelContext(), gates.get(k), l.weightHh(), l.biasHh(),
                    noState, noState, outputs.get(k), cells.get(k), finalH, finalC, batch, seqLen, hidden, 0);
            tasks.grid("recurrence_" + k, LstmKernels.sequenceGrid(batch, hidden));
            x = outputs.get(k);
        }
        return new TrainingForward(x, (t, dOut) -> {
            FloatArray dHidden = t.scratch("lstm_d_h", batch * hidden);
            FloatArray dCell = t.scratch("lstm_d_c", batch * hidden);
            FloatArray dOutput = dOut;
            for (int k = layers.size() - 1; k >= 0; k--) {
                LstmLayer l = layers.get(k);
                // The gate gradients overwrite the gates they are computed from (each element is read before it is written).
                FloatArray dGates = gates.get(k);
                t.graph().task(t.name("recurrence_" + k + "_backward"), LstmKernels::sequenceBackward, new KernelContext(), gates.get(k), cells.get(k),
                        noState, l.weightHh(), dOutput, noState, noState, dGates, dHidden, dCell, batch, seqLen, hidden, 0, 0);
                t.grid("recurrence_" + k + "_backward", LstmKernels.sequenceGrid(batch, hidden));
                t.graph().task(t.name("recurrence_" + k + "_weights"), LstmKernels::recurrentWeightGradients, dGates, outputs.get(k), noState,
                        t.gradient(l.weightHh()), t.gradient(l.biasIh()), t.gradient(l.biasHh()), batch, seqLen, hidden, 0);
                FloatArray dInput = null;
                if (k > 0) {
                    dInput = t.scratch(k % 2 == 0 ? "lstm_d_output_a" : "lstm_d_output_b", rows * hidden);
                } else if (t.inputNeedsGradient()) {
                    dInput = t.keep("d_input", rows * l.in());
                }
                // recurrentWeightGradients has added the gates' sum to b_ih's gradient already.
                inputProjection(l).addBackwardWithoutBias(t, "input_gates_" + k, layerInputs.get(k), dGates, dInput, false, rows);
                dOutput = dInput;
            }
            return dOutput;
        });
    }
}
