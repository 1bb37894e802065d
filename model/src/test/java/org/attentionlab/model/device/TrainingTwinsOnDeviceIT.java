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
 * which runs them on the JVM implementation, except for the floor of a tensor's scale ({@link #MODEL_SCALE_FLOOR}).
 * Runs under {@code mvn -Ptornadovm verify}; skips elsewhere. Each fixture takes about half a minute on PoCL:
 * {@code -Dtraining.fixtures=cohere2,ape} runs only those.
 */
class TrainingTwinsOnDeviceIT {

    /**
     * The floor of a tensor's scale, as a fraction of the model's largest |gradient| T: 10 times the JVM's
     * ({@link TrainingTwinsTest#MODEL_SCALE_FLOOR}), for the tensors whose true gradient is zero. Their values are
     * rounding noise alone, and the device rounds differently (fused multiply-adds, OpenCL's relaxed exp): on PoCL the
     * key projection's bias of multihead-edifice-bidirectional (bidirectional window, ALiBi) is 6.1e-8 = 1.6e-7 T off
     * torch's 7.5e-9, about 4e-7 of its terms' scale (the key weight's gradient, 0.14), where the JVM's floor allows
     * 1e-7 T and the JVM itself is 2.6e-8 off. Tensors whose gradient is above 1e-2 T are compared as on the JVM.
     */
    static final double MODEL_SCALE_FLOOR = 10 * TrainingTwinsTest.MODEL_SCALE_FLOOR;

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
        TrainingTwinsTest.checkGradients(name, null, MODEL_SCALE_FLOOR);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void twentyAdamWStepsMatchTorchOnTheDevice(String name) {
        TrainingTwinsTest.checkSteps(name, null);
    }
}
