package org.attentionlab.model.device;

import java.util.Arrays;
import java.util.List;

import org.attentionlab.kernels.device.DeviceRuntime;
import org.attentionlab.model.train.TrainingTwinsTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training on TornadoVM's default device against PyTorch autograd and torch.optim.AdamW: the fixtures and tolerances of
 * {@link TrainingTwinsTest} (gradients within 1e-4 of each tensor's scale, 20 AdamW steps' losses within 1e-3 relative),
 * which runs them on the JVM implementation. Runs under {@code mvn -Ptornadovm verify}; skips elsewhere. Each fixture
 * takes about a minute on PoCL: {@code -Dtraining.fixtures=cohere2,ape} runs only those.
 */
class TrainingTwinsOnDeviceIT {

    /** The system property naming the fixtures to run, comma-separated (all when absent). */
    static final String SELECTED = "training.fixtures";

    static List<String> fixtures() {
        String selected = System.getProperty(SELECTED, "").strip();
        if (selected.isEmpty()) {
            return TrainingTwinsTest.fixtures();
        }
        List<String> names = Arrays.stream(selected.split(",")).map(String::strip).toList();
        List<String> unknown = names.stream().filter(n -> !TrainingTwinsTest.fixtures().contains(n)).toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("-D" + SELECTED + " names no training fixture: " + unknown + " (fixtures: " + TrainingTwinsTest.fixtures() + ")");
        }
        return names;
    }

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void gradientsMatchAutogradOnTheDevice(String name) {
        TrainingTwinsTest.checkGradients(name, null);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void twentyAdamWStepsMatchTorchOnTheDevice(String name) {
        TrainingTwinsTest.checkSteps(name, null);
    }
}
