package org.attentionlab.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.junit.jupiter.api.Test;

/** One model, several run shapes: batch rows are independent, causal outputs do not look ahead, inputs are re-read. */
class ModelExecutionTest {

    static final Path RNOPE = Path.of("..", "configs", "rnope-swa.yaml");

    static float[] run(Model model, int batch, int seqLen, float[] input) {
        try (ModelExecution execution = model.prepare(RunShape.inference(batch, seqLen), null)) {
            for (int i = 0; i < input.length; i++) {
                execution.floatInput().set(i, input[i]);
            }
            return execution.run().toHeapArray();
        }
    }

    static float[] randomInput(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }

    @Test
    void batchRowsAreIndependentAndShapesChangeWithoutRebuilding() {
        Model model = Model.build(ConfigLoader.load(RNOPE, List.of("num_hidden_layers=2", "sliding_window=4")));
        int seq = 7;
        int width = 256;
        float[] both = randomInput(2 * seq * width, 3);
        float[] second = Arrays.copyOfRange(both, seq * width, 2 * seq * width);
        float[] outBoth = run(model, 2, seq, both);
        float[] outSecond = run(model, 1, seq, second);
        assertArrayEquals(Arrays.copyOfRange(outBoth, width, 2 * width), outSecond, 1e-6f);
    }

    @Test
    void causalOutputsDoNotDependOnLaterPositions() {
        Model model = Model.build(ConfigLoader.load(RNOPE, List.of("num_hidden_layers=2", "sliding_window=3", "output=all", "position_embedding=rope")));
        int width = 256;
        float[] longInput = randomInput(12 * width, 4);
        float[] shortInput = Arrays.copyOf(longInput, 5 * width);
        float[] longOut = run(model, 1, 12, longInput);
        float[] shortOut = run(model, 1, 5, shortInput);
        assertArrayEquals(shortOut, Arrays.copyOf(longOut, 5 * width), 1e-5f);
    }

    @Test
    void everyRunReadsTheCurrentInput() {
        Model model = Model.build(ConfigLoader.load(RNOPE, List.of("num_hidden_layers=1")));
        try (ModelExecution execution = model.prepare(RunShape.inference(1, 6), null)) {
            execution.floatInput().init(0.5f);
            float[] first = execution.run().toHeapArray();
            execution.floatInput().init(-0.25f);
            float[] second = execution.run().toHeapArray();
            execution.floatInput().init(0.5f);
            float[] third = execution.run().toHeapArray();
            assertTrue(!Arrays.equals(first, second));
            assertArrayEquals(first, third, 0f);
        }
    }

    @Test
    void aGlobalTokenPastTheSequenceIsAnInputError() {
        Model model = Model.build(ConfigLoader.load(RNOPE, List.of("num_hidden_layers=1", "global_tokens=[0, 20]")));
        InputException error = assertThrows(InputException.class, () -> model.prepare(RunShape.inference(1, 16), null));
        assertEquals(RNOPE + ": global_tokens: position 20 is outside a sequence of 16 positions (use a longer sequence or drop the position)",
                error.getMessage());
        model.prepare(RunShape.inference(1, 21), null).close();
    }

    @Test
    void edificeOutputSizeIsTheWidthOfOneOutput() {
        Model model = Model.build(ConfigLoader.load(RNOPE));
        assertEquals(256, model.outputSize());
        assertArrayEquals(new int[] { 3, 256 }, model.outputShape(3, 50));
    }
}
