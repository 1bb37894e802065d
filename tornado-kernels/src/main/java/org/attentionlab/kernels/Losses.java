package org.attentionlab.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Training losses as kernels whose results stay in device buffers: softmax cross-entropy with ignored positions
 * (next-token prediction over a vocabulary, or classification of {@code output: last} with rows = batch), with an
 * accuracy count, and mean squared error for feature targets.
 *
 * <p>Cross-entropy takes three tasks:
 * <ol>
 * <li>{@link #crossEntropyRows} over {@link #rowsGrid}: one work-group per row computes the row maximum {@code m}
 * and {@code s = log(sum exp(z - m))} (the log-sum-exp is {@code m + s}; subtracting the maximum makes logits of
 * any size safe), its loss {@code (m - z[target]) + s} and whether its arg-max is the target, into
 * {@code rowStatistics [rows, ROW_STATISTICS]}. The log-sum-exp is never formed as one float: at logits of 1e4 its
 * rounding (ulp 1e-3) would swamp a loss of order 1 and every probability {@code exp(z - logSumExp)};</li>
 * <li>{@link #crossEntropySummary} over {@link #summaryGrid}: one work-group sums the rows into
 * {@code summary [SUMMARY]}: the mean loss over the counted rows, how many were counted, how many were right;</li>
 * <li>{@link #crossEntropyBackward} ({@code @Parallel}): {@code dLogits = (softmax(z) - onehot(target)) / counted}
 * on counted rows, 0 on the others: the gradient of the mean loss.</li>
 * </ol>
 * A row counts iff its target is in {@code [0, classes)}: {@link #IGNORE_INDEX} (PyTorch's default) or any other
 * value outside marks positions that do not count (padding, or every position but the answers of associative
 * recall). PyTorch returns NaN when no row counts; these kernels give loss 0 and zero gradients.
 *
 * <p>Reductions are work-group trees in a fixed order (see {@link WorkGroupReductions}): the same sums on every
 * device and every run. Counts are stored as floats, exact up to 2^24 rows.
 */
public final class Losses {

    /** PyTorch's {@code ignore_index} default; any target outside {@code [0, classes)} is ignored the same way. */
    public static final int IGNORE_INDEX = -100;

    /**
     * Floats per row in {@code rowStatistics}: the row maximum, the log of the sum of {@code exp(z - max)}, the loss,
     * the hit (1 when the arg-max is the target).
     */
    public static final int ROW_STATISTICS = 4;
    public static final int ROW_MAX = 0;
    public static final int ROW_LOG_SUM = 1;
    public static final int ROW_LOSS = 2;
    public static final int ROW_HIT = 3;

    /** Floats in {@code summary}: the mean loss, the counted rows (or elements), the correct predictions. */
    public static final int SUMMARY = 3;
    public static final int SUMMARY_LOSS = 0;
    public static final int SUMMARY_COUNTED = 1;
    public static final int SUMMARY_CORRECT = 2;

    private Losses() {
    }

    // ---- cross-entropy ----

    /**
     * Per row of {@code logits [rows, classes]}: maximum, shifted log-sum, loss and hit into {@code rowStatistics}. Run over
     * {@link #rowsGrid}: work-group {@code r} handles row {@code r}, its items striding over the classes. The arg-max
     * is the lowest index among equal maxima (as {@code torch.argmax}).
     *
     * @param targets {@code [rows]}; outside {@code [0, classes)}: the row does not count (loss and hit 0)
     */
    public static void crossEntropyRows(KernelContext context, FloatArray logits, IntArray targets, FloatArray rowStatistics, int rows, int classes) {
        float[] local = context.allocateFloatLocalArray(WorkGroupReductions.GROUP);
        int row = context.groupIdx;
        int item = context.localIdx;
        int stride = context.localGroupSizeX;
        boolean realRow = row < rows;
        int base = row * classes;
        float max = -Float.MAX_VALUE;
        if (realRow) {
            for (int j = item; j < classes; j += stride) {
                max = TornadoMath.max(max, logits.get(base + j));
            }
        }
        float rowMax = WorkGroupReductions.max(context, local, max);
        // The arg-max: the smallest index holding the maximum (indices as floats, exact below 2^24).
        float firstMax = classes;
        float partial = 0.0f;
        if (realRow) {
            for (int j = item; j < classes; j += stride) {
                float z = logits.get(base + j);
                if (z == rowMax && j < firstMax) {
                    firstMax = j;
                }
                partial += TornadoMath.exp(z - rowMax);
            }
        }
        int rowArgMax = (int) WorkGroupReductions.min(context, local, firstMax);
        float sum = WorkGroupReductions.sum(context, local, partial);
        if (realRow && item == 0) {
            float logSum = TornadoMath.log(sum);
            int target = targets.get(row);
            float loss = 0.0f;
            float hit = 0.0f;
            if (target >= 0 && target < classes) {
                loss = (rowMax - logits.get(base + target)) + logSum;
                if (rowArgMax == target) {
                    hit = 1.0f;
                }
            }
            rowStatistics.set(row * ROW_STATISTICS + ROW_MAX, rowMax);
            rowStatistics.set(row * ROW_STATISTICS + ROW_LOG_SUM, logSum);
            rowStatistics.set(row * ROW_STATISTICS + ROW_LOSS, loss);
            rowStatistics.set(row * ROW_STATISTICS + ROW_HIT, hit);
        }
    }

    /**
     * Sums the rows of {@link #crossEntropyRows} into {@code summary}: the mean loss over counted rows (0 when none
     * counts), the counted rows, the hits. Run over {@link #summaryGrid} (one work-group; item {@code l} sums rows
     * {@code l, l + G, ...} in order, then the group's tree).
     */
    public static void crossEntropySummary(KernelContext context, FloatArray rowStatistics, IntArray targets, FloatArray summary, int rows, int classes) {
        float[] local = context.allocateFloatLocalArray(WorkGroupReductions.GROUP);
        int item = context.localIdx;
        float loss = 0.0f;
        float counted = 0.0f;
        float hits = 0.0f;
        for (int row = item; row < rows; row += context.localGroupSizeX) {
            int target = targets.get(row);
            if (target >= 0 && target < classes) {
                loss += rowStatistics.get(row * ROW_STATISTICS + ROW_LOSS);
                counted += 1.0f;
                hits += rowStatistics.get(row * ROW_STATISTICS + ROW_HIT);
            }
        }
        float totalLoss = WorkGroupReductions.sum(context, local, loss);
        float totalCounted = WorkGroupReductions.sum(context, local, counted);
        float totalHits = WorkGroupReductions.sum(context, local, hits);
        if (item == 0) {
            summary.set(SUMMARY_LOSS, totalCounted > 0.0f ? totalLoss / totalCounted : 0.0f);
            summary.set(SUMMARY_COUNTED, totalCounted);
            summary.set(SUMMARY_CORRECT, totalHits);
        }
    }

    /**
     * The gradient of the mean cross-entropy: {@code dLogits[r, j] = (exp((z - m) - s) - [j == target]) / counted}
     * on counted rows, 0 on the others. Element-wise, so {@code dLogits} may be {@code logits} itself.
     *
     * @param summary what {@link #crossEntropySummary} wrote (its count)
     */
    public static void crossEntropyBackward(FloatArray logits, IntArray targets, FloatArray rowStatistics, FloatArray summary, FloatArray dLogits, int rows,
            int classes) {
        for (@Parallel int row = 0; row < rows; row++) {
            for (@Parallel int j = 0; j < classes; j++) {
                int index = row * classes + j;
                int target = targets.get(row);
                float gradient = 0.0f;
                if (target >= 0 && target < classes) {
                    int statistics = row * ROW_STATISTICS;
                    float probability = TornadoMath.exp((logits.get(index) - rowStatistics.get(statistics + ROW_MAX)) - rowStatistics.get(statistics + ROW_LOG_SUM));
                    float oneHot = j == target ? 1.0f : 0.0f;
                    gradient = (probability - oneHot) / summary.get(SUMMARY_COUNTED);
                }
                dLogits.set(index, gradient);
            }
        }
    }

    // ---- mean squared error ----

    /**
     * {@code summary[SUMMARY_LOSS] = mean over i of (prediction_i - target_i)^2} ({@code torch.nn.MSELoss()}),
     * {@code summary[SUMMARY_COUNTED] = size}, {@code summary[SUMMARY_CORRECT] = 0}. Run over {@link #summaryGrid}.
     */
    public static void meanSquaredError(KernelContext context, FloatArray prediction, FloatArray target, FloatArray summary, int size) {
        float[] local = context.allocateFloatLocalArray(WorkGroupReductions.GROUP);
        int item = context.localIdx;
        float partial = 0.0f;
        for (int i = item; i < size; i += context.localGroupSizeX) {
            float difference = prediction.get(i) - target.get(i);
            partial += difference * difference;
        }
        float total = WorkGroupReductions.sum(context, local, partial);
        if (item == 0) {
            summary.set(SUMMARY_LOSS, size > 0 ? total / size : 0.0f);
            summary.set(SUMMARY_COUNTED, size);
            summary.set(SUMMARY_CORRECT, 0.0f);
        }
    }

    /** The gradient of {@link #meanSquaredError}: {@code dPrediction = 2 (prediction - target) / size}; may be {@code prediction} itself. */
    public static void meanSquaredErrorBackward(FloatArray prediction, FloatArray target, FloatArray dPrediction, int size) {
        for (@Parallel int i = 0; i < size; i++) {
            dPrediction.set(i, 2.0f * (prediction.get(i) - target.get(i)) / size);
        }
    }

    /**
     * Mean squared error over the counted rows only, for targets that exist at some positions (delayed recall has none
     * before its delay): {@code summary[SUMMARY_LOSS] = sum over counted rows r and j of (prediction - target)^2 /
     * (counted * width)}, {@code summary[SUMMARY_COUNTED] = counted} (rows), {@code summary[SUMMARY_CORRECT] = 0}; 0
     * when no row counts. Run over {@link #summaryGrid}. With every row counted it is {@link #meanSquaredError} up to rounding.
     *
     * @param prediction {@code [rows, width]}, likewise {@code target}
     * @param counted    {@code [rows]}: 1 where the row's target counts, 0 where it does not
     */
    public static void maskedMeanSquaredError(KernelContext context, FloatArray prediction, FloatArray target, IntArray counted, FloatArray summary, int rows,
            int width) {
        float[] local = context.allocateFloatLocalArray(WorkGroupReductions.GROUP);
        int item = context.localIdx;
        float partial = 0.0f;
        float positions = 0.0f;
        for (int row = item; row < rows; row += context.localGroupSizeX) {
            if (counted.get(row) != 0) {
                positions += 1.0f;
                for (int j = 0; j < width; j++) {
                    float difference = prediction.get(row * width + j) - target.get(row * width + j);
                    partial += difference * difference;
                }
            }
        }
        float total = WorkGroupReductions.sum(context, local, partial);
        float totalPositions = WorkGroupReductions.sum(context, local, positions);
        if (item == 0) {
            summary.set(SUMMARY_LOSS, totalPositions > 0.0f ? total / (totalPositions * width) : 0.0f);
            summary.set(SUMMARY_COUNTED, totalPositions);
            summary.set(SUMMARY_CORRECT, 0.0f);
        }
    }

    /**
     * The gradient of {@link #maskedMeanSquaredError}: {@code 2 (prediction - target) / (counted * width)} on counted
     * rows, 0 on the others; may be {@code prediction} itself.
     *
     * @param summary what {@link #maskedMeanSquaredError} wrote (its count)
     */
    public static void maskedMeanSquaredErrorBackward(FloatArray prediction, FloatArray target, IntArray counted, FloatArray summary, FloatArray dPrediction,
            int rows, int width) {
        for (@Parallel int row = 0; row < rows; row++) {
            for (@Parallel int j = 0; j < width; j++) {
                int index = row * width + j;
                float gradient = 0.0f;
                if (counted.get(row) != 0) {
                    gradient = 2.0f * (prediction.get(index) - target.get(index)) / (summary.get(SUMMARY_COUNTED) * width);
                }
                dPrediction.set(index, gradient);
            }
        }
    }

    // ---- host-side grid helpers (not kernels) ----

    /** The grid {@link #crossEntropyRows} expects: one work-group of {@code WorkGroupReductions.GROUP} items per row. */
    public static WorkerGrid rowsGrid(int rows) {
        return WorkGroupReductions.groups(rows);
    }

    /** {@link #rowsGrid(int)} with groups of {@code items} items (a power of two up to {@link WorkGroupReductions#GROUP}). */
    public static WorkerGrid rowsGrid(int rows, int items) {
        return WorkGroupReductions.groups(rows, items);
    }

    /** The grid of the one-group kernels {@link #crossEntropySummary} and {@link #meanSquaredError}. */
    public static WorkerGrid summaryGrid() {
        return WorkGroupReductions.groups(1);
    }

    /** {@link #summaryGrid()} with a group of {@code items} items. */
    public static WorkerGrid summaryGrid(int items) {
        return WorkGroupReductions.groups(1, items);
    }
}
