package org.attentionlab.kernels.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.Activations;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.common.TornadoFunctions.Task3;
import uk.ac.manchester.tornado.api.common.TornadoFunctions.Task4;
import uk.ac.manchester.tornado.api.common.TornadoFunctions.Task6;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Every kernel of {@link Activations} on a TornadoVM device against the same kernel called as plain Java. The
 * inputs are an odd number of Gaussian values (standard deviation 3) led by named extremes: zeros, tiny values,
 * both sides of erf's series/tail switch at 0.75, and magnitudes up to 1e4 where exp and tanh saturate. The
 * backward kernels get the same inputs and Gaussian output gradients; their differences are bounded relative to
 * {@code max(|java|, |x| max(1, |dOut|))}, as the forward's (a few-ulp error of exp or tanh times a factor of x).
 */
class ActivationsIT {

    private static final float[] EXTREMES = { 0f, -0f, 1e-8f, -1e-8f, 0.7499999f, 0.75f, -0.75f, 1f, -1f, 4f, -4f, 9f, -9f, 20f, -20f, 100f, -100f, 1e4f,
            -1e4f };
    private static final int SIZE = 1001;

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    private static float[] inputs(long seed) {
        float[] values = RandomArrays.gaussian(new SplittableRandom(seed), SIZE, 3.0);
        System.arraycopy(EXTREMES, 0, values, 0, EXTREMES.length);
        return values;
    }

    /** {@link #inputs} with its zeros replaced: a kept zero would look dropped to the dropout tests. */
    private static float[] nonZeroInputs(long seed) {
        float[] values = inputs(seed);
        for (int i = 0; i < values.length; i++) {
            if (values[i] == 0f) {
                values[i] = 0.5f;
            }
        }
        return values;
    }

    /** Runs an element-wise kernel {@code (x, out, size)} both ways; returns {java, device, x}. */
    private static float[][] unary(String family, Task3<FloatArray, FloatArray, Integer> kernel, float[] input) {
        FloatArray x = FloatArray.fromArray(input);
        FloatArray java = DeviceTasks.nans(input.length);
        kernel.apply(x, java, input.length);

        FloatArray device = DeviceTasks.nans(input.length);
        TaskGraph graph = DeviceTasks.graph(family).transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task(DeviceTasks.TASK, kernel, x, device, input.length).transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        return new float[][] { java.toHeapArray(), device.toHeapArray(), input };
    }

    /** Runs a kernel {@code (a, b, out, size)} both ways; returns {java, device, |a| * max(1, |b|)}. */
    private static float[][] binary(String family, Task4<FloatArray, FloatArray, FloatArray, Integer> kernel, float[] first, float[] second) {
        FloatArray a = FloatArray.fromArray(first);
        FloatArray b = FloatArray.fromArray(second);
        FloatArray java = DeviceTasks.nans(first.length);
        kernel.apply(a, b, java, first.length);

        FloatArray device = DeviceTasks.nans(first.length);
        TaskGraph graph = DeviceTasks.graph(family).transferToDevice(DataTransferMode.EVERY_EXECUTION, a, b)
                .task(DeviceTasks.TASK, kernel, a, b, device, first.length).transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        float[] magnitude = new float[first.length];
        for (int i = 0; i < magnitude.length; i++) {
            magnitude[i] = Math.abs(first[i]) * Math.max(1f, Math.abs(second[i]));
        }
        return new float[][] { java.toHeapArray(), device.toHeapArray(), magnitude };
    }

    @Test
    void geluErf() {
        float[][] r = unary("geluErf", Activations::geluErf, inputs(1));
        DeviceCheck.assertMatchesJava(r[0], r[1], r[2], "Activations.geluErf (own erf)");
    }

    @Test
    void geluTanh() {
        float[][] r = unary("geluTanh", Activations::geluTanh, inputs(2));
        DeviceCheck.assertMatchesJava(r[0], r[1], r[2], "Activations.geluTanh");
    }

    @Test
    void silu() {
        float[][] r = unary("silu", Activations::silu, inputs(3));
        DeviceCheck.assertMatchesJava(r[0], r[1], r[2], "Activations.silu");
    }

    @Test
    void relu() {
        float[][] r = unary("relu", Activations::relu, inputs(4));
        DeviceCheck.assertIdentical(r[0], r[1], "Activations.relu");
    }

    @Test
    void swiGlu() {
        float[][] r = binary("swiGlu", Activations::swiGlu, inputs(5), inputs(6));
        DeviceCheck.assertMatchesJava(r[0], r[1], r[2], "Activations.swiGlu");
    }

    @Test
    void add() {
        float[][] r = binary("add", Activations::add, inputs(7), inputs(8));
        DeviceCheck.assertIdentical(r[0], r[1], "Activations.add");
    }

    @Test
    void accumulate() {
        float[] addend = inputs(10);
        FloatArray java = FloatArray.fromArray(inputs(9));
        FloatArray device = DeviceTasks.copy(java);
        FloatArray addendArray = FloatArray.fromArray(addend);
        Activations.accumulate(java, addendArray, SIZE);
        TaskGraph graph = DeviceTasks.graph("accumulate").transferToDevice(DataTransferMode.EVERY_EXECUTION, device, addendArray)
                .task(DeviceTasks.TASK, Activations::accumulate, device, addendArray, SIZE).transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        DeviceCheck.assertIdentical(java.toHeapArray(), device.toHeapArray(), "Activations.accumulate");
    }

    @Test
    void accumulateScaled() {
        FloatArray addend = FloatArray.fromArray(inputs(12));
        FloatArray java = FloatArray.fromArray(inputs(11));
        FloatArray device = DeviceTasks.copy(java);
        float scale = 0.37f;
        Activations.accumulateScaled(java, addend, scale, SIZE);
        TaskGraph graph = DeviceTasks.graph("accumulateScaled").transferToDevice(DataTransferMode.EVERY_EXECUTION, device, addend)
                .task(DeviceTasks.TASK, Activations::accumulateScaled, device, addend, scale, SIZE).transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        DeviceCheck.assertMatchesJava(java.toHeapArray(), device.toHeapArray(), "Activations.accumulateScaled");
    }

    /**
     * Rows of 33 logits: ordinary, scale 1e4, with some -inf (masked) entries, all -inf (a fully masked row gives
     * zeros), one huge logit (3e38) among ordinary ones, and a single finite logit among -inf.
     */
    @Test
    void softmaxRows() {
        int rows = 7;
        int cols = 33;
        float[] logits = RandomArrays.gaussian(new SplittableRandom(13), rows * cols, 1.0);
        for (int j = 0; j < cols; j++) {
            logits[cols + j] *= 1e4f;
            if (j % 3 == 0) {
                logits[2 * cols + j] = Float.NEGATIVE_INFINITY;
            }
            logits[3 * cols + j] = Float.NEGATIVE_INFINITY;
            logits[5 * cols + j] = j == 17 ? 2.5f : Float.NEGATIVE_INFINITY;
        }
        logits[4 * cols + 8] = 3e38f;
        FloatArray x = FloatArray.fromArray(logits);
        FloatArray java = DeviceTasks.nans(rows * cols);
        Activations.softmaxRows(x, java, rows, cols);

        FloatArray device = DeviceTasks.nans(rows * cols);
        TaskGraph graph = DeviceTasks.graph("softmaxRows").transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task(DeviceTasks.TASK, Activations::softmaxRows, x, device, rows, cols).transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        DeviceCheck.assertMatchesJava(java.toHeapArray(), device.toHeapArray(), "Activations.softmaxRows (1e4, -inf, fully masked, 3e38 rows)");
    }

    /**
     * The dropout mask is a hash of (seed, index) in 32-bit int arithmetic with wrap-around, so the device must drop
     * exactly the same elements; the kept ones are scaled by 1 / (1 - p), a division OpenCL may round differently.
     */
    @Test
    void dropout() {
        FloatArray x = FloatArray.fromArray(nonZeroInputs(14));
        float p = 0.3f;
        int seed = -123456789;
        FloatArray java = DeviceTasks.nans(SIZE);
        Activations.dropout(x, java, SIZE, p, seed);

        FloatArray device = DeviceTasks.nans(SIZE);
        TaskGraph graph = DeviceTasks.graph("dropout").transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task(DeviceTasks.TASK, Activations::dropout, x, device, SIZE, p, seed).transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        int dropped = 0;
        for (int i = 0; i < SIZE; i++) {
            assertEquals(java.get(i) == 0f, device.get(i) == 0f, "dropout mask at element " + i);
            dropped += java.get(i) == 0f ? 1 : 0;
        }
        System.out.println("dropout: the device dropped the same " + dropped + " of " + SIZE + " elements as Java");
        DeviceCheck.assertMatchesJava(java.toHeapArray(), device.toHeapArray(), "Activations.dropout p=0.3 (same mask)");
    }

    // ---- backward ----

    @Test
    void elementwiseBackward() {
        float[] gradient = RandomArrays.gaussian(new SplittableRandom(15), SIZE, 1.0);
        float[][] r = binary("geluErfBackward", Activations::geluErfBackward, inputs(16), gradient);
        DeviceCheck.assertMatchesJava(r[0], r[1], r[2], "Activations.geluErfBackward");
        r = binary("geluTanhBackward", Activations::geluTanhBackward, inputs(17), gradient);
        DeviceCheck.assertMatchesJava(r[0], r[1], r[2], "Activations.geluTanhBackward (sech^2 from exp: 0 at +-1e4)");
        r = binary("siluBackward", Activations::siluBackward, inputs(18), gradient);
        DeviceCheck.assertMatchesJava(r[0], r[1], r[2], "Activations.siluBackward");
        r = binary("reluBackward", Activations::reluBackward, inputs(19), gradient);
        DeviceCheck.assertIdentical(r[0], r[1], "Activations.reluBackward");
    }

    @Test
    void gatedBackward() {
        checkGatedBackward("swiGluBackward", Activations::swiGluBackward);
        checkGatedBackward("geGluBackward", Activations::geGluBackward);
    }

    private static void checkGatedBackward(String name, Task6<FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, Integer> kernel) {
        FloatArray gate = FloatArray.fromArray(inputs(20));
        FloatArray up = FloatArray.fromArray(RandomArrays.gaussian(new SplittableRandom(21), SIZE, 2.0));
        FloatArray dOut = FloatArray.fromArray(RandomArrays.gaussian(new SplittableRandom(22), SIZE, 1.0));
        FloatArray javaGate = DeviceTasks.nans(SIZE);
        FloatArray javaUp = DeviceTasks.nans(SIZE);
        kernel.apply(gate, up, dOut, javaGate, javaUp, SIZE);

        FloatArray deviceGate = DeviceTasks.nans(SIZE);
        FloatArray deviceUp = DeviceTasks.nans(SIZE);
        TaskGraph graph = DeviceTasks.graph(name).transferToDevice(DataTransferMode.EVERY_EXECUTION, gate, up, dOut)
                .task(DeviceTasks.TASK, kernel, gate, up, dOut, deviceGate, deviceUp, SIZE).transferToHost(DataTransferMode.EVERY_EXECUTION, deviceGate, deviceUp);
        DeviceTasks.execute(graph);
        float[] gateMagnitude = new float[SIZE];
        float[] upMagnitude = new float[SIZE];
        for (int i = 0; i < SIZE; i++) {
            gateMagnitude[i] = Math.abs(gate.get(i)) * Math.abs(up.get(i) * dOut.get(i));
            upMagnitude[i] = Math.abs(gate.get(i)) * Math.abs(dOut.get(i));
        }
        DeviceCheck.assertMatchesJava(javaGate.toHeapArray(), deviceGate.toHeapArray(), gateMagnitude, "Activations." + name + " dGate");
        DeviceCheck.assertMatchesJava(javaUp.toHeapArray(), deviceUp.toHeapArray(), upMagnitude, "Activations." + name + " dUp");
    }

    /** From softmax outputs of rows like the forward test's: ordinary, 1e4-scale, masked, fully masked. */
    @Test
    void softmaxRowsBackward() {
        int rows = 5;
        int cols = 33;
        float[] logits = RandomArrays.gaussian(new SplittableRandom(23), rows * cols, 1.0);
        for (int j = 0; j < cols; j++) {
            logits[cols + j] *= 1e4f;
            if (j % 3 == 0) {
                logits[2 * cols + j] = Float.NEGATIVE_INFINITY;
            }
            logits[3 * cols + j] = Float.NEGATIVE_INFINITY;
        }
        FloatArray y = new FloatArray(rows * cols);
        Activations.softmaxRows(FloatArray.fromArray(logits), y, rows, cols);
        FloatArray dOut = FloatArray.fromArray(RandomArrays.gaussian(new SplittableRandom(24), rows * cols, 1.0));
        FloatArray java = DeviceTasks.nans(rows * cols);
        Activations.softmaxRowsBackward(y, dOut, java, rows, cols);

        FloatArray device = DeviceTasks.nans(rows * cols);
        TaskGraph graph = DeviceTasks.graph("softmaxRowsBackward").transferToDevice(DataTransferMode.EVERY_EXECUTION, y, dOut)
                .task(DeviceTasks.TASK, Activations::softmaxRowsBackward, y, dOut, device, rows, cols).transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        DeviceCheck.assertMatchesJava(java.toHeapArray(), device.toHeapArray(), "Activations.softmaxRowsBackward");
    }

    /** The per-step mask (the step read from device memory) is the one Java draws, bit for bit, at a large step count. */
    @Test
    void dropoutAtStep() {
        FloatArray x = FloatArray.fromArray(nonZeroInputs(25));
        IntArray counter = IntArray.fromElements(987654);
        float p = 0.3f;
        int seed = 424242;
        FloatArray java = DeviceTasks.nans(SIZE);
        Activations.dropoutAtStep(x, java, SIZE, p, seed, counter);

        FloatArray device = DeviceTasks.nans(SIZE);
        TaskGraph graph = DeviceTasks.graph("dropoutAtStep").transferToDevice(DataTransferMode.EVERY_EXECUTION, x, counter)
                .task(DeviceTasks.TASK, Activations::dropoutAtStep, x, device, SIZE, p, seed, counter).transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        for (int i = 0; i < SIZE; i++) {
            assertEquals(java.get(i) == 0f, device.get(i) == 0f, "dropoutAtStep mask at element " + i);
        }
        DeviceCheck.assertMatchesJava(java.toHeapArray(), device.toHeapArray(), "Activations.dropoutAtStep p=0.3, step 987654 (same mask)");
    }

    // ---- element-wise product and scale ----

    /** One float multiplication per element: the device rounds it as Java does. */
    @Test
    void multiply() {
        float[][] r = binary("multiply", Activations::multiply, inputs(31), inputs(32));
        DeviceCheck.assertIdentical(r[0], r[1], "Activations.multiply");
    }

    @Test
    void scale() {
        float[] input = inputs(33);
        FloatArray x = FloatArray.fromArray(input);
        FloatArray java = DeviceTasks.nans(SIZE);
        Activations.scale(x, java, 0.0625f, SIZE);
        FloatArray device = DeviceTasks.nans(SIZE);
        TaskGraph graph = DeviceTasks.graph("scale").transferToDevice(DataTransferMode.EVERY_EXECUTION, x)
                .task(DeviceTasks.TASK, Activations::scale, x, device, 0.0625f, SIZE).transferToHost(DataTransferMode.EVERY_EXECUTION, device);
        DeviceTasks.execute(graph);
        DeviceCheck.assertIdentical(java.toHeapArray(), device.toHeapArray(), "Activations.scale");
    }
}
