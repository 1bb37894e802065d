package org.attentionlab.benchmarks;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.attentionlab.kernels.AttentionKernels;
import org.attentionlab.kernels.AttentionMasks;
import org.attentionlab.kernels.AttentionMasks.Window;
import org.attentionlab.kernels.PositionalBiases;
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
import org.openjdk.jmh.infra.Blackhole;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Causal sliding-window attention, one benchmark per algorithm, each run as a one-task TornadoVM task graph: on
 * the plain JVM (this project's TornadoVM API implementation: the @Parallel kernels run as sequential Java, the
 * KernelContext flash kernel over its grid on all cores), or on a TornadoVM device when the benchmark runs under
 * an SDK (scripts/bench --device tornado). Default shape: L = 4096, W = 256, 8 heads, head_dim 64, batch 1, fp32;
 * scripts/bench compares it with PyTorch measured in the same run. Inputs stay on the device
 * (FIRST_EXECUTION); each operation copies the output back, as a model's last layer would.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = { "-Xms2g", "-Xmx4g", "-Xss4m" })
public class SlidingWindowAttentionBenchmark {

    @Param("4096")
    int seqLen;

    @Param("256")
    int window;

    @Param("8")
    int heads;

    @Param("64")
    int headDim;

    @Param("32")
    int chunkSize;

    private FloatArray out;
    private TornadoExecutionPlan standard;
    private TornadoExecutionPlan chunked;
    private TornadoExecutionPlan memoryEfficient;
    private TornadoExecutionPlan flash;

    @Setup(Level.Trial)
    public void setUp() {
        int size = seqLen * heads * headDim;
        SplittableRandom random = new SplittableRandom(7);
        FloatArray q = BenchmarkArrays.uniform(size, random);
        FloatArray k = BenchmarkArrays.uniform(size, random);
        FloatArray v = BenchmarkArrays.uniform(size, random);
        out = new FloatArray(size);
        IntArray noGlobals = AttentionMasks.globalTokens();
        FloatArray noSlopes = PositionalBiases.noSlopes();
        Window w = Window.causalSliding(window);
        int left = w.left();
        int right = w.right();
        float scale = (float) (1 / Math.sqrt(headDim));
        int none = PositionalBiases.NONE;
        FloatArray standardScratch = new FloatArray(AttentionKernels.standardScratchSize(1, heads, seqLen, left, right, 0));
        FloatArray chunkedScratch = new FloatArray(AttentionKernels.chunkedScratchSize(1, heads, chunkSize, seqLen, left, right, 0));
        standard = plan(graph("standard", q, k, v, noGlobals, noSlopes).task("attention", AttentionKernels::standard, q, k, v, out, standardScratch, noGlobals,
                0, noSlopes, 1, seqLen, heads, heads, headDim, left, right, none, 0f, scale), null);
        chunked = plan(graph("chunked", q, k, v, noGlobals, noSlopes).task("attention", AttentionKernels::chunked, q, k, v, out, chunkedScratch, noGlobals, 0,
                noSlopes, 1, seqLen, heads, heads, headDim, left, right, none, 0f, scale, chunkSize), null);
        memoryEfficient = plan(graph("memory_efficient", q, k, v, noGlobals, noSlopes).task("attention", AttentionKernels::memoryEfficient, q, k, v, out,
                noGlobals, 0, noSlopes, 1, seqLen, heads, heads, headDim, left, right, none, 0f, scale, chunkSize), null);
        flash = plan(graph("flash", q, k, v, noGlobals, noSlopes).task("attention", AttentionKernels::flash, new KernelContext(), q, k, v, out, noGlobals, 0,
                noSlopes, 1, seqLen, heads, heads, headDim, left, right, none, 0f, scale), new GridScheduler("flash.attention", AttentionKernels.flashGrid(1, heads, seqLen)));
    }

    private static TaskGraph graph(String name, Object... inputs) {
        return new TaskGraph(name).transferToDevice(DataTransferMode.FIRST_EXECUTION, inputs);
    }

    private TornadoExecutionPlan plan(TaskGraph graph, GridScheduler grids) {
        TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out).snapshot());
        return grids == null ? plan : plan.withGridScheduler(grids);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws TornadoExecutionPlanException {
        for (TornadoExecutionPlan p : new TornadoExecutionPlan[] { standard, chunked, memoryEfficient, flash }) {
            p.close();
        }
    }

    @Benchmark
    public void standard(Blackhole hole) {
        standard.execute();
        hole.consume(out.get(0));
    }

    @Benchmark
    public void chunked(Blackhole hole) {
        chunked.execute();
        hole.consume(out.get(0));
    }

    @Benchmark
    public void memoryEfficient(Blackhole hole) {
        memoryEfficient.execute();
        hole.consume(out.get(0));
    }

    @Benchmark
    public void flash(Blackhole hole) {
        flash.execute();
        hole.consume(out.get(0));
    }
}
