package org.attentionlab.kernels.device;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import org.attentionlab.kernels.Normalization;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * TornadoVM 5.2.1 never finishes compiling a task graph in which one task takes the same array twice, first at a
 * position the kernel writes and then at any later one: {@code TornadoGraphBuilder.buildGraph} makes the written
 * argument's next use a {@code DependentReadNode} whose dependent is the task being built, so the task's second
 * argument depends on the task itself, and {@code TornadoVMGraphCompiler.scheduleAndEmitTornadoVMBytecodes} spins in
 * {@code while (scheduled.cardinality() < dependencies.length)} for ever. A bias-free LayerNorm's backward once passed
 * its weight gradient as the unused bias gradient too and hung training on the device (README, "Limits worth knowing");
 * it now passes an array of its own, as the first test does.
 *
 * <p>The second test pins the finding itself: should a TornadoVM release schedule such a graph, it fails and says so.
 * The graph compiler cannot be stopped, so that test leaves a daemon thread spinning until the test JVM (one per test
 * class) exits; it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AliasedArgumentsIT {

    private static final int ROWS = 4;
    private static final int DIM = 9;
    /** Far more than the few seconds the distinct-arrays graph takes to compile and run on PoCL. */
    private static final long PATIENCE_SECONDS = 60;

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    /*
     * No TornadoVM type appears in a signature of this class (lambdas included): failsafe resolves a test class's
     * methods in Maven's JVM when -Dit.test names it, and TornadoVM's classes are not there.
     */

    /**
     * LayerNorm's weight gradient without a bias ({@code hasBias} 0: the kernel never touches its bias gradient) on
     * seeded inputs and the row statistics LayerNorm's input-gradient kernel leaves for them: as plain Java when
     * {@code graphName} is null, else as the one task of a new graph, whose bias gradient is then the weight gradient
     * itself when {@code aliased}, an array of its own otherwise.
     */
    private static float[] biasFreeWeightGradient(String graphName, boolean aliased) {
        FloatArray x = FloatArray.fromArray(gaussian(1, ROWS * DIM));
        FloatArray dOut = FloatArray.fromArray(gaussian(2, ROWS * DIM));
        FloatArray statistics = DeviceTasks.nans(ROWS * Normalization.LAYER_NORM_STATISTICS);
        Normalization.layerNormBackward(x, FloatArray.fromArray(gaussian(3, DIM)), dOut, DeviceTasks.nans(ROWS * DIM), statistics, ROWS, DIM, Normalization.LAYER_NORM_EPS);
        FloatArray dWeight = FloatArray.fromArray(gaussian(4, DIM));
        FloatArray dBias = aliased ? dWeight : DeviceTasks.nans(1);
        if (graphName == null) {
            Normalization.layerNormParameterGradients(x, dOut, statistics, dWeight, dBias, ROWS, DIM, 0);
        } else {
            DeviceTasks.execute(DeviceTasks.graph(graphName).transferToDevice(DataTransferMode.EVERY_EXECUTION, x, dOut, statistics, dWeight, dBias)
                    .task("parameters", Normalization::layerNormParameterGradients, x, dOut, statistics, dWeight, dBias, ROWS, DIM, 0)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, dWeight));
        }
        return dWeight.toHeapArray();
    }

    private static float[] gaussian(long seed, int size) {
        return RandomArrays.gaussian(new SplittableRandom(seed), size, 1.0);
    }

    /** A graph's execution in a daemon thread of its own (a graph compiler that spins cannot be stopped). */
    private record Execution(Thread thread, FutureTask<float[]> result) {

        /** Starts {@link #biasFreeWeightGradient} on the device and waits for it at most {@link #PATIENCE_SECONDS}. */
        static Execution start(String graphName, boolean aliased) throws InterruptedException {
            FutureTask<float[]> result = new FutureTask<>(() -> biasFreeWeightGradient(graphName, aliased));
            Thread thread = new Thread(result, graphName);
            thread.setDaemon(true);
            thread.start();
            thread.join(TimeUnit.SECONDS.toMillis(PATIENCE_SECONDS));
            return new Execution(thread, result);
        }

        String stack() {
            return Arrays.toString(thread.getStackTrace());
        }
    }

    @Test
    @Order(1)
    void distinctArraysSchedule() throws InterruptedException, ExecutionException {
        Execution execution = Execution.start("distinctArrays", false);
        if (!execution.result().isDone()) {
            fail("a graph without aliased arguments did not finish in " + PATIENCE_SECONDS + " s: " + execution.stack());
        }
        DeviceCheck.assertMatchesJava(biasFreeWeightGradient(null, false), execution.result().get(), "layerNormParameterGradients without bias, dWeight");
    }

    @Test
    @Order(2)
    void aWrittenArrayPassedAgainIsNeverScheduled() throws InterruptedException, ExecutionException {
        Execution execution = Execution.start("writtenArrayPassedAgain", true);
        if (execution.result().isDone()) {
            execution.result().get();
            fail("TornadoVM now schedules a task that takes an array it writes again as a later argument: the distinct placeholder of NormWeights'"
                    + " bias-free LayerNorm backward and README's finding can go");
        }
        String stack = execution.stack();
        assertTrue(stack.contains("TornadoVMGraphCompiler.scheduleAndEmitTornadoVMBytecodes"), "still running after " + PATIENCE_SECONDS
                + " s, but not in TornadoVM's scheduler: " + stack);
    }
}
