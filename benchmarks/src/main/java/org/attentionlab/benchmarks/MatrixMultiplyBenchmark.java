package org.attentionlab.benchmarks;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.attentionlab.kernels.MatrixMultiply;
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
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * {@link MatrixMultiply#linear} ({@code y = x W^T + b}, as {@code torch.nn.Linear}) and the products of its gradients
 * ({@link MatrixMultiply#product}: {@code dX = dY W}, {@code dW = dY^T X}, as a training step runs them) at the
 * projection shapes of the {@code rnope-swa} config: rows (batch * seq) 128, 1024 and 4096, and 256 -> 768 (fused
 * QKV), 256 -> 1024 (FFN up), 1024 -> 256 (FFN down); every operation is {@code 2 rows in out} FLOPs. A one-task graph
 * on the plain JVM (this project's API implementation) or on a TornadoVM device (scripts/bench --device tornado);
 * scripts/bench times PyTorch at the same shapes in the same run ({@code scripts/peers/torch_linear.py}: linear,
 * {@code dy @ w}, {@code dy.t() @ x}). The inputs stay on the device and the output is left there (copied back once at
 * the end and checked against a float64 dot product), as between the layers of a model.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = { "-Xms2g", "-Xmx4g", "-Xss4m" })
public class MatrixMultiplyBenchmark {

    @Param({ "128", "1024", "4096" })
    int rows;

    /** {@code IN x OUT}. */
    @Param({ "256x768", "256x1024", "1024x256" })
    String shape;

    /**
     * {@code rowBlocks}: {@link MatrixMultiply#linear} / {@link MatrixMultiply#product}; {@code registerTiles}:
     * {@link MatrixMultiply#linearTiled} / {@link MatrixMultiply#productTiled} with the tiles for 16-lane devices
     * (AVX-512), {@code registerTiles8} with those for 8-lane devices (AVX2; {@code lanes} 8).
     */
    @Param({ "rowBlocks", "registerTiles", "registerTiles8" })
    String kernel;

    /**
     * {@code linear}: {@code y [rows, out] = x W^T + b}; {@code dX}: {@code [rows, in] = dY [rows, out] W [out, in]};
     * {@code dW}: {@code [out, in] = dY^T X} over the rows.
     */
    @Param({ "linear", "dX", "dW" })
    String operation;

    private int in;
    private int lanes;
    private int out;
    private FloatArray x;
    private FloatArray weight;
    private FloatArray bias;
    private FloatArray dy;
    private FloatArray y;
    private TornadoExecutionPlan plan;
    private TornadoExecutionResult last;

    @Setup(Level.Trial)
    public void setUp() {
        String[] sizes = shape.split("x");
        in = Integer.parseInt(sizes[0]);
        out = Integer.parseInt(sizes[1]);
        SplittableRandom random = new SplittableRandom(7);
        x = BenchmarkArrays.uniform(rows * in, random);
        weight = BenchmarkArrays.uniform(out * in, random);
        bias = BenchmarkArrays.uniform(out, random);
        dy = BenchmarkArrays.uniform(rows * out, random);
        boolean tiled = kernel.startsWith("registerTiles");
        lanes = kernel.equals("registerTiles8") ? 8 : 16;
        TaskGraph graph = new TaskGraph("matmul").transferToDevice(DataTransferMode.FIRST_EXECUTION, x, weight, bias, dy);
        int outputRows;
        int outputCols;
        switch (operation) {
            case "linear" -> {
                outputRows = rows;
                outputCols = out;
                y = new FloatArray(rows * out);
                if (tiled) {
                    graph.task("multiply", MatrixMultiply::linearTiled, new KernelContext(), x, weight, bias, y, rows, in, out, 1, MatrixMultiply.NONE, 0, lanes);
                } else {
                    graph.task("multiply", MatrixMultiply::linear, new KernelContext(), x, weight, bias, y, rows, in, out, 1, MatrixMultiply.NONE, 0);
                }
            }
            case "dX" -> {
                outputRows = rows;
                outputCols = in;
                y = new FloatArray(rows * in);
                addProduct(graph, tiled, dy, weight, rows, out, in, 0);
            }
            case "dW" -> {
                outputRows = out;
                outputCols = in;
                y = new FloatArray(out * in);
                addProduct(graph, tiled, dy, x, out, rows, in, 1);
            }
            default -> throw new IllegalArgumentException("unknown operation " + operation);
        }
        graph.transferToHost(DataTransferMode.UNDER_DEMAND, y);
        plan = new TornadoExecutionPlan(graph.snapshot()).withGridScheduler(new GridScheduler("matmul.multiply",
                !tiled ? MatrixMultiply.grid(outputRows, outputCols)
                        : operation.equals("linear") ? MatrixMultiply.tiledGrid(outputRows, outputCols, MatrixMultiply.groupItemsForDefaultDevice())
                                : MatrixMultiply.productTiledGrid(outputRows, outputCols, MatrixMultiply.groupItemsForDefaultDevice())));
    }

    private void addProduct(TaskGraph graph, boolean tiled, FloatArray a, FloatArray b, int productRows, int inner, int cols, int transposeA) {
        if (tiled) {
            graph.task("multiply", MatrixMultiply::productTiled, new KernelContext(), a, b, y, productRows, inner, cols, transposeA, 0, lanes);
        } else {
            graph.task("multiply", MatrixMultiply::product, new KernelContext(), a, b, y, productRows, inner, cols, transposeA, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws TornadoExecutionPlanException {
        if (last != null) {
            last.transferToHost(y);
            checkSample();
        }
        plan.close();
    }

    /** A benchmark of a wrong kernel would be worthless: a few outputs against float64. */
    private void checkSample() {
        int outputRows = operation.equals("dW") ? out : rows;
        int outputCols = operation.equals("linear") ? out : in;
        int depth = switch (operation) {
            case "linear" -> in;
            case "dX" -> out;
            default -> rows;
        };
        for (int r = 0; r < outputRows; r += outputRows / 7 + 1) {
            for (int c = 0; c < outputCols; c += outputCols / 5 + 1) {
                boolean linear = operation.equals("linear");
                double sum = linear ? bias.get(c) : 0;
                double magnitude = Math.abs(sum);
                for (int k = 0; k < depth; k++) {
                    double product = switch (operation) {
                        case "linear" -> (double) x.get(r * in + k) * weight.get(c * in + k);
                        case "dX" -> (double) dy.get(r * out + k) * weight.get(k * in + c);
                        default -> (double) dy.get(k * out + r) * x.get(k * in + c);
                    };
                    sum += product;
                    magnitude += Math.abs(product);
                }
                float value = y.get(r * outputCols + c);
                double error = Math.abs(value - sum);
                if (!(error <= 1e-6 + (depth + 2) * Math.pow(2, -24) * magnitude)) {
                    throw new IllegalStateException(operation + " " + rows + "x" + shape + " element (" + r + ", " + c + ") is " + value + ", expected " + sum);
                }
            }
        }
    }

    @Benchmark
    public void multiply() {
        last = plan.execute();
    }
}
