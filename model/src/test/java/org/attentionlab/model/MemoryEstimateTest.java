package org.attentionlab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * {@link MemoryEstimate} against the heap a run really holds on the plain JVM: the live heap after a forced GC, with
 * the model built, its execution prepared and run once, and the copies the forward command keeps (its input, the
 * output copied out twice), minus the live heap before. Configs are chosen so that each side of the estimate
 * dominates once: weights, the attention scratch, per-layer buffers, an LSTM with its MLP head, an embedding table, a
 * tied language-model head (the embedding table read by two layers, held once) with a gated feed-forward.
 */
class MemoryEstimateTest {

    /**
     * Relative tolerance: the estimate counts the device's packed q/k/v copy as the parameters it stands in for (with
     * G1's region rounding that may differ by a few percent) and leaves out the few floats of ALiBi slopes and global
     * tokens.
     */
    static final double TOLERANCE = 0.10;
    /** Absolute slack for what a run holds besides its arrays (task graphs, grids, kernel plans on the heap). */
    static final long SLACK_BYTES = 6L << 20;

    static Stream<Arguments> runs() {
        return Stream.of(
                Arguments.of("weights", "architecture: rnope_swa\nembed_dim: 1024\nhidden_size: 1024\nnum_hidden_layers: 2\nnum_attention_heads: 8\n", 1, 8),
                Arguments.of("scores", "architecture: rnope_swa\nembed_dim: 64\nhidden_size: 64\nnum_attention_heads: 8\nnum_hidden_layers: 2\n"
                        + "sliding_window_pattern: 1\n", 1, 1024),
                Arguments.of("buffers", "architecture: rnope_swa_hybrid\nembed_dim: 48\nhidden_size: 32\nnum_attention_heads: 2\nnum_hidden_layers: 8\n"
                        + "sliding_window: 32\nattention_algorithm: flash\nnorm_position: parallel\n", 2, 1024),
                Arguments.of("lstm", "architecture: hybrid_lstm_attention_mlp\nembed_dim: 32\nlstm_hidden_size: 256\nlstm_layers: 2\nnum_attention_heads: 4\n"
                        + "output: all\nmlp_sizes: [512, 128]\nattention_algorithm: chunked\n", 4, 256),
                Arguments.of("embedding", "architecture: ape\nvocab_size: 40000\nhidden_size: 128\nattention_algorithm: memory_efficient\n", 2, 512),
                Arguments.of("tied logits", "architecture: rnope_swa\nvocab_size: 20000\nhidden_size: 128\nnum_attention_heads: 2\nnum_hidden_layers: 2\n"
                        + "tie_word_embeddings: true\noutput: logits\nffn_type: swiglu\nhidden_act: silu\n", 1, 64));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void theEstimateIsWhatARunHoldsOnTheHeap(String name, String yaml, int batch, int seqLen) {
        ModelSpec spec = ConfigLoader.parse(yaml, Path.of(name + ".yaml"));
        long before = liveHeap();
        Model model = Model.build(spec);
        RunShape shape = RunShape.inference(batch, seqLen);
        long measured;
        try (ModelExecution execution = model.prepare(shape, null)) {
            float[] commandInput = new float[shape.rows() * Math.max(1, model.inputWidth())];
            if (execution.tokenInput() != null) {
                for (int i = 0; i < shape.rows(); i++) {
                    execution.tokenInput().set(i, i % model.vocabSize());
                }
            }
            if (execution.floatInput() != null) {
                for (int i = 0; i < commandInput.length; i++) {
                    execution.floatInput().set(i, (float) Math.sin(i));
                }
            }
            FloatArray output = execution.run();
            float[] firstCopy = output.toHeapArray();
            FloatArray secondCopy = FloatArray.fromArray(firstCopy);
            measured = liveHeap() - before;
            assertEquals(commandInput.length + 2L * secondCopy.getSize(), commandInput.length + 2L * firstCopy.length, "kept alive until here");
        }
        long estimated = model.memory(batch, seqLen).heapBytes();
        System.out.printf("%s: estimated %.1f MB, measured %.1f MB%n", name, estimated / 1e6, measured / 1e6);
        assertTrue(Math.abs(measured - estimated) <= TOLERANCE * estimated + SLACK_BYTES,
                String.format("%s: estimated %,d bytes, the run held %,d", name, estimated, measured));
    }

    /** Heap in use after a full collection (System.gc() is a stop-the-world full GC with the JVM's default G1). */
    static long liveHeap() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
