package org.attentionlab.cli;

import java.util.Arrays;
import java.util.Locale;

import org.attentionlab.model.Model;
import org.attentionlab.model.exec.Layer;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * Whether a run fits before anything of its size is allocated: every size in 64-bit arithmetic against the
 * elements an int-indexed TornadoVM array holds, then the memory the run needs, from the model's own byte counts,
 * against the heap (plain JVM) or the device's global memory. Each refusal is one line saying what to reduce.
 */
final class FitCheck {

    /** Elements a TornadoVM array (int-indexed, as Java arrays) can hold. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE;

    static final String WHAT_TO_TRY = "try attention_algorithm=flash or memory_efficient, a smaller --seq-len or --batch";

    private FitCheck() {
    }

    /** Refuses a batch x seq-len whose positions cannot be indexed, before a model is even built. */
    static void checkPositions(long batch, long seqLen) {
        long positions = batch * seqLen;
        if (positions > MAX_ELEMENTS) {
            throw new UsageException(String.format(Locale.ROOT,
                    "--batch %,d x --seq-len %,d = %,d positions: TornadoVM arrays are int-indexed (at most %,d elements); reduce --seq-len or --batch",
                    batch, seqLen, positions, MAX_ELEMENTS));
        }
    }

    /**
     * Refuses a run whose input, layer outputs or per-layer activations and scratch pass {@link #MAX_ELEMENTS},
     * naming the buffer and the layer.
     */
    static void checkSizes(Model model, int batch, int seqLen) {
        checkPositions(batch, seqLen);
        long positions = (long) batch * seqLen;
        String shape = String.format(Locale.ROOT, "at batch %,d x seq %,d", batch, seqLen);
        long input = positions * Math.max(1, model.inputWidth());
        if (input > MAX_ELEMENTS) {
            throw tooLarge("the input [" + batch + ", " + seqLen + ", " + model.inputWidth() + "] has", input, shape);
        }
        for (int i = 0; i < model.layers().size(); i++) {
            Layer layer = model.layers().get(i);
            String name = "layer " + i + " '" + layer.describe() + "'";
            long stream = (long) batch * layer.outputPositions(seqLen) * layer.outputWidth();
            if (stream > MAX_ELEMENTS) {
                throw tooLarge("the output of " + name + " has", stream, shape);
            }
            long bytes;
            try {
                bytes = layer.activationBytes(batch, seqLen);
            } catch (ArithmeticException e) {
                throw new UsageException(String.format(Locale.ROOT,
                        "the attention scratch of %s needs more than %,d floats %s, more than a TornadoVM array holds: "
                                + "use attention_algorithm=flash or memory_efficient (no scratch), or reduce --seq-len or --batch",
                        name, MAX_ELEMENTS, shape));
            }
            if (bytes / 4 > MAX_ELEMENTS) {
                throw tooLarge(name + " needs activations and scratch of", bytes / 4, shape);
            }
        }
    }

    private static UsageException tooLarge(String what, long elements, String shape) {
        return new UsageException(String.format(Locale.ROOT,
                "%s %,d elements %s: a TornadoVM array is int-indexed and holds at most %,d; reduce --seq-len or --batch", what, elements,
                shape, MAX_ELEMENTS));
    }

    /** Bytes of one float per element of {@code shape}. */
    static long floatBytes(int[] shape) {
        return 4L * Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b);
    }

    /**
     * Refuses a run that cannot fit in memory. On the plain JVM every task graph keeps its own copy of what it
     * reads, as a device would: the weights are held twice (host and simulated device), each layer's activations
     * and scratch once per layer plus the largest layer's once more on the host. On a TornadoVM device, the
     * weights and every layer's activations and scratch are in its global memory (host arrays are off-heap).
     * Call after {@link #checkSizes}.
     */
    static void checkMemory(Model model, int batch, int seqLen, TornadoDevice device, String deviceName, String describeHint) {
        long weights = 4 * model.parameters().count();
        long activations = 0;
        long largest = 0;
        for (Layer layer : model.layers()) {
            long bytes = layer.activationBytes(batch, seqLen);
            activations += bytes;
            largest = Math.max(largest, bytes);
        }
        long io = 4L * batch * seqLen * Math.max(1, model.inputWidth()) + floatBytes(model.outputShape(batch, seqLen));
        if (device == null) {
            long needed = 2 * weights + activations + largest + io;
            long heap = Runtime.getRuntime().maxMemory();
            if (needed > heap) {
                throw new UsageException(String.format(Locale.ROOT,
                        "out of memory for batch %d x seq %d: it needs about %,d MB (weights %,d MB twice, activations and scratch %,d MB; %s) "
                                + "but the heap holds at most %,d MB: %s, or more heap (ATTENTION_LAB_JAVA_OPTS=-Xmx...)",
                        batch, seqLen, mb(needed), mb(weights), mb(activations + largest + io), describeHint, mb(heap), WHAT_TO_TRY));
            }
            return;
        }
        long needed = weights + activations + io;
        long global = device.getMaxGlobalMemory();
        if (global > 0 && needed > global) {
            throw new UsageException(String.format(Locale.ROOT,
                    "out of memory on %s for batch %d x seq %d: it needs about %,d MB of device memory (weights %,d MB, activations and scratch %,d MB; %s) "
                            + "but the device has %,d MB: %s, or a device with more memory",
                    deviceName, batch, seqLen, mb(needed), mb(weights), mb(activations + io), describeHint, mb(global), WHAT_TO_TRY));
        }
    }

    /** The line for an OutOfMemoryError while the weights are allocated (a model is built before it is measured). */
    static UsageException outOfMemoryBuilding(String command) {
        return new UsageException(String.format(Locale.ROOT,
                "out of memory %s: its weights do not fit the heap (at most %,d MB): make it smaller (embed_dim, hidden_size, intermediate_size, "
                        + "num_hidden_layers, vocab_size) or give more heap (ATTENTION_LAB_JAVA_OPTS=-Xmx...)",
                command, mb(Runtime.getRuntime().maxMemory())));
    }

    /** The line for an OutOfMemoryError caught as a last resort. */
    static UsageException outOfMemory(String what, String describeHint) {
        return new UsageException("out of memory " + what + " (" + describeHint + "): " + WHAT_TO_TRY + ", or more heap (ATTENTION_LAB_JAVA_OPTS=-Xmx...)");
    }

    private static long mb(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }
}
