package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.toDoubles;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.FiniteDifferences;
import org.attentionlab.kernels.reference.LossReference;
import org.attentionlab.kernels.testing.Plans;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * {@link Losses#maskedMeanSquaredError} and its backward through a task graph against a float64 reference written
 * here from the definition (mean over the counted rows' elements), whose gradient is checked by finite differences.
 * Tolerances as {@code LossesTest}'s mean squared error: a sum of positive terms over a few per item and the tree,
 * {@code 2e-6} relative; the gradient one division, {@code 3e-7} relative. Counts exactly.
 */
class MaskedMeanSquaredErrorTest {

    record Result(double loss, int counted, double[] gradient) {
    }

    /** The loss over counted rows and its gradient, in float64. */
    static Result reference(double[] prediction, double[] target, int[] counted, int width) {
        int rows = counted.length;
        double total = 0;
        int positions = 0;
        for (int r = 0; r < rows; r++) {
            if (counted[r] != 0) {
                positions++;
                for (int j = 0; j < width; j++) {
                    double d = prediction[r * width + j] - target[r * width + j];
                    total += d * d;
                }
            }
        }
        double[] gradient = new double[prediction.length];
        for (int r = 0; r < rows && positions > 0; r++) {
            for (int j = 0; j < width && counted[r] != 0; j++) {
                gradient[r * width + j] = 2 * (prediction[r * width + j] - target[r * width + j]) / (positions * (double) width);
            }
        }
        return new Result(positions == 0 ? 0 : total / (positions * (double) width), positions, gradient);
    }

    static float[] run(float[] predictionValues, float[] targetValues, int[] countedValues, int width, float[] dPrediction) {
        int rows = countedValues.length;
        FloatArray prediction = FloatArray.fromArray(predictionValues);
        FloatArray target = FloatArray.fromArray(targetValues);
        IntArray counted = IntArray.fromArray(countedValues);
        FloatArray summary = new FloatArray(Losses.SUMMARY);
        FloatArray gradient = new FloatArray(rows * width);
        TaskGraph graph = new TaskGraph("masked").transferToDevice(DataTransferMode.EVERY_EXECUTION, prediction, target, counted)
                .task("loss", Losses::maskedMeanSquaredError, new KernelContext(), prediction, target, counted, summary, rows, width)
                .task("backward", Losses::maskedMeanSquaredErrorBackward, prediction, target, counted, summary, gradient, rows, width)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, summary, gradient);
        Plans.executeOnce(graph, new GridScheduler("masked.loss", Losses.summaryGrid()));
        System.arraycopy(gradient.toHeapArray(), 0, dPrediction, 0, rows * width);
        return summary.toHeapArray();
    }

    static int[] counted(SplittableRandom random, int rows) {
        int[] counted = new int[rows];
        for (int r = 0; r < rows; r++) {
            counted[r] = random.nextDouble() < 0.7 ? 1 : 0;
        }
        return counted;
    }

    @Property(tries = 50)
    void referenceMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 8) int rows, @ForAll @IntRange(min = 1, max = 4) int width,
            @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] prediction = toDoubles(RandomArrays.gaussian(random, rows * width, 2.0));
        double[] target = toDoubles(RandomArrays.gaussian(random, rows * width, 2.0));
        int[] counted = counted(random, rows);
        double[] numeric = FiniteDifferences.gradientOfScalar(p -> reference(p, target, counted, width).loss(), prediction);
        double[] analytic = reference(prediction, target, counted, width).gradient();
        for (int i = 0; i < numeric.length; i++) {
            assertEquals(numeric[i], analytic[i], 1e-8, "element " + i);
        }
    }

    @Property(tries = 60)
    void kernelsMatchTheReference(@ForAll @IntRange(min = 1, max = 700) int rows, @ForAll @IntRange(min = 1, max = 9) int width, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] prediction = RandomArrays.gaussian(random, rows * width, 2.0);
        float[] target = RandomArrays.gaussian(random, rows * width, 2.0);
        int[] counted = counted(random, rows);
        float[] gradient = new float[rows * width];
        float[] summary = run(prediction, target, counted, width, gradient);
        Result expected = reference(toDoubles(prediction), toDoubles(target), counted, width);
        assertEquals(expected.counted(), summary[Losses.SUMMARY_COUNTED]);
        assertEquals(0f, summary[Losses.SUMMARY_CORRECT]);
        assertEquals(expected.loss(), summary[Losses.SUMMARY_LOSS], 2e-6 * expected.loss());
        for (int i = 0; i < gradient.length; i++) {
            assertEquals(expected.gradient()[i], gradient[i], 3e-7 * Math.abs(expected.gradient()[i]), "gradient " + i);
        }
    }

    @Test
    void everyRowCountedIsTheMeanSquaredError() {
        SplittableRandom random = new SplittableRandom(5);
        int rows = 37;
        int width = 3;
        float[] prediction = RandomArrays.gaussian(random, rows * width, 1.0);
        float[] target = RandomArrays.gaussian(random, rows * width, 1.0);
        int[] all = new int[rows];
        java.util.Arrays.fill(all, 1);
        float[] gradient = new float[rows * width];
        float[] summary = run(prediction, target, all, width, gradient);
        LossReference.Result plain = LossReference.meanSquaredError(toDoubles(prediction), toDoubles(target));
        assertEquals(plain.loss(), summary[Losses.SUMMARY_LOSS], 2e-6 * plain.loss());
        assertEquals(rows, summary[Losses.SUMMARY_COUNTED]);
    }

    @Test
    void noRowCountedIsZeroNotNaN() {
        float[] gradient = new float[6];
        float[] summary = run(new float[] { 1, 2, 3, 4, 5, 6 }, new float[6], new int[3], 2, gradient);
        assertEquals(0f, summary[Losses.SUMMARY_LOSS]);
        assertEquals(0f, summary[Losses.SUMMARY_COUNTED]);
        for (float g : gradient) {
            assertEquals(0f, g);
        }
    }
}
