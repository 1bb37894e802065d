package org.attentionlab.model.train;

import java.util.List;

import org.attentionlab.kernels.Losses;
import org.attentionlab.kernels.WorkGroupReductions;
import org.attentionlab.model.tasks.Batch;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * What a model's output is scored against in one micro-batch, and how: the host buffers of the batch's targets (sent
 * every execution) and the loss tasks, which leave the mean loss, the counted positions and the correct predictions
 * in {@link #summary()} ({@link Losses}' SUMMARY layout) and the gradient of the mean loss in the output's layout.
 */
sealed interface Objective permits Objective.CrossEntropy, Objective.MeanSquaredError {

    /** How a task's targets meet a model's output. */
    enum Kind {
        /** Cross-entropy of every position's logits with its next token (targets {@link Batch#IGNORED} do not count). */
        NEXT_TOKEN,
        /** Cross-entropy of one row of logits per sequence ({@code output: last}) with the last position's target. */
        LAST_TOKEN,
        /** Mean squared error of every position's output with its target vector, over the positions whose target counts. */
        REGRESSION
    }

    /** Copies the batch's targets into the host buffers. */
    void fill(Batch batch);

    /** The host buffers to send every execution. */
    List<Object> targets();

    /** Mean loss, counted positions, correct predictions. */
    FloatArray summary();

    /**
     * Adds the loss tasks on {@code output} (names starting with {@code prefix}); with {@code backward}, also the
     * gradient, which it returns (else null).
     */
    FloatArray addTasks(TaskGraph graph, GridScheduler grids, String prefix, FloatArray output, boolean backward);

    /** The objective of {@code kind} for an output of {@code rows} rows of {@code width} values per micro-batch. */
    static Objective of(Kind kind, int batch, int seqLen, int width) {
        return switch (kind) {
        case NEXT_TOKEN -> new CrossEntropy(batch * seqLen, width, false);
        case LAST_TOKEN -> new CrossEntropy(batch, width, true);
        case REGRESSION -> new MeanSquaredError(batch * seqLen, width);
        };
    }

    /** Softmax cross-entropy over {@code classes} logits per row, PyTorch's {@code F.cross_entropy} with ignored targets. */
    final class CrossEntropy implements Objective {
        private final int rows;
        private final int classes;
        private final boolean lastPosition;
        private final IntArray targets;
        private final FloatArray summary = new FloatArray(Losses.SUMMARY);

        CrossEntropy(int rows, int classes, boolean lastPosition) {
            this.rows = rows;
            this.classes = classes;
            this.lastPosition = lastPosition;
            this.targets = new IntArray(rows);
        }

        @Override
        public void fill(Batch batch) {
            if (!(batch instanceof Batch.Tokens tokens)) {
                throw new IllegalArgumentException("cross-entropy needs token targets, got " + batch.getClass().getSimpleName());
            }
            int[] all = tokens.targets();
            for (int r = 0; r < rows; r++) {
                targets.set(r, lastPosition ? all[(r + 1) * tokens.seqLen() - 1] : all[r]);
            }
        }

        @Override
        public List<Object> targets() {
            return List.of(targets);
        }

        @Override
        public FloatArray summary() {
            return summary;
        }

        @Override
        public FloatArray addTasks(TaskGraph graph, GridScheduler grids, String prefix, FloatArray logits, boolean backward) {
            FloatArray rowStatistics = new FloatArray(rows * Losses.ROW_STATISTICS);
            graph.task(prefix + "loss_rows", Losses::crossEntropyRows, new KernelContext(), logits, targets, rowStatistics, rows, classes);
            grids.addWorkerGrid(graph.getTaskGraphName() + "." + prefix + "loss_rows", Losses.rowsGrid(rows, WorkGroupReductions.groupItemsForDefaultRuntime()));
            graph.task(prefix + "loss_summary", Losses::crossEntropySummary, new KernelContext(), rowStatistics, targets, summary, rows, classes);
            grids.addWorkerGrid(graph.getTaskGraphName() + "." + prefix + "loss_summary", Losses.summaryGrid(WorkGroupReductions.groupItemsForDefaultRuntime()));
            if (!backward) {
                return null;
            }
            FloatArray dLogits = new FloatArray(rows * classes);
            graph.task(prefix + "loss_backward", Losses::crossEntropyBackward, logits, targets, rowStatistics, summary, dLogits, rows, classes);
            return dLogits;
        }
    }

    /** {@link Losses#maskedMeanSquaredError}: regression of feature targets, where they count. */
    final class MeanSquaredError implements Objective {
        private final int rows;
        private final int width;
        private final FloatArray targets;
        private final IntArray counted;
        private final FloatArray summary = new FloatArray(Losses.SUMMARY);

        MeanSquaredError(int rows, int width) {
            this.rows = rows;
            this.width = width;
            this.targets = new FloatArray(rows * width);
            this.counted = new IntArray(rows);
        }

        @Override
        public void fill(Batch batch) {
            if (!(batch instanceof Batch.Features features) || features.targetWidth() != width) {
                throw new IllegalArgumentException("mean squared error needs feature targets of width " + width);
            }
            float[] values = features.targets();
            for (int i = 0; i < values.length; i++) {
                targets.set(i, values[i]);
            }
            int[] mask = features.counted();
            for (int r = 0; r < rows; r++) {
                counted.set(r, mask[r]);
            }
        }

        @Override
        public List<Object> targets() {
            return List.of(targets, counted);
        }

        @Override
        public FloatArray summary() {
            return summary;
        }

        @Override
        public FloatArray addTasks(TaskGraph graph, GridScheduler grids, String prefix, FloatArray prediction, boolean backward) {
            graph.task(prefix + "loss", Losses::maskedMeanSquaredError, new KernelContext(), prediction, targets, counted, summary, rows, width);
            grids.addWorkerGrid(graph.getTaskGraphName() + "." + prefix + "loss", Losses.summaryGrid(WorkGroupReductions.groupItemsForDefaultRuntime()));
            if (!backward) {
                return null;
            }
            FloatArray dPrediction = new FloatArray(rows * width);
            graph.task(prefix + "loss_backward", Losses::maskedMeanSquaredErrorBackward, prediction, targets, counted, summary, dPrediction, rows, width);
            return dPrediction;
        }
    }
}
