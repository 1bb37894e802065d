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
 * {@link MatrixMultiply#linear} ({@code y = x W^T + b}, as {@code torch.nn.Linear}) at the projection shapes of the
 * {@code rnope-swa} config: rows (batch * seq) 128, 1024 and 4096, and 256 -> 768 (fused QKV), 256 -> 1024 (FFN up),
 * 1024 -> 256 (FFN down). A one-task graph on the plain JVM (this project's API implementation) or on a TornadoVM
 * device (scripts/bench --device tornado); scripts/bench times PyTorch at the same shapes in the same run. The
 * inputs stay on the device and the output is left there (copied back once at the end and checked against a
 * float64 dot product), as between the layers of a model.
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

    /** {@code rowBlocks}: {@link MatrixMultiply#linear}; {@code registerTiles}: {@link MatrixMultiply#linearTiled}. */
    @Param({ "rowBlocks", "registerTiles" })
    String kernel;

    private int in;
    private int out;
    private FloatArray x;
    private FloatArray weight;
    private FloatArray bias;
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
        y = new FloatArray(rows * out);
        boolean tiled = kernel.equals("registerTiles");
        TaskGraph graph = new TaskGraph("matmul").transferToDevice(DataTransferMode.FIRST_EXECUTION, x, weight, bias);
        if (tiled) {
            graph.task("linear", MatrixMultiply::linearTiled, new KernelContext(), x, weight, bias, y, rows, in, out, 1, MatrixMultiply.NONE, 0);
        } else {
            graph.task("linear", MatrixMultiply::linear, new KernelContext(), x, weight, bias, y, rows, in, out, 1, MatrixMultiply.NONE, 0);
        }
        graph.transferToHost(DataTransferMode.UNDER_DEMAND, y);
        plan = new TornadoExecutionPlan(graph.snapshot()).withGridScheduler(new GridScheduler("matmul.linear",
                tiled ? MatrixMultiply.tiledGrid(rows, out, MatrixMultiply.groupItemsForDefaultDevice()) : MatrixMultiply.grid(rows, out)));
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
        for (int r = 0; r < rows; r += rows / 7 + 1) {
            for (int c = 0; c < out; c += out / 5 + 1) {
                double sum = bias.get(c);
                double magnitude = Math.abs(bias.get(c));
                for (int k = 0; k < in; k++) {
                    double product = (double) x.get(r * in + k) * weight.get(c * in + k);
                    sum += product;
                    magnitude += Math.abs(product);
                }
                double error = Math.abs(y.get(r * out + c) - sum);
                if (!(error <= 1e-6 + (in + 2) * Math.pow(2, -24) * magnitude)) {
                    throw new IllegalStateException("linear " + rows + "x" + shape + " element (" + r + ", " + c + ") is " + y.get(r * out + c) + ", expected " + sum);
                }
            }
        }
    }

    @Benchmark
    public void linear() {
        last = plan.execute();
    }
}
