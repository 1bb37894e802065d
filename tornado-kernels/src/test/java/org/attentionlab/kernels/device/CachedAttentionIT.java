package org.attentionlab.kernels.device;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.attentionlab.kernels.AttentionLaunch;
import org.attentionlab.kernels.AttentionMasks;
import org.attentionlab.kernels.CachedAttention;
import org.attentionlab.kernels.PositionalBiases;
import org.attentionlab.kernels.RotaryEmbedding;
import org.attentionlab.kernels.SinusoidalEncoding;
import org.attentionlab.kernels.testing.AttentionRunner;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The decode step on a TornadoVM device as generation runs it: one task graph (RoPE of the new query and key at the
 * position, the three attention kernels, then {@link CachedAttention#store}) executed once per position, the position
 * in a one-element buffer sent on every execution, the caches sent once (after a prompt filled them) and kept on the
 * device from then on, only the output coming back. Every step's output is compared with the same kernels called as
 * plain Java on the same inputs ({@link DeviceCheck} tolerance: RoPE's and exp's few-ulp differences); a cache that
 * did not persist between executions, a position captured at build time or a wrong slot would be O(1) off.
 */
class CachedAttentionIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @ParameterizedTest(name = "windows {0}, bias {1}, prompt {2}, length {3}, rope {4}, globals {5}")
    @CsvSource({ "5:5:5:5, 1, 3, 24, false, ''", // sliding, ALiBi, four wraps of the rolling buffer
            "4:4:4:4, 0, 9, 20, true, ''", // sliding, RoPE, a prompt longer than the window
            "0:0:0:0, 2, 4, 12, false, ''", // full, APE (the bias of a growing length)
            "0:0:0:0, 0, 1, 10, true, ''", // full, RoPE
            "2:5:3:1, 1, 4, 16, true, 0:6" }) // a window per head, ALiBi, RoPE, global tokens in the prompt and in the generation
    void decodeStepsOnTheDevice(String windowList, int biasKind, int prompt, int length, boolean rope, String globalList) {
        int batch = 2;
        int heads = 4;
        int kvHeads = 2;
        int headDim = 16;
        int qWidth = heads * headDim;
        int kvWidth = kvHeads * headDim;
        AttentionMasks.Window[] perHead = java.util.Arrays.stream(windowList.split(":")).mapToInt(Integer::parseInt)
                .mapToObj(w -> w == 0 ? AttentionMasks.Window.causal() : AttentionMasks.Window.causalSliding(w)).toArray(AttentionMasks.Window[]::new);
        IntArray windows = AttentionMasks.windows(perHead);
        int[] globalPositions = globalList.isEmpty() ? new int[0] : java.util.Arrays.stream(globalList.split(":")).mapToInt(Integer::parseInt).toArray();
        IntArray globals = AttentionMasks.globalTokens(globalPositions);
        int numGlobal = globalPositions.length;
        int capacity = CachedAttention.capacity(windows, heads, numGlobal, length);
        int window = Integer.parseInt(windowList.split(":")[0]);
        float scale = 0.25f;
        FloatArray slopes = biasKind == PositionalBiases.ALIBI ? PositionalBiases.alibiSlopes(heads) : PositionalBiases.noSlopes();
        float apeScale = biasKind == PositionalBiases.APE ? 0.7f : 0f;
        SplittableRandom random = new SplittableRandom(17L * window + prompt);
        float[] promptKeys = RandomArrays.uniform(random, batch * prompt * kvWidth, -1, 1);
        float[] promptValues = RandomArrays.uniform(random, batch * prompt * kvWidth, -1, 1);

        // The host side of both runs: caches filled from the prompt (as plain Java), then one decode per position.
        FloatArray javaKeys = new FloatArray(batch * capacity * kvWidth);
        FloatArray javaValues = new FloatArray(batch * capacity * kvWidth);
        CachedAttention.fill(FloatArray.fromArray(promptKeys), FloatArray.fromArray(promptValues), javaKeys, javaValues, batch, prompt, kvWidth, capacity, 0);
        FloatArray deviceKeys = DeviceTasks.copy(javaKeys);
        FloatArray deviceValues = DeviceTasks.copy(javaValues);
        FloatArray javaScores = new FloatArray(CachedAttention.scoresSize(batch, heads, capacity));

        FloatArray q = new FloatArray(batch * qWidth);
        FloatArray k = new FloatArray(batch * kvWidth);
        FloatArray v = new FloatArray(batch * kvWidth);
        FloatArray scores = new FloatArray(javaScores.getSize());
        FloatArray out = DeviceTasks.nans(batch * qWidth);
        IntArray position = new IntArray(1);
        AttentionLaunch launch = new AttentionLaunch(AttentionLaunch.Algorithm.STANDARD, batch, 1, heads, kvHeads, headDim, windows, true, globals,
                numGlobal, biasKind, slopes, apeScale, scale, 1);
        TaskGraph graph = DeviceTasks.graph("cached_attention")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, deviceKeys, deviceValues, slopes, windows, globals)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, position, q, k, v);
        if (rope) {
            graph.task("rope_q", RotaryEmbedding::applyAtPosition, q, position, batch, heads, headDim, 10000f, RotaryEmbedding.GPTJ)
                    .task("rope_k", RotaryEmbedding::applyAtPosition, k, position, batch, kvHeads, headDim, 10000f, RotaryEmbedding.GPTJ);
        }
        launch.addCachedTasks(graph, "attention", q, k, v, deviceKeys, deviceValues, out, scores, position, capacity);
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out);

        double largest = 0;
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            for (int p = prompt; p < length; p++) {
                float[] qRow = RandomArrays.uniform(random, q.getSize(), -1, 1);
                float[] kRow = RandomArrays.uniform(random, k.getSize(), -1, 1);
                float[] vRow = RandomArrays.uniform(random, v.getSize(), -1, 1);
                IntArray javaPosition = IntArray.fromArray(new int[] { p });
                FloatArray javaQ = FloatArray.fromArray(qRow);
                FloatArray javaK = FloatArray.fromArray(kRow);
                FloatArray javaOut = new FloatArray(out.getSize());
                if (rope) {
                    RotaryEmbedding.applyAtPosition(javaQ, javaPosition, batch, heads, headDim, 10000f, RotaryEmbedding.GPTJ);
                    RotaryEmbedding.applyAtPosition(javaK, javaPosition, batch, kvHeads, headDim, 10000f, RotaryEmbedding.GPTJ);
                }
                FloatArray javaV = FloatArray.fromArray(vRow);
                CachedAttention.scores(javaQ, javaK, javaKeys, javaScores, javaPosition, globals, numGlobal, slopes, batch, heads, kvHeads, headDim, capacity,
                        windows, biasKind, apeScale, scale);
                CachedAttention.softmax(javaScores, javaPosition, globals, numGlobal, batch, heads, capacity, windows);
                CachedAttention.weightedValues(javaV, javaValues, javaScores, javaOut, javaPosition, globals, numGlobal, batch, heads, kvHeads, headDim,
                        capacity, windows);
                CachedAttention.store(javaK, javaV, javaKeys, javaValues, javaPosition, batch, kvWidth, capacity);

                position.set(0, p);
                for (int i = 0; i < qRow.length; i++) {
                    q.set(i, qRow[i]);
                }
                for (int i = 0; i < kRow.length; i++) {
                    k.set(i, kRow[i]);
                    v.set(i, vRow[i]);
                }
                plan.execute();
                largest = Math.max(largest, DeviceCheck.assertMatchesJava(javaOut.toHeapArray(), out.toHeapArray(),
                        "CachedAttention step at position " + p + " (windows " + windowList + ", globals " + globalList + ", bias " + biasKind + ", rope " + rope + ")"));
            }
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException(e);
        }
        DeviceCheck.report("java", "CachedAttention decode, windows " + windowList + ", globals " + globalList + ", bias " + biasKind + ", rope " + rope + ", " + (length - prompt)
                + " steps (largest)", largest);
    }

    /**
     * The prompt's keys and values into the caches: data movement only, bit for bit; token-major, and head-major
     * (k and v {@code [batch][kvHead][seqLen][headDim]}, 3 heads of 8) against Java's token-major fill.
     */
    @ParameterizedTest(name = "headMajorHeadDim {0}")
    @ValueSource(ints = { 0, 8 })
    void fill(int headMajorHeadDim) {
        int batch = 2;
        int seqLen = 23;
        int kvWidth = 24;
        int capacity = 5;
        float[] k = RandomArrays.uniform(new SplittableRandom(5), batch * seqLen * kvWidth, -1, 1);
        float[] v = RandomArrays.uniform(new SplittableRandom(6), batch * seqLen * kvWidth, -1, 1);
        FloatArray javaKeys = DeviceTasks.nans(batch * capacity * kvWidth);
        FloatArray javaValues = DeviceTasks.nans(batch * capacity * kvWidth);
        CachedAttention.fill(FloatArray.fromArray(k), FloatArray.fromArray(v), javaKeys, javaValues, batch, seqLen, kvWidth, capacity, 0);
        int heads = headMajorHeadDim > 0 ? kvWidth / headMajorHeadDim : 1;
        FloatArray deviceK = FloatArray.fromArray(headMajorHeadDim > 0 ? AttentionRunner.headMajor(k, batch, seqLen, heads, headMajorHeadDim) : k);
        FloatArray deviceV = FloatArray.fromArray(headMajorHeadDim > 0 ? AttentionRunner.headMajor(v, batch, seqLen, heads, headMajorHeadDim) : v);
        FloatArray deviceKeys = DeviceTasks.nans(javaKeys.getSize());
        FloatArray deviceValues = DeviceTasks.nans(javaValues.getSize());
        TaskGraph graph = DeviceTasks.graph("cache_fill").transferToDevice(DataTransferMode.EVERY_EXECUTION, deviceK, deviceV)
                .task(DeviceTasks.TASK, CachedAttention::fill, deviceK, deviceV, deviceKeys, deviceValues, batch, seqLen, kvWidth, capacity, headMajorHeadDim)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, deviceKeys, deviceValues);
        DeviceTasks.execute(graph);
        DeviceCheck.assertIdentical(javaKeys.toHeapArray(), deviceKeys.toHeapArray(), "CachedAttention.fill keys, headMajorHeadDim " + headMajorHeadDim);
        DeviceCheck.assertIdentical(javaValues.toHeapArray(), deviceValues.toHeapArray(), "CachedAttention.fill values, headMajorHeadDim " + headMajorHeadDim);
    }

    /** The sinusoidal encoding at a position in device memory, against Java at positions 0..1000 (one graph, the position sent each time). */
    @Test
    void sinusoidalAtPosition() {
        int batch = 2;
        int dim = 33;
        float[] x = RandomArrays.uniform(new SplittableRandom(9), batch * dim, -1, 1);
        FloatArray device = FloatArray.fromArray(x);
        IntArray position = new IntArray(1);
        TaskGraph graph = DeviceTasks.graph("sinusoidal_at_position").transferToDevice(DataTransferMode.EVERY_EXECUTION, position, device)
                .task(DeviceTasks.TASK, SinusoidalEncoding::addAtPosition, device, position, batch, dim, SinusoidalEncoding.STANDARD)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            for (int p : new int[] { 0, 7, 1000 }) {
                FloatArray java = FloatArray.fromArray(x);
                SinusoidalEncoding.addAtPosition(java, IntArray.fromArray(new int[] { p }), batch, dim, SinusoidalEncoding.STANDARD);
                position.set(0, p);
                for (int i = 0; i < x.length; i++) {
                    device.set(i, x[i]);
                }
                plan.execute();
                double[] bound = new double[x.length];
                // an angle error grows with the position, as in SinusoidalEncodingIT
                Arrays.fill(bound, DeviceCheck.ABS + p * 8 * Math.pow(2, -24));
                DeviceCheck.assertWithinJava(java.toHeapArray(), device.toHeapArray(), bound, "SinusoidalEncoding.addAtPosition at " + p);
            }
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException(e);
        }
    }
}
