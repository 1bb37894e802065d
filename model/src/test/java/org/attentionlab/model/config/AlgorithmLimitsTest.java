package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;

import org.attentionlab.kernels.AttentionKernels;
import org.attentionlab.model.Model;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.spec.AttentionAlgorithm;
import org.junit.jupiter.api.Test;

/**
 * What an attention kernel cannot do is refused in the config, at the key that asked for it, never run into NaN:
 * flash's head_dim limit is read from the kernel ({@link AttentionKernels#FLASH_MAX_HEAD_DIM}), whatever it is. What a
 * kernel adapts by design is documented and gives the same result: memory_efficient's key chunk is capped at
 * {@link AttentionKernels#MEMORY_EFFICIENT_MAX_CHUNK}.
 */
class AlgorithmLimitsTest {

    private static final int LIMIT = AttentionKernels.FLASH_MAX_HEAD_DIM;

    private static ModelSpec parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, Path.of("limits.yaml"));
    }

    private static String model(int headDim) {
        return "architecture: rnope_swa\nembed_dim: 8\nnum_attention_heads: 2\nhead_dim: " + headDim + "\n";
    }

    private static String refusal(int headDim) {
        return "flash supports head_dim up to " + LIMIT + " (its key and value tiles live in the work-group's local memory), but head_dim is " + headDim
                + ": use memory_efficient, or more num_attention_heads";
    }

    @Test
    void flashUpToItsHeadDimLimitIsAccepted() throws ConfigException {
        ModelSpec spec = parse(model(LIMIT) + "attention_algorithm: flash\n");
        assertEquals(AttentionAlgorithm.FLASH, spec.blocks().get(0).attention().algorithm());
    }

    @Test
    void flashPastItsHeadDimLimitIsRefusedWhereItWasAsked() {
        int headDim = LIMIT + 2;
        ConfigException top = assertThrows(ConfigException.class, () -> parse(model(headDim) + "attention_algorithm: flash\n"));
        assertEquals("limits.yaml:5:1: attention_algorithm: " + refusal(headDim), top.getMessage());
        ConfigException perLayer = assertThrows(ConfigException.class,
                () -> parse(model(headDim) + "num_hidden_layers: 3\nlayers:\n  2: {attention_algorithm: flash}\n"));
        assertEquals("limits.yaml:7:7: layers.2.attention_algorithm: " + refusal(headDim), perLayer.getMessage());
        // set by --set: the override is named
        ConfigException set = assertThrows(ConfigException.class, () -> ConfigLoader.load(Path.of("..", "configs", "rnope-swa.yaml"),
                List.of("num_attention_heads=1", "hidden_size=" + headDim, "embed_dim=" + headDim, "attention_algorithm=flash")));
        assertEquals("--set attention_algorithm=flash:1:1: attention_algorithm: " + refusal(headDim), set.getMessage());
    }

    @Test
    void aMemoryEfficientChunkPastItsLimitRunsAsTheLimitItself() throws ConfigException {
        String common = "architecture: rnope_swa\nembed_dim: 16\nnum_attention_heads: 2\nnum_hidden_layers: 1\nsliding_window: 400\n"
                + "attention_algorithm: memory_efficient\noutput: all\n";
        float[] atLimit = run(parse(common + "chunk_size: " + AttentionKernels.MEMORY_EFFICIENT_MAX_CHUNK + "\n"));
        float[] past = run(parse(common + "chunk_size: " + 3 * AttentionKernels.MEMORY_EFFICIENT_MAX_CHUNK + "\n"));
        float[] smaller = run(parse(common + "chunk_size: 7\n"));
        assertArrayEquals(atLimit, past, 0f, "the documented clamp: the same kernel call");
        assertArrayEquals(atLimit, smaller, 1e-5f, "chunking changes rounding only");
    }

    private static float[] run(ModelSpec spec) {
        Model model = Model.build(spec);
        int seqLen = 2 * AttentionKernels.MEMORY_EFFICIENT_MAX_CHUNK + 5;
        try (ModelExecution execution = model.prepare(RunShape.inference(1, seqLen), null)) {
            for (int i = 0; i < execution.floatInput().getSize(); i++) {
                execution.floatInput().set(i, (float) Math.sin(0.37 * i));
            }
            return execution.run().toHeapArray();
        }
    }

    @Test
    void otherAlgorithmsTakeAnyHeadDim() throws ConfigException {
        for (String algorithm : List.of("standard", "chunked", "memory_efficient")) {
            assertEquals(LIMIT * 4, parse(model(LIMIT * 4) + "attention_algorithm: " + algorithm + "\n").blocks().get(0).attention().headDim());
        }
    }
}
