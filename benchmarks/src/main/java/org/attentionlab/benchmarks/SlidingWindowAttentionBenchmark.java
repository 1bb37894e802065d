package org.attentionlab.benchmarks;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.attentionlab.kernels.AttentionLaunch;
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
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Causal sliding-window attention, one benchmark per algorithm (and flash's register-tiled variant), each run as a one-task TornadoVM task graph: on
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

    /**
     * How {@code flashTiled} reads k and v: {@code head_major} ({@code [b][kvHead][t][d]}), the layout a model's
     * forward gives it (LaunchGeometry's {@code kv_layout}), or {@code token_major} ({@code [b][t][kvHead][d]}, every
     * other kernel's) for an A/B ({@code -p kvLayout=token_major}). The inputs are random, so the same arrays serve
     * both. The other benchmarks read k and v token-major.
     */
    @Param("head_major")
    String kvLayout;

    /**
     * The vector width {@code flashTiled}'s register tiles are sized for (8 or 16): system property
     * {@code attentionlab.vectorLanes}, which scripts/bench sets from the host CPU (16 with avx512f, else 8, as a
     * model's LaunchGeometry chooses); 16 without it.
     */
    private static final int VECTOR_LANES = Integer.getInteger("attentionlab.vectorLanes", 16);

    private FloatArray out;
    private TornadoExecutionPlan standard;
    private TornadoExecutionPlan chunked;
    private TornadoExecutionPlan memoryEfficient;
    private TornadoExecutionPlan flash;
    private TornadoExecutionPlan flashTiled;

    @Setup(Level.Trial)
    public void setUp() {
        int size = seqLen * heads * headDim;
        SplittableRandom random = new SplittableRandom(7);
        FloatArray q = BenchmarkArrays.uniform(size, random);
        FloatArray k = BenchmarkArrays.uniform(size, random);
        FloatArray v = BenchmarkArrays.uniform(size, random);
        out = new FloatArray(size);
        standard = plan(AttentionLaunch.Algorithm.STANDARD, q, k, v);
        chunked = plan(AttentionLaunch.Algorithm.CHUNKED, q, k, v);
        memoryEfficient = plan(AttentionLaunch.Algorithm.MEMORY_EFFICIENT, q, k, v);
        flash = plan(AttentionLaunch.Algorithm.FLASH, q, k, v);
        flashTiled = plan(AttentionLaunch.Algorithm.FLASH_TILED, q, k, v);
    }

    /** A one-task plan of {@code algorithm} over causal sliding-window attention, no bias, no global tokens. */
    private TornadoExecutionPlan plan(AttentionLaunch.Algorithm algorithm, FloatArray q, FloatArray k, FloatArray v) {
        IntArray noGlobals = AttentionMasks.globalTokens();
        FloatArray noSlopes = PositionalBiases.noSlopes();
        IntArray windows = AttentionMasks.windows(heads, Window.causalSliding(window));
        AttentionLaunch launch = new AttentionLaunch(algorithm, 1, seqLen, heads, heads, headDim, windows, true, noGlobals, 0, PositionalBiases.NONE,
                noSlopes, 0f, (float) (1 / Math.sqrt(headDim)), chunkSize);
        String name = algorithm.name().toLowerCase(Locale.ROOT);
        TaskGraph graph = new TaskGraph(name).transferToDevice(DataTransferMode.FIRST_EXECUTION, q, k, v, noGlobals, windows, noSlopes);
        AttentionLaunch.KvLayout layout = launch.kvLayout("head_major".equals(kvLayout));
        launch.addTask(graph, "attention", q, k, v, out, new FloatArray(Math.max(1, launch.scratchSize())), VECTOR_LANES, layout);
        TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out).snapshot());
        return launch.grid().map(grid -> plan.withGridScheduler(new GridScheduler(name + ".attention", grid))).orElse(plan);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws TornadoExecutionPlanException {
        for (TornadoExecutionPlan p : new TornadoExecutionPlan[] { standard, chunked, memoryEfficient, flash, flashTiled }) {
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

    /**
     * {@code AttentionKernels.flashTiled}: flash with register tiles, the kernel a model runs for flash on an OpenCL CPU
     * device, with k and v as {@link #kvLayout} says (by default head-major, as the model runs it).
     */
    @Benchmark
    public void flashTiled(Blackhole hole) {
        flashTiled.execute();
        hole.consume(out.get(0));
    }
}
