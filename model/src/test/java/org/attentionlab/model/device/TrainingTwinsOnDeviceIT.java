package org.attentionlab.model.device;

import org.attentionlab.kernels.device.DeviceRuntime;
import org.attentionlab.model.train.TrainingTwinsTest;
import java.util.Set;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training on TornadoVM's default device against PyTorch autograd and torch.optim.AdamW: the fixtures and tolerances of
 * {@link TrainingTwinsTest} (gradients within 1e-4 of each tensor's scale, 20 AdamW steps' losses within 1e-3 relative),
 * which runs them on the JVM implementation. Runs under {@code mvn -Ptornadovm verify}; skips elsewhere.
 */
class TrainingTwinsOnDeviceIT {

    /**
     * Fixtures whose training graphs TornadoVM 5.2.1 cannot schedule: its graph compiler
     * ({@code TornadoVMGraphCompiler.scheduleAndEmitTornadoVMBytecodes}) loops on them without end, in this test (10
     * minutes on a quiet machine, 30 on a busy one) and in {@code scripts/run train} of the same config on PoCL (also
     * with position_embedding none). The cause is not found yet (README, "Limits worth knowing"); they are reported as
     * skipped with this reason rather than hanging the device run.
     */
    private static final Set<String> TORNADOVM_SCHEDULER_LOOPS = Set.of("multihead-geglu-tokens");

    private static void assumeTornadoSchedules(String name) {
        Assumptions.assumeFalse(TORNADOVM_SCHEDULER_LOOPS.contains(name),
                name + ": TornadoVM's graph compiler loops on this config's training graphs (known, unexplained)");
    }

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @ParameterizedTest
    @MethodSource("org.attentionlab.model.train.TrainingTwinsTest#fixtures")
    void gradientsMatchAutogradOnTheDevice(String name) {
        assumeTornadoSchedules(name);
        TrainingTwinsTest.checkGradients(name, null);
    }

    @ParameterizedTest
    @MethodSource("org.attentionlab.model.train.TrainingTwinsTest#fixtures")
    void twentyAdamWStepsMatchTorchOnTheDevice(String name) {
        assumeTornadoSchedules(name);
        TrainingTwinsTest.checkSteps(name, null);
    }
}
