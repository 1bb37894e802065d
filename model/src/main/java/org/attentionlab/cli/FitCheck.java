package org.attentionlab.cli;

import java.util.Locale;

import org.attentionlab.model.MemoryEstimate;
import org.attentionlab.model.Model;
import org.attentionlab.model.exec.Buffer;
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

    static final String MAKE_IT_SMALLER = "make the model smaller (embed_dim, hidden_size, intermediate_size, num_hidden_layers, vocab_size) "
            + "or give more heap (ATTENTION_LAB_JAVA_OPTS=-Xmx...)";

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
     * Refuses a run the model cannot take ({@link Model#checkSeqLen}) and one whose input, layer outputs or any
     * single buffer a layer asks for passes {@link #MAX_ELEMENTS}, naming the buffer and the layer.
     */
    static void checkSizes(Model model, int batch, int seqLen) {
        checkPositions(batch, seqLen);
        model.checkSeqLen(seqLen);
        long positions = (long) batch * seqLen;
        String shape = String.format(Locale.ROOT, "at batch %,d x seq %,d", batch, seqLen);
        long input = positions * Math.max(1, model.inputWidth());
        if (input > MAX_ELEMENTS) {
            throw tooLarge("the input [" + batch + ", " + seqLen + ", " + model.inputWidth() + "] has", input, shape, "");
        }
        for (int i = 0; i < model.layers().size(); i++) {
            Layer layer = model.layers().get(i);
            String name = "layer " + i + " '" + layer.describe() + "'";
            long stream = (long) batch * layer.outputPositions(seqLen) * layer.outputWidth();
            if (stream > MAX_ELEMENTS) {
                throw tooLarge("the output of " + name + " has", stream, shape, "");
            }
            for (Buffer buffer : layer.buffers(batch, seqLen)) {
                if (buffer.elements() > MAX_ELEMENTS) {
                    throw tooLarge(name + ": its buffer '" + buffer.name() + "' needs", buffer.elements(), shape,
                            Buffer.ATTENTION_SCORES.equals(buffer.name()) ? "use attention_algorithm=flash or memory_efficient (no scratch), or " : "");
                }
            }
        }
    }

    private static UsageException tooLarge(String what, long elements, String shape, String hint) {
        String count = elements == Long.MAX_VALUE ? "more than 9.2e18" : String.format(Locale.ROOT, "%,d", elements);
        return new UsageException(String.format(Locale.ROOT, "%s %s elements %s: a TornadoVM array is int-indexed and holds at most %,d; %sreduce --seq-len or --batch",
                what, count, shape, MAX_ELEMENTS, hint));
    }

    /**
     * Refuses a run that cannot fit in memory, by {@link Model#memory}: on the plain JVM what the heap holds (weights
     * on the host and on the simulated device, every layer's buffers, input and output) against the heap's maximum;
     * on a TornadoVM device what its global memory holds against its size. Call after {@link #checkSizes}, before
     * the weights are allocated (on a model {@link Model#withoutWeights}).
     */
    static void checkMemory(Model model, int batch, int seqLen, TornadoDevice device, String deviceName, String describeHint) {
        MemoryEstimate memory = model.memory(batch, seqLen);
        if (device == null) {
            long needed = memory.heapBytes();
            long heap = Runtime.getRuntime().maxMemory();
            if (memory.heapWeightBytes() > heap) {
                throw new UsageException(String.format(Locale.ROOT,
                        "out of memory: the weights alone need about %,d MB of heap (%,d MB of parameters, held on the host and again on the simulated "
                                + "device; %s) but the heap holds at most %,d MB: %s",
                        mb(memory.heapWeightBytes()), mb(memory.weights()), describeHint, mb(heap), MAKE_IT_SMALLER));
            }
            if (needed > heap) {
                throw new UsageException(String.format(Locale.ROOT,
                        "out of memory for batch %d x seq %d: it needs about %,d MB (weights %,d MB on the host and again on the simulated device, "
                                + "activations and scratch %,d MB; %s) but the heap holds at most %,d MB: %s, or more heap (ATTENTION_LAB_JAVA_OPTS=-Xmx...)",
                        batch, seqLen, mb(needed), mb(memory.weights()), mb(memory.hostBuffers() + memory.deviceBuffers()), describeHint, mb(heap), WHAT_TO_TRY));
            }
            return;
        }
        long needed = memory.deviceBytes();
        long global = device.getMaxGlobalMemory();
        if (global > 0 && needed > global) {
            throw new UsageException(String.format(Locale.ROOT,
                    "out of memory on %s for batch %d x seq %d: it needs about %,d MB of device memory (weights %,d MB, activations and scratch %,d MB; %s) "
                            + "but the device has %,d MB: %s, or a device with more memory",
                    deviceName, batch, seqLen, mb(needed), mb(memory.deviceWeights()), mb(needed - memory.deviceWeights()), describeHint, mb(global),
                    WHAT_TO_TRY));
        }
    }

    /** The line for an OutOfMemoryError while the weights are allocated, should the estimate have missed it. */
    static UsageException outOfMemoryBuilding(String command) {
        return new UsageException(String.format(Locale.ROOT, "out of memory %s: its weights do not fit the heap (at most %,d MB): %s", command,
                mb(Runtime.getRuntime().maxMemory()), MAKE_IT_SMALLER));
    }

    /** The line for an OutOfMemoryError caught as a last resort. */
    static UsageException outOfMemory(String what, String describeHint) {
        return new UsageException("out of memory " + what + " (" + describeHint + "): " + WHAT_TO_TRY + ", or more heap (ATTENTION_LAB_JAVA_OPTS=-Xmx...)");
    }

    private static long mb(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }
}
