package org.attentionlab.benchmarks;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.attentionlab.kernels.MatrixMultiply;
import org.attentionlab.kernels.Normalization;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * rnope-swa's o_proj adding into the residual stream, then the feed-forward's LayerNorm and up projection with GELU
 * (256 -> 256 -> 1024), as the model runs them on PoCL: {@code separate}, {@link MatrixMultiply#linearTiled}
 * accumulating into x then {@link MatrixMultiply#normLinearTiled} (two tasks), or {@code fused}, one
 * {@link MatrixMultiply#residualNormLinearTiled} task, with the rows per work-group the model picks. Each sample is one
 * execution of the graph, launches included; both give the same bits (ResidualNormLinearIT). Not part of scripts/bench
 * (no PyTorch peer runs these steps as one); run it as scripts/bench runs the others on TornadoVM, with the class name.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = { "-Xms2g", "-Xmx4g", "-Xss4m" })
public class ResidualNormProjectionBenchmark {

    private static final int WIDTH = 256;
    private static final int HIDDEN = 4 * WIDTH;

    @Param({ "128", "1024", "4096" })
    int rows;

    @Param({ "separate", "fused" })
    String variant;

    private TornadoExecutionPlan plan;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(13);
        FloatArray heads = BenchmarkArrays.uniform(rows * WIDTH, random);
        FloatArray x = BenchmarkArrays.uniform(rows * WIDTH, random);
        FloatArray oWeight = BenchmarkArrays.uniform(WIDTH * WIDTH, random);
        FloatArray oBias = BenchmarkArrays.uniform(WIDTH, random);
        FloatArray normWeight = BenchmarkArrays.uniform(WIDTH, random);
        FloatArray normBias = BenchmarkArrays.uniform(WIDTH, random);
        FloatArray normed = new FloatArray(rows * WIDTH);
        FloatArray upWeight = BenchmarkArrays.uniform(HIDDEN * WIDTH, random);
        FloatArray upBias = BenchmarkArrays.uniform(HIDDEN, random);
        FloatArray y = new FloatArray(rows * HIDDEN);
        float eps = Normalization.LAYER_NORM_EPS;
        int groupRows = MatrixMultiply.normGroupRows(rows, Runtime.getRuntime().availableProcessors());
        if (groupRows == 0) {
            throw new IllegalStateException(rows + " rows are too few to fuse the norm on " + Runtime.getRuntime().availableProcessors() + " cores");
        }
        TaskGraph graph = new TaskGraph("block");
        GridScheduler grids = new GridScheduler();
        if (variant.equals("separate")) {
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, heads, x, oWeight, oBias, normWeight, normBias, upWeight, upBias)
                    .task("o_proj", MatrixMultiply::linearTiled, new KernelContext(), heads, oWeight, oBias, x, rows, WIDTH, WIDTH, 1, MatrixMultiply.NONE, 1)
                    .task("up", MatrixMultiply::normLinearTiled, new KernelContext(), x, normWeight, normBias, normed, upWeight, upBias, y, rows, WIDTH, HIDDEN,
                            groupRows, Normalization.LAYER_NORM, eps, 1, MatrixMultiply.GELU_ERF);
            grids.addWorkerGrid("block.o_proj", MatrixMultiply.tiledGrid(rows, WIDTH, MatrixMultiply.groupItemsForDefaultDevice()));
            grids.addWorkerGrid("block.up", MatrixMultiply.normTiledGrid(rows, HIDDEN, groupRows));
        } else {
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, heads, x, oWeight, oBias, normWeight, normBias, upWeight, upBias)
                    .task("fused", MatrixMultiply::residualNormLinearTiled, new KernelContext(), heads, oWeight, oBias, x, normWeight, normBias, normed, upWeight,
                            upBias, y, rows, WIDTH, WIDTH, HIDDEN, groupRows, Normalization.LAYER_NORM, eps, 3, MatrixMultiply.GELU_ERF);
            grids.addWorkerGrid("block.fused", MatrixMultiply.normTiledGrid(rows, HIDDEN, groupRows));
        }
        graph.transferToHost(DataTransferMode.UNDER_DEMAND, y);
        plan = new TornadoExecutionPlan(graph.snapshot()).withGridScheduler(grids);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws TornadoExecutionPlanException {
        plan.close();
    }

    @Benchmark
    public void residualNormAndProject() {
        plan.execute();
    }
}
