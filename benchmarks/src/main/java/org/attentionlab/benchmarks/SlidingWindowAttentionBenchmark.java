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
 * Causal sliding-window attention, one benchmark per algorithm, on the plain JVM (this project's TornadoVM API
 * implementation): the @Parallel kernels run as sequential Java, the KernelContext flash kernel over its grid
 * on all cores. Default shape: L = 4096, W = 256, 8 heads, head_dim 64, batch 1, fp32 (scripts/bench compares
 * it with PyTorch measured in the same run).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
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

    private FloatArray q;
    private FloatArray k;
    private FloatArray v;
    private FloatArray out;
    private FloatArray standardScratch;
    private FloatArray chunkedScratch;
    private final IntArray noGlobals = AttentionMasks.globalTokens();
    private final FloatArray noSlopes = PositionalBiases.noSlopes();
    private int left;
    private int right;
    private float scale;
    private TornadoExecutionPlan flashPlan;

    @Setup(Level.Trial)
    public void setUp() {
        int size = seqLen * heads * headDim;
        SplittableRandom random = new SplittableRandom(7);
        q = random(size, random);
        k = random(size, random);
        v = random(size, random);
        out = new FloatArray(size);
        Window w = Window.causalSliding(window);
        left = w.left();
        right = w.right();
        scale = (float) (1 / Math.sqrt(headDim));
        standardScratch = new FloatArray(AttentionKernels.standardScratchSize(1, heads, seqLen, left, right, 0));
        chunkedScratch = new FloatArray(AttentionKernels.chunkedScratchSize(1, heads, chunkSize, seqLen, left, right, 0));
        TaskGraph graph = new TaskGraph("bench")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, q, k, v, noGlobals, noSlopes)
                .task("flash", AttentionKernels::flash, new KernelContext(), q, k, v, out, noGlobals, 0, noSlopes, 1, seqLen, heads, heads, headDim,
                        left, right, PositionalBiases.NONE, 0f, scale)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        flashPlan = new TornadoExecutionPlan(graph.snapshot()).withGridScheduler(new GridScheduler("bench.flash", AttentionKernels.flashGrid(1, heads, seqLen)));
    }

    private static FloatArray random(int size, SplittableRandom random) {
        FloatArray a = new FloatArray(size);
        for (int i = 0; i < size; i++) {
            a.set(i, (float) (random.nextDouble() * 2 - 1));
        }
        return a;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws TornadoExecutionPlanException {
        flashPlan.close();
    }

    @Benchmark
    public void standard(Blackhole hole) {
        AttentionKernels.standard(q, k, v, out, standardScratch, noGlobals, 0, noSlopes, 1, seqLen, heads, heads, headDim, left, right, PositionalBiases.NONE,
                0f, scale);
        hole.consume(out.get(0));
    }

    @Benchmark
    public void chunked(Blackhole hole) {
        AttentionKernels.chunked(q, k, v, out, chunkedScratch, noGlobals, 0, noSlopes, 1, seqLen, heads, heads, headDim, left, right, PositionalBiases.NONE,
                0f, scale, chunkSize);
        hole.consume(out.get(0));
    }

    @Benchmark
    public void memoryEfficient(Blackhole hole) {
        AttentionKernels.memoryEfficient(q, k, v, out, noGlobals, 0, noSlopes, 1, seqLen, heads, heads, headDim, left, right, PositionalBiases.NONE, 0f, scale,
                chunkSize);
        hole.consume(out.get(0));
    }

    @Benchmark
    public void flash(Blackhole hole) {
        flashPlan.execute();
        hole.consume(out.get(0));
    }
}
