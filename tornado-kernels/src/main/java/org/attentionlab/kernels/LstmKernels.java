package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A single-layer LSTM with PyTorch's parameters and gate order (i, f, g, o):
 * {@code weightIh [4H, inputSize]}, {@code weightHh [4H, H]}, {@code biasIh [4H]}, {@code biasHh [4H]}; gate row
 * {@code g * H + u} belongs to gate {@code g} of hidden unit {@code u}. For each step
 * <pre>
 *   i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)    f = sigmoid(... f rows ...)
 *   g = tanh(... g rows ...)                      o = sigmoid(... o rows ...)
 *   c' = f * c + i * g                            h' = o * tanh(c')
 * </pre>
 *
 * <p>Whole sequences ({@code torch.nn.LSTM(batch_first=True)}) take two launches: first the input projections of
 * all timesteps at once, {@link LinearKernels#linear} with {@code x [batch * seq, inputSize]}, {@code weightIh},
 * {@code biasIh} into {@code inputGates [batch, seq, 4H]}; then {@link #sequence}, whose one work-group per batch
 * row walks the timesteps. {@link #cellStep} is one timestep as a {@code @Parallel} kernel (plain Java, streaming).
 *
 * <p>Training: {@link #sequenceForTraining} (the same recurrence, keeping the activated gates and cell states),
 * {@link #sequenceBackward} (backward through time into the gate gradients and the initial state's) and
 * {@link #recurrentWeightGradients} ({@code W_hh} and both biases); the input projection's gradients come from its
 * linear backward applied to the gate gradients.
 */
public final class LstmKernels {

    /** Largest work-group {@link #sequenceGrid} asks for; hidden sizes above it give each item several units. */
    public static final int MAX_GROUP = 256;
    /** Group sizes are multiples of this (a warp / wavefront-friendly width). */
    private static final int GROUP_QUANTUM = 32;

    private LstmKernels() {
    }

    // ---- kernels ----

    /**
     * One timestep for every batch row.
     *
     * @param x     {@code [batch, inputSize]}, the inputs of this step
     * @param hIn   {@code [batch, hidden]}, {@code cIn} likewise: the state before the step
     * @param hOut  {@code [batch, hidden]}, {@code cOut} likewise: the state after it (distinct from the inputs)
     */
    public static void cellStep(FloatArray x, FloatArray hIn, FloatArray cIn, FloatArray weightIh, FloatArray weightHh, FloatArray biasIh, FloatArray biasHh,
            FloatArray hOut, FloatArray cOut, int batch, int inputSize, int hidden) {
        for (@Parallel int row = 0; row < batch; row++) {
            for (@Parallel int unit = 0; unit < hidden; unit++) {
                int xBase = row * inputSize;
                int hBase = row * hidden;
                float inputGate = gatePreActivation(0, unit, hidden, x, xBase, weightIh, biasIh, inputSize) + gatePreActivation(0, unit, hidden, hIn, hBase, weightHh, biasHh, hidden);
                float forgetGate = gatePreActivation(1, unit, hidden, x, xBase, weightIh, biasIh, inputSize) + gatePreActivation(1, unit, hidden, hIn, hBase, weightHh, biasHh, hidden);
                float cellGate = gatePreActivation(2, unit, hidden, x, xBase, weightIh, biasIh, inputSize) + gatePreActivation(2, unit, hidden, hIn, hBase, weightHh, biasHh, hidden);
                float outputGate = gatePreActivation(3, unit, hidden, x, xBase, weightIh, biasIh, inputSize) + gatePreActivation(3, unit, hidden, hIn, hBase, weightHh, biasHh, hidden);
                float c = sigmoid(forgetGate) * cIn.get(hBase + unit) + sigmoid(inputGate) * TornadoMath.tanh(cellGate);
                cOut.set(hBase + unit, c);
                hOut.set(hBase + unit, sigmoid(outputGate) * TornadoMath.tanh(c));
            }
        }
    }

    /**
     * The recurrence over a whole sequence, one work-group per batch row (run over {@link #sequenceGrid}). Item
     * {@code l} of a group of {@code L} owns hidden units {@code l, l + L, l + 2L, ...}, so any hidden size works
     * with any group size. At step {@code t} every item reads the whole {@code h_{t-1}} from {@code output} (row
     * {@code t - 1}, written by the other items of its group at the previous step; {@code h0} or zeros at
     * {@code t = 0}); a barrier after each step makes those writes visible. It is a {@code globalBarrier}
     * ({@code barrier(CLK_GLOBAL_MEM_FENCE)} in OpenCL): the exchanged values live in global memory, which a
     * local-memory fence would not order. The running cell state lives in {@code cN}, each unit touched only by
     * its owner.
     *
     * @param inputGates      {@code [batch, seqLen, 4H]}: {@code x_t W_ih^T + b_ih} for every step
     * @param h0              {@code [batch, H]}, {@code c0} likewise; read only when {@code hasInitialState != 0}
     *                        (otherwise zeros, as PyTorch without {@code (h0, c0)})
     * @param output          {@code [batch, seqLen, H]}: every {@code h_t}
     * @param hN              {@code [batch, H]}, {@code cN} likewise: the final state (h0/c0 when seqLen is 0)
     */
    public static void sequence(KernelContext context, FloatArray inputGates, FloatArray weightHh, FloatArray biasHh, FloatArray h0, FloatArray c0, FloatArray output,
            FloatArray hN, FloatArray cN, int batch, int seqLen, int hidden, int hasInitialState) {
        int row = context.groupIdx;
        int firstUnit = context.localIdx;
        int stride = context.localGroupSizeX;
        startCells(c0, cN, row, batch, firstUnit, stride, hidden, hasInitialState);
        for (int t = 0; t < seqLen; t++) {
            step(inputGates, weightHh, biasHh, h0, output, cN, cN, row, batch, t, firstUnit, stride, seqLen, hidden, hasInitialState, 0);
            context.globalBarrier();
        }
        finishHidden(h0, output, hN, row, batch, firstUnit, stride, seqLen, hidden, hasInitialState);
    }

    /**
     * {@link #sequence} for training: the same recurrence (bit for bit the same outputs), which also keeps what
     * {@link #sequenceBackward} needs. {@code gates} comes in holding {@code x_t W_ih^T + b_ih} and leaves holding
     * the activated gates {@code i, f, g, o} of every step (in place, in the same layout); {@code cells} receives
     * every cell state {@code c_t}. With {@code output} (every {@code h_t}) these are all the backward reads: the
     * forward must keep {@code gates}, {@code cells} and {@code output} (and {@code h0}, {@code c0}) until then.
     *
     * @param gates {@code [batch, seqLen, 4H]}, in: input projections; out: activated gates
     * @param cells {@code [batch, seqLen, H]}
     */
    public static void sequenceForTraining(KernelContext context, FloatArray gates, FloatArray weightHh, FloatArray biasHh, FloatArray h0, FloatArray c0,
            FloatArray output, FloatArray cells, FloatArray hN, FloatArray cN, int batch, int seqLen, int hidden, int hasInitialState) {
        int row = context.groupIdx;
        int firstUnit = context.localIdx;
        int stride = context.localGroupSizeX;
        startCells(c0, cN, row, batch, firstUnit, stride, hidden, hasInitialState);
        for (int t = 0; t < seqLen; t++) {
            step(gates, weightHh, biasHh, h0, output, cells, cN, row, batch, t, firstUnit, stride, seqLen, hidden, hasInitialState, 1);
            context.globalBarrier();
        }
        finishHidden(h0, output, hN, row, batch, firstUnit, stride, seqLen, hidden, hasInitialState);
    }

    // The recurrence's pieces, shared by the two forward kernels. The barriers stay in the kernels themselves:
    // TornadoVM inlines every call, and refuses methods of more than 600 graph nodes, which one helper holding the
    // whole recurrence exceeded.

    /** The running cell state {@code cN} starts as {@code c0} (or zeros). */
    private static void startCells(FloatArray c0, FloatArray cN, int row, int batch, int firstUnit, int stride, int hidden, int hasInitialState) {
        if (row < batch) {
            for (int unit = firstUnit; unit < hidden; unit += stride) {
                float initialCell = 0.0f;
                if (hasInitialState != 0) {
                    initialCell = c0.get(row * hidden + unit);
                }
                cN.set(row * hidden + unit, initialCell);
            }
        }
    }

    /**
     * Step {@code t} for this item's units: {@code h_t} into {@code output}, {@code c_t} into {@code cN}; with
     * {@code save != 0} also the activated gates over {@code inputGates} and {@code c_t} into {@code cells}
     * (otherwise {@code cells} is not touched).
     */
    private static void step(FloatArray inputGates, FloatArray weightHh, FloatArray biasHh, FloatArray h0, FloatArray output, FloatArray cells, FloatArray cN,
            int row, int batch, int t, int firstUnit, int stride, int seqLen, int hidden, int hasInitialState, int save) {
        if (row < batch) {
            int stateBase = row * hidden;
            int gatesBase = (row * seqLen + t) * 4 * hidden;
            int outputBase = (row * seqLen + t) * hidden;
            for (int unit = firstUnit; unit < hidden; unit += stride) {
                // The four pre-activations in a loop: two dot-product call sites instead of eight keep this method
                // under TornadoVM's inlining limit (600 graph nodes).
                float inputGate = 0.0f;
                float forgetGate = 0.0f;
                float cellGate = 0.0f;
                float outputGate = 0.0f;
                for (int gate = 0; gate < 4; gate++) {
                    int gateRow = gate * hidden + unit;
                    float z = inputGates.get(gatesBase + gateRow) + biasHh.get(gateRow);
                    if (t > 0) {
                        z += dot(weightHh, gateRow * hidden, output, outputBase - hidden, hidden);
                    } else if (hasInitialState != 0) {
                        z += dot(weightHh, gateRow * hidden, h0, stateBase, hidden);
                    }
                    if (gate == 0) {
                        inputGate = z;
                    } else if (gate == 1) {
                        forgetGate = z;
                    } else if (gate == 2) {
                        cellGate = z;
                    } else {
                        outputGate = z;
                    }
                }
                float i = sigmoid(inputGate);
                float f = sigmoid(forgetGate);
                float g = TornadoMath.tanh(cellGate);
                float o = sigmoid(outputGate);
                float c = f * cN.get(stateBase + unit) + i * g;
                cN.set(stateBase + unit, c);
                output.set(outputBase + unit, o * TornadoMath.tanh(c));
                if (save != 0) {
                    inputGates.set(gatesBase + unit, i);
                    inputGates.set(gatesBase + hidden + unit, f);
                    inputGates.set(gatesBase + 2 * hidden + unit, g);
                    inputGates.set(gatesBase + 3 * hidden + unit, o);
                    cells.set(outputBase + unit, c);
                }
            }
        }
    }

    /** {@code hN} is the last step's output ({@code h0} or zeros for an empty sequence). */
    private static void finishHidden(FloatArray h0, FloatArray output, FloatArray hN, int row, int batch, int firstUnit, int stride, int seqLen, int hidden,
            int hasInitialState) {
        if (row < batch) {
            for (int unit = firstUnit; unit < hidden; unit += stride) {
                float finalHidden = 0.0f;
                if (seqLen > 0) {
                    finalHidden = output.get((row * seqLen + seqLen - 1) * hidden + unit);
                } else if (hasInitialState != 0) {
                    finalHidden = h0.get(row * hidden + unit);
                }
                hN.set(row * hidden + unit, finalHidden);
            }
        }
    }

    // ---- backward ----

    /**
     * Backward through time of {@link #sequenceForTraining}, one work-group per batch row over
     * {@link #sequenceGrid} like the forward, walking the steps from last to first. Per step and unit, with
     * {@code dh = dOutput_t + dh_next} and {@code dc = dc_next + dh o (1 - tanh^2 c_t)}:
     * <pre>
     *   dz_i = dc g i (1 - i)     dz_f = dc c_{t-1} f (1 - f)     dz_g = dc i (1 - g^2)     dz_o = dh tanh(c_t) o (1 - o)
     *   dc_next = dc f            dh_next = W_hh^T dz   (after a barrier: it needs every unit's dz)
     * </pre>
     * {@code dz} is the gradient of the gate pre-activations, written into {@code dGates}: it is the gradient of the
     * input projection's output {@code x W_ih^T + b_ih} (whose linear backward gives {@code dx} and {@code dW_ih})
     * and the input of {@link #recurrentWeightGradients} ({@code dW_hh} and both biases). The running
     * {@code dh_next} and {@code dc_next} live in {@code dH0} and {@code dC0} (each unit touched by its owner only,
     * {@code dh_next} written after the step's barrier), which at the end hold the gradients of {@code h0} and
     * {@code c0}.
     *
     * @param gates      the activated gates {@link #sequenceForTraining} left, {@code [batch, seqLen, 4H]}
     * @param cells      its cell states {@code [batch, seqLen, H]}
     * @param c0         read when {@code hasInitialState != 0} (otherwise {@code c_{-1} = 0})
     * @param dOutput    the gradient of {@code output}, {@code [batch, seqLen, H]}
     * @param dHN        the gradients of the final state {@code [batch, H]}, read when {@code hasFinalStateGradient != 0}
     *                   (likewise {@code dCN})
     * @param dGates     {@code [batch, seqLen, 4H]}, overwritten; may be {@code gates} itself (each element is read by
     *                   its owner before it is written)
     * @param dH0        {@code [batch, H]}, likewise {@code dC0}: overwritten with the initial state's gradients
     */
    public static void sequenceBackward(KernelContext context, FloatArray gates, FloatArray cells, FloatArray c0, FloatArray weightHh, FloatArray dOutput,
            FloatArray dHN, FloatArray dCN, FloatArray dGates, FloatArray dH0, FloatArray dC0, int batch, int seqLen, int hidden, int hasInitialState,
            int hasFinalStateGradient) {
        int row = context.groupIdx;
        int firstUnit = context.localIdx;
        int stride = context.localGroupSizeX;
        boolean realRow = row < batch;
        int stateBase = row * hidden;
        if (realRow) {
            for (int unit = firstUnit; unit < hidden; unit += stride) {
                float hiddenGradient = 0.0f;
                float cellGradient = 0.0f;
                if (hasFinalStateGradient != 0) {
                    hiddenGradient = dHN.get(stateBase + unit);
                    cellGradient = dCN.get(stateBase + unit);
                }
                dH0.set(stateBase + unit, hiddenGradient);
                dC0.set(stateBase + unit, cellGradient);
            }
        }
        for (int t = seqLen - 1; t >= 0; t--) {
            int gatesBase = (row * seqLen + t) * 4 * hidden;
            if (realRow) {
                int stepBase = (row * seqLen + t) * hidden;
                for (int unit = firstUnit; unit < hidden; unit += stride) {
                    float i = gates.get(gatesBase + unit);
                    float f = gates.get(gatesBase + hidden + unit);
                    float g = gates.get(gatesBase + 2 * hidden + unit);
                    float o = gates.get(gatesBase + 3 * hidden + unit);
                    float tanhCell = TornadoMath.tanh(cells.get(stepBase + unit));
                    float previousCell = 0.0f;
                    if (t > 0) {
                        previousCell = cells.get(stepBase - hidden + unit);
                    } else if (hasInitialState != 0) {
                        previousCell = c0.get(stateBase + unit);
                    }
                    float dh = dOutput.get(stepBase + unit) + dH0.get(stateBase + unit);
                    float dc = dC0.get(stateBase + unit) + dh * o * (1.0f - tanhCell * tanhCell);
                    dGates.set(gatesBase + unit, dc * g * i * (1.0f - i));
                    dGates.set(gatesBase + hidden + unit, dc * previousCell * f * (1.0f - f));
                    dGates.set(gatesBase + 2 * hidden + unit, dc * i * (1.0f - g * g));
                    dGates.set(gatesBase + 3 * hidden + unit, dh * tanhCell * o * (1.0f - o));
                    dC0.set(stateBase + unit, dc * f);
                }
            }
            context.globalBarrier();
            if (realRow) {
                for (int unit = firstUnit; unit < hidden; unit += stride) {
                    dH0.set(stateBase + unit, columnDot(weightHh, unit, hidden, 4 * hidden, dGates, gatesBase));
                }
            }
        }
    }

    /**
     * The recurrent parameters' gradients, accumulated: {@code dWeightHh[r, k] += sum over batch rows and steps of
     * dGates[b, t, r] h_{t-1}[b, k]} ({@code h_{-1}} = {@code h0} or zeros) and, for {@code k == 0} items,
     * {@code dBiasHh[r] += sum of dGates[b, t, r]}; the same sum is added to {@code dBiasIh}, since both biases add
     * to the same pre-activation (so the input projection's linear backward needs no bias gradient). One parallel
     * iteration per element of {@code W_hh}, summing in a fixed order (batch rows, then steps): deterministic, no
     * atomics.
     *
     * @param dGates what {@link #sequenceBackward} wrote
     * @param output every {@code h_t} of the forward, {@code [batch, seqLen, H]}
     */
    public static void recurrentWeightGradients(FloatArray dGates, FloatArray output, FloatArray h0, FloatArray dWeightHh, FloatArray dBiasIh, FloatArray dBiasHh,
            int batch, int seqLen, int hidden, int hasInitialState) {
        int gateRows = 4 * hidden;
        for (@Parallel int r = 0; r < gateRows; r++) {
            for (@Parallel int k = 0; k < hidden; k++) {
                float weightSum = 0.0f;
                float biasSum = 0.0f;
                for (int b = 0; b < batch; b++) {
                    for (int t = 0; t < seqLen; t++) {
                        float gradient = dGates.get((b * seqLen + t) * gateRows + r);
                        float previous = 0.0f;
                        if (t > 0) {
                            previous = output.get((b * seqLen + t - 1) * hidden + k);
                        } else if (hasInitialState != 0) {
                            previous = h0.get(b * hidden + k);
                        }
                        weightSum += gradient * previous;
                        biasSum += gradient;
                    }
                }
                dWeightHh.set(r * hidden + k, dWeightHh.get(r * hidden + k) + weightSum);
                if (k == 0) {
                    dBiasHh.set(r, dBiasHh.get(r) + biasSum);
                    dBiasIh.set(r, dBiasIh.get(r) + biasSum);
                }
            }
        }
    }

    /** {@code sum over r < rows of W[r, column] v[vBase + r]} for a row-major {@code W [rows, columns]}, two partial sums. */
    private static float columnDot(FloatArray weight, int column, int columns, int rows, FloatArray v, int vBase) {
        float sum0 = 0.0f;
        float sum1 = 0.0f;
        int paired = rows - (rows % 2);
        for (int r = 0; r < paired; r += 2) {
            sum0 += weight.get(r * columns + column) * v.get(vBase + r);
            sum1 += weight.get((r + 1) * columns + column) * v.get(vBase + r + 1);
        }
        if (paired < rows) {
            sum0 += weight.get(paired * columns + column) * v.get(vBase + paired);
        }
        return sum0 + sum1;
    }

    /** {@code W[g*H + unit, :] . v[vBase ...] + b[g*H + unit]}. */
    private static float gatePreActivation(int gate, int unit, int hidden, FloatArray v, int vBase, FloatArray weight, FloatArray bias, int length) {
        int gateRow = gate * hidden + unit;
        return dot(weight, gateRow * length, v, vBase, length) + bias.get(gateRow);
    }

    private static float dot(FloatArray a, int aBase, FloatArray b, int bBase, int length) {
        float sum0 = 0.0f;
        float sum1 = 0.0f;
        int paired = length - (length % 2);
        for (int j = 0; j < paired; j += 2) {
            sum0 += a.get(aBase + j) * b.get(bBase + j);
            sum1 += a.get(aBase + j + 1) * b.get(bBase + j + 1);
        }
        if (paired < length) {
            sum0 += a.get(aBase + paired) * b.get(bBase + paired);
        }
        return sum0 + sum1;
    }

    private static float sigmoid(float value) {
        return 1.0f / (1.0f + TornadoMath.exp(-value));
    }

    // ---- host-side grid helpers (not kernels) ----

    /** The work-group size {@link #sequence} gets for a hidden size: hidden rounded up to 32, at most {@value #MAX_GROUP}. */
    public static int sequenceGroupSize(int hidden) {
        return Math.min(MAX_GROUP, LinearKernels.roundUp(hidden, GROUP_QUANTUM));
    }

    /** The grid {@link #sequence} expects: {@code batch} work-groups of {@link #sequenceGroupSize(int)} items. */
    public static WorkerGrid sequenceGrid(int batch, int hidden) {
        int group = sequenceGroupSize(hidden);
        WorkerGrid grid = new WorkerGrid1D(Math.max(batch, 1) * group);
        grid.setLocalWork(group, 1, 1);
        return grid;
    }

    /** The grid for the input projection of a sequence: {@link LinearKernels#linearGrid} over {@code [batch * seq, 4H]}. */
    public static WorkerGrid inputProjectionGrid(int batch, int seqLen, int hidden) {
        return LinearKernels.linearGrid(batch * seqLen, 4 * hidden);
    }
}
