package org.attentionlab.kernels;

import static org.attentionlab.kernels.testing.Closeness.assertFinite;
import static org.attentionlab.kernels.testing.Closeness.assertWithin;
import static org.attentionlab.kernels.testing.Closeness.toDoubles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.reference.FiniteDifferences;
import org.attentionlab.kernels.reference.LossReference;
import org.attentionlab.kernels.testing.Plans;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The loss kernels, run as a training graph runs them (through a task graph and grids), against float64 references
 * whose gradients are checked by finite differences. Cross-entropy: targets drawn with about a third ignored
 * ({@link Losses#IGNORE_INDEX} or another value outside the classes), vocabularies past the work-group size.
 *
 * <p>Tolerances. A row's loss {@code (max - z_target) + log(sum exp(z - max))} has no cancellation, and the mean
 * adds a tree of roundings: {@code 1e-6 (1 + loss)} (the largest error seen over 400 random cases was 1.3e-7 of it).
 * A probability {@code exp((z - max) - s)} carries the relative error of {@code z - max} and of the summed
 * {@code s} (up to 256 terms per item and an 8-level tree): {@code 3e-6 (p (1 + |z - max|) + onehot) / counted}
 * (largest seen: 6e-7 of it), plus 1e-30 for probabilities that underflow. Mean squared error: a sum of positive
 * terms over at most 12 per item and the tree, {@code 2e-6} relative. Counts and hits exactly.
 */
class LossesTest {

    record CrossEntropy(float[] rowStatistics, float[] summary, float[] dLogits) {
    }

    static CrossEntropy crossEntropy(float[] logitValues, int[] targetValues, int rows, int classes, boolean inPlace) {
        FloatArray logits = FloatArray.fromArray(logitValues);
        IntArray targets = IntArray.fromArray(targetValues);
        FloatArray rowStatistics = new FloatArray(rows * Losses.ROW_STATISTICS);
        FloatArray summary = new FloatArray(Losses.SUMMARY);
        FloatArray dLogits = inPlace ? logits : new FloatArray(rows * classes);
        TaskGraph graph = new TaskGraph("loss").transferToDevice(DataTransferMode.EVERY_EXECUTION, logits, targets)
                .task("rows", Losses::crossEntropyRows, new KernelContext(), logits, targets, rowStatistics, rows, classes)
                .task("summary", Losses::crossEntropySummary, new KernelContext(), rowStatistics, targets, summary, rows, classes)
                .task("backward", Losses::crossEntropyBackward, logits, targets, rowStatistics, summary, dLogits, rows, classes)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, rowStatistics, summary, dLogits);
        GridScheduler grids = new GridScheduler();
        grids.addWorkerGrid("loss.rows", Losses.rowsGrid(rows));
        grids.addWorkerGrid("loss.summary", Losses.summaryGrid());
        Plans.executeOnce(graph, grids);
        return new CrossEntropy(rowStatistics.toHeapArray(), summary.toHeapArray(), dLogits.toHeapArray());
    }

    static float[] meanSquaredError(float[] predictionValues, float[] targetValues, float[] dPrediction) {
        int size = predictionValues.length;
        FloatArray prediction = FloatArray.fromArray(predictionValues);
        FloatArray target = FloatArray.fromArray(targetValues);
        FloatArray summary = new FloatArray(Losses.SUMMARY);
        FloatArray gradient = new FloatArray(Math.max(size, 1));
        TaskGraph graph = new TaskGraph("mse").transferToDevice(DataTransferMode.EVERY_EXECUTION, prediction, target)
                .task("loss", Losses::meanSquaredError, new KernelContext(), prediction, target, summary, size)
                .task("backward", Losses::meanSquaredErrorBackward, prediction, target, gradient, size)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, summary, gradient);
        Plans.executeOnce(graph, new GridScheduler("mse.loss", Losses.summaryGrid()));
        System.arraycopy(gradient.toHeapArray(), 0, dPrediction, 0, size);
        return summary.toHeapArray();
    }

    static int[] targets(SplittableRandom random, int rows, int classes) {
        int[] targets = new int[rows];
        for (int r = 0; r < rows; r++) {
            double u = random.nextDouble();
            targets[r] = u < 0.2 ? Losses.IGNORE_INDEX : u < 0.3 ? (random.nextBoolean() ? classes : -1) : random.nextInt(classes);
        }
        return targets;
    }

    // ---- references against finite differences ----

    @Property(tries = 50)
    void crossEntropyReferenceMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 8) int classes,
            @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] logits = toDoubles(RandomArrays.gaussian(random, rows * classes, 3.0));
        int[] targets = targets(random, rows, classes);
        double[] numeric = FiniteDifferences.gradientOfScalar(z -> LossReference.crossEntropy(z, targets, rows, classes).loss(), logits);
        double[] analytic = LossReference.crossEntropy(logits, targets, rows, classes).gradient();
        for (int i = 0; i < numeric.length; i++) {
            assertEquals(numeric[i], analytic[i], 1e-8, "element " + i);
        }
    }

    @Property(tries = 50)
    void meanSquaredErrorReferenceMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 20) int size, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] prediction = toDoubles(RandomArrays.gaussian(random, size, 2.0));
        double[] target = toDoubles(RandomArrays.gaussian(random, size, 2.0));
        double[] numeric = FiniteDifferences.gradientOfScalar(p -> LossReference.meanSquaredError(p, target).loss(), prediction);
        double[] analytic = LossReference.meanSquaredError(prediction, target).gradient();
        for (int i = 0; i < size; i++) {
            assertEquals(numeric[i], analytic[i], 1e-8, "element " + i);
        }
    }

    // ---- kernels against references ----

    @Property(tries = 80)
    void crossEntropyMatchesReference(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 300) int classes,
            @ForAll @DoubleRange(min = 0.01, max = 1000) double scale, @ForAll boolean inPlace, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] logits = RandomArrays.gaussian(random, rows * classes, scale);
        int[] targets = targets(random, rows, classes);
        CrossEntropy kernels = crossEntropy(logits, targets, rows, classes, inPlace);
        LossReference.Result expected = LossReference.crossEntropy(toDoubles(logits), targets, rows, classes);
        assertEquals(expected.loss(), kernels.summary()[Losses.SUMMARY_LOSS], 1e-6 * (1 + expected.loss()), "mean loss");
        assertEquals(expected.counted(), kernels.summary()[Losses.SUMMARY_COUNTED], "counted rows");
        assertEquals(expected.correct(), kernels.summary()[Losses.SUMMARY_CORRECT], "correct rows");
        double[] bound = new double[expected.gradient().length];
        int counted = Math.max(expected.counted(), 1);
        for (int r = 0; r < rows; r++) {
            double max = -Double.MAX_VALUE;
            for (int j = 0; j < classes; j++) {
                max = Math.max(max, logits[r * classes + j]);
            }
            for (int j = 0; j < classes; j++) {
                int i = r * classes + j;
                double oneHot = j == targets[r] ? 1 : 0;
                double probability = Math.abs(expected.gradient()[i] * counted + oneHot);
                bound[i] = 3e-6 * (probability * (1 + Math.abs(logits[i] - max)) + oneHot) / counted + 1e-30;
            }
        }
        assertWithin("dLogits" + (inPlace ? " (in place)" : ""), expected.gradient(), kernels.dLogits(), bound);
    }

    @Property(tries = 150)
    void meanSquaredErrorMatchesReference(@ForAll @IntRange(min = 1, max = 3000) int size, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] prediction = RandomArrays.gaussian(random, size, 2.0);
        float[] target = RandomArrays.gaussian(random, size, 2.0);
        float[] gradient = new float[size];
        float[] summary = meanSquaredError(prediction, target, gradient);
        LossReference.Result expected = LossReference.meanSquaredError(toDoubles(prediction), toDoubles(target));
        assertEquals(expected.loss(), summary[Losses.SUMMARY_LOSS], 2e-6 * expected.loss(), "mean squared error");
        assertEquals(size, summary[Losses.SUMMARY_COUNTED]);
        double[] bound = new double[size];
        for (int i = 0; i < size; i++) {
            bound[i] = 3e-7 * Math.abs(expected.gradient()[i]) + 1e-30;
        }
        assertWithin("dPrediction", expected.gradient(), gradient, bound);
    }

    // ---- named cases ----

    /** Nothing counts: loss 0 and zero gradients (PyTorch gives NaN), never NaN. */
    @Test
    void allPositionsIgnored() {
        float[] logits = RandomArrays.gaussian(new SplittableRandom(91), 3 * 5, 2.0);
        CrossEntropy result = crossEntropy(logits, new int[] { Losses.IGNORE_INDEX, -1, 5 }, 3, 5, false);
        assertArrayEquals(new float[] { 0f, 0f, 0f }, result.summary());
        assertArrayEquals(new float[15], result.dLogits());
    }

    /** Logits of 1e4 and 3e38: the row maximum is subtracted, so loss and gradient stay finite and right. */
    @Test
    void hugeLogits() {
        float[] logits = { 1e4f, 9999f, -1e4f, 3e38f, -3e38f, 0f };
        CrossEntropy result = crossEntropy(logits, new int[] { 1, 0 }, 2, 3, false);
        assertFinite("summary", result.summary());
        assertFinite("dLogits", result.dLogits());
        // Row 0 (target 1): softmax (1 / (1 + 1/e), (1/e) / (1 + 1/e), 0), loss log(1 + e); row 1 (target 0): 3e38 dominates, loss 0.
        double first = 1 / (1 + Math.exp(-1));
        assertEquals(Math.log1p(Math.E) / 2, result.summary()[Losses.SUMMARY_LOSS], 1e-6);
        assertEquals(1f, result.summary()[Losses.SUMMARY_CORRECT], "row 1's arg-max is its target, row 0's is not");
        assertArrayEquals(new float[] { (float) (first / 2), (float) ((1 - first - 1) / 2), 0f, 0f, 0f, 0f }, result.dLogits(), 1e-6f);
    }

    /** Equal maxima: the lowest index is the prediction (torch.argmax). */
    @Test
    void argMaxTiesGoToTheLowestIndex() {
        int classes = 600; // more classes than work-items: the tie spans items
        float[] logits = new float[2 * classes];
        logits[7] = 5f;
        logits[300] = 5f;
        logits[classes + 599] = 2f;
        logits[classes + 599 - 256] = 2f;
        CrossEntropy result = crossEntropy(logits, new int[] { 7, 599 }, 2, classes, false);
        assertEquals(1f, result.rowStatistics()[Losses.ROW_HIT], "row 0 predicts 7, not 300");
        assertEquals(0f, result.rowStatistics()[Losses.ROW_STATISTICS + Losses.ROW_HIT], "row 1 predicts 343, not 599");
    }

    /** One class: probability 1, loss 0, gradient 0. */
    @Test
    void oneClass() {
        CrossEntropy result = crossEntropy(new float[] { 3f, -2f }, new int[] { 0, 0 }, 2, 1, false);
        assertArrayEquals(new float[] { 0f, 2f, 2f }, result.summary());
        assertArrayEquals(new float[] { 0f, 0f }, result.dLogits());
    }

    /** More rows than work-items in the summary group, one class right everywhere: the mean of a known loss. */
    @Test
    void manyRowsOfAKnownLoss() {
        int rows = 300;
        int classes = 4;
        float[] logits = new float[rows * classes];
        int[] targets = new int[rows];
        for (int r = 0; r < rows; r++) {
            logits[r * classes + 2] = 1f;
            targets[r] = r % 5 == 0 ? Losses.IGNORE_INDEX : 2;
        }
        CrossEntropy result = crossEntropy(logits, targets, rows, classes, false);
        double loss = Math.log(3 + Math.E) - 1;
        assertEquals(loss, result.summary()[Losses.SUMMARY_LOSS], 1e-6);
        assertEquals(240f, result.summary()[Losses.SUMMARY_COUNTED]);
        assertEquals(240f, result.summary()[Losses.SUMMARY_CORRECT]);
    }
}
