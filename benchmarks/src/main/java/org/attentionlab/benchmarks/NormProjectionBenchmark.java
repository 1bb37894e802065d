package org.attentionlab.benchmarks;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.attentionlab.kernels.LinearKernels;
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
 * A pre-norm's LayerNorm and the register-tiled projection after it, as rnope-swa's blocks run them on PoCL:
 * {@code separate}, the norm task then the projection task ({@link Normalization#layerNorm}, then
 * {@link LinearKernels#qkvProjectionTiled} 256 -> 768 or {@link MatrixMultiply#linearTiled} 256 -> 1024 with GELU), or
 * {@code fused}, one task ({@link LinearKernels#normQkvProjectionTiled} / {@link MatrixMultiply#normLinearTiled}) with
 * the rows per work-group the model picks ({@link MatrixMultiply#normGroupRows} for this machine's cores). Rows 128,
 * 1024 and 4096 (batch 1). Each sample is one execution of the graph: what a forward pass pays per block, launches
 * included. Both give the same bits (NormProjectionsIT), so only time differs. Not part of scripts/bench (no PyTorch
 * peer runs these two steps as one); run it as scripts/bench runs the others on TornadoVM, with the class name.
 *
 * <p>{@code o_proj_up}: o_proj (256 -> 256) adding into the residual stream, then the norm and the up projection with
 * GELU: {@code separate}, {@link MatrixMultiply#linearTiled} accumulating then {@link MatrixMultiply#normLinearTiled}
 * (what the model ran before), or {@code fused}, {@link MatrixMultiply#residualNormLinearTiled} (ResidualNormLinearIT:
 * the same bits).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = { "-Xms2g", "-Xmx4g", "-Xss4m" })
public class NormProjectionBenchmark {

    private static final int WIDTH = 256;

    /**
     * The vector width the kernels' register tiles are sized for (8 or 16): system property
     * {@code attentionlab.vectorLanes}, which scripts/bench sets from the host CPU (16 with avx512f, else 8, as a
     * model's LaunchGeometry chooses); 16 without it.
     */
    private static final int VECTOR_LANES = Integer.getInteger("attentionlab.vectorLanes", 16);

    @Param({ "128", "1024", "4096" })
    int rows;

    /** {@code qkv}: 256 -> 256 + 2 x 256; {@code up}: 256 -> 1024 with GELU; {@code o_proj_up}: o_proj into x, then {@code up}. */
    @Param({ "qkv", "up", "o_proj_up" })
    String projection;

    @Param({ "separate", "fused" })
    String variant;

    private TornadoExecutionPlan plan;

    @Setup(Level.Trial)
    public void setUp() {
        int cols = projection.equals("qkv") ? 3 * WIDTH : 4 * WIDTH;
        SplittableRandom random = new SplittableRandom(11);
        FloatArray x = BenchmarkArrays.uniform(rows * WIDTH, random);
        FloatArray normWeight = BenchmarkArrays.uniform(WIDTH, random);
        FloatArray normBias = BenchmarkArrays.uniform(WIDTH, random);
        FloatArray normed = new FloatArray(rows * WIDTH);
        FloatArray weight = BenchmarkArrays.uniform(cols * WIDTH, random);
        FloatArray bias = BenchmarkArrays.uniform(cols, random);
        FloatArray q = new FloatArray(rows * WIDTH);
        FloatArray k = new FloatArray(rows * WIDTH);
        FloatArray v = new FloatArray(rows * WIDTH);
        FloatArray y = new FloatArray(rows * cols);
        float eps = Normalization.LAYER_NORM_EPS;
        TaskGraph graph = new TaskGraph("norm").transferToDevice(DataTransferMode.FIRST_EXECUTION, x, normWeight, normBias, weight, bias);
        GridScheduler grids;
        if (projection.equals("o_proj_up")) {
            grids = addResidualTasks(graph, x, normWeight, normBias, normed, weight, bias, y, random);
        } else if (variant.equals("fused")) {
            int groupRows = fusedGroupRows();
            if (projection.equals("qkv")) {
                graph.task("project", LinearKernels::normQkvProjectionTiled, new KernelContext(), x, normWeight, normBias, normed, weight, bias, q, k, v, rows,
                        WIDTH, WIDTH, WIDTH, groupRows, Normalization.LAYER_NORM, eps, 1, VECTOR_LANES);
            } else {
                graph.task("project", MatrixMultiply::normLinearTiled, new KernelContext(), x, normWeight, normBias, normed, weight, bias, y, rows, WIDTH,
                        cols, groupRows, Normalization.LAYER_NORM, eps, 1, MatrixMultiply.GELU_ERF, VECTOR_LANES);
            }
            grids = new GridScheduler("norm.project", MatrixMultiply.normTiledGrid(rows, cols, groupRows));
        } else {
            graph.task("normalize", Normalization::layerNorm, x, normWeight, normBias, normed, rows, WIDTH, eps);
            if (projection.equals("qkv")) {
                graph.task("project", LinearKernels::qkvProjectionTiled, new KernelContext(), normed, weight, bias, q, k, v, rows, WIDTH, WIDTH, WIDTH, 1, VECTOR_LANES);
            } else {
                graph.task("project", MatrixMultiply::linearTiled, new KernelContext(), normed, weight, bias, y, rows, WIDTH, cols, 1, MatrixMultiply.GELU_ERF,
                        0, VECTOR_LANES);
            }
            grids = new GridScheduler("norm.project", MatrixMultiply.tiledGrid(rows, cols, MatrixMultiply.groupItemsForDefaultDevice()));
        }
        graph.transferToHost(DataTransferMode.UNDER_DEMAND, y, q);
        plan = new TornadoExecutionPlan(graph.snapshot()).withGridScheduler(grids);
    }

    /** The {@code o_proj_up} case's tasks: o_proj of random heads adding into x, then {@code up}'s, as {@link #variant} says. */
    private GridScheduler addResidualTasks(TaskGraph graph, FloatArray x, FloatArray normWeight, FloatArray normBias, FloatArray normed, FloatArray weight,
            FloatArray bias, FloatArray y, SplittableRandom random) {
        int cols = 4 * WIDTH;
        int groupRows = fusedGroupRows();
        FloatArray heads = BenchmarkArrays.uniform(rows * WIDTH, random);
        FloatArray oWeight = BenchmarkArrays.uniform(WIDTH * WIDTH, random);
        FloatArray oBias = BenchmarkArrays.uniform(WIDTH, random);
        float eps = Normalization.LAYER_NORM_EPS;
        // The down projection's weight and bias, which the fused kernel without its down phase does not read.
        FloatArray unreadDownWeight = new FloatArray(1);
        FloatArray unreadDownBias = new FloatArray(1);
        graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, heads, oWeight, oBias, unreadDownWeight, unreadDownBias);
        GridScheduler grids = new GridScheduler();
        if (variant.equals("fused")) {
            graph.task("project", MatrixMultiply::residualNormLinearTiled, new KernelContext(), heads, oWeight, oBias, x, normWeight, normBias, normed, weight,
                    bias, y, unreadDownWeight, unreadDownBias, rows, WIDTH, WIDTH, cols, groupRows, eps,
                    MatrixMultiply.residualNormFlags(true, true, false, false, Normalization.LAYER_NORM, MatrixMultiply.GELU_ERF, VECTOR_LANES));
            grids.addWorkerGrid("norm.project", MatrixMultiply.normTiledGrid(rows, cols, groupRows));
        } else {
            graph.task("o_proj", MatrixMultiply::linearTiled, new KernelContext(), heads, oWeight, oBias, x, rows, WIDTH, WIDTH, 1, MatrixMultiply.NONE, 1, VECTOR_LANES)
                    .task("project", MatrixMultiply::normLinearTiled, new KernelContext(), x, normWeight, normBias, normed, weight, bias, y, rows, WIDTH, cols,
                            groupRows, Normalization.LAYER_NORM, eps, 1, MatrixMultiply.GELU_ERF, VECTOR_LANES);
            grids.addWorkerGrid("norm.o_proj", MatrixMultiply.tiledGrid(rows, WIDTH, MatrixMultiply.groupItemsForDefaultDevice()));
            grids.addWorkerGrid("norm.project", MatrixMultiply.normTiledGrid(rows, cols, groupRows));
        }
        return grids;
    }

    /** The rows per work-group the model picks on this machine. */
    private int fusedGroupRows() {
        int groupRows = MatrixMultiply.normGroupRows(rows, Runtime.getRuntime().availableProcessors());
        if (groupRows == 0) {
            throw new IllegalStateException(rows + " rows are too few to fuse the norm on " + Runtime.getRuntime().availableProcessors() + " cores");
        }
        return groupRows;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws TornadoExecutionPlanException {
        plan.close();
    }

    @Benchmark
    public void normAndProject() {
        plan.execute();
    }
}
