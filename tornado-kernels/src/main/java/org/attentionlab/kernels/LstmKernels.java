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
        boolean realRow = row < batch;
        int stateBase = row * hidden;
        if (realRow) {
            for (int unit = firstUnit; unit < hidden; unit += stride) {
                float initialCell = 0.0f;
                if (hasInitialState != 0) {
                    initialCell = c0.get(stateBase + unit);
                }
                cN.set(stateBase + unit, initialCell);
            }
        }
        for (int t = 0; t < seqLen; t++) {
            if (realRow) {
                int gatesBase = (row * seqLen + t) * 4 * hidden;
                int outputBase = (row * seqLen + t) * hidden;
                for (int unit = firstUnit; unit < hidden; unit += stride) {
                    float inputGate = inputGates.get(gatesBase + unit) + biasHh.get(unit);
                    float forgetGate = inputGates.get(gatesBase + hidden + unit) + biasHh.get(hidden + unit);
                    float cellGate = inputGates.get(gatesBase + 2 * hidden + unit) + biasHh.get(2 * hidden + unit);
                    float outputGate = inputGates.get(gatesBase + 3 * hidden + unit) + biasHh.get(3 * hidden + unit);
                    if (t > 0) {
                        int previousBase = outputBase - hidden;
                        inputGate += dot(weightHh, unit * hidden, output, previousBase, hidden);
                        forgetGate += dot(weightHh, (hidden + unit) * hidden, output, previousBase, hidden);
                        cellGate += dot(weightHh, (2 * hidden + unit) * hidden, output, previousBase, hidden);
                        outputGate += dot(weightHh, (3 * hidden + unit) * hidden, output, previousBase, hidden);
                    } else if (hasInitialState != 0) {
                        inputGate += dot(weightHh, unit * hidden, h0, stateBase, hidden);
                        forgetGate += dot(weightHh, (hidden + unit) * hidden, h0, stateBase, hidden);
                        cellGate += dot(weightHh, (2 * hidden + unit) * hidden, h0, stateBase, hidden);
                        outputGate += dot(weightHh, (3 * hidden + unit) * hidden, h0, stateBase, hidden);
                    }
                    float c = sigmoid(forgetGate) * cN.get(stateBase + unit) + sigmoid(inputGate) * TornadoMath.tanh(cellGate);
                    cN.set(stateBase + unit, c);
                    output.set(outputBase + unit, sigmoid(outputGate) * TornadoMath.tanh(c));
                }
            }
            context.globalBarrier();
        }
        if (realRow) {
            for (int unit = firstUnit; unit < hidden; unit += stride) {
                float finalHidden = 0.0f;
                if (seqLen > 0) {
                    finalHidden = output.get((row * seqLen + seqLen - 1) * hidden + unit);
                } else if (hasInitialState != 0) {
                    finalHidden = h0.get(stateBase + unit);
                }
                hN.set(stateBase + unit, finalHidden);
            }
        }
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
