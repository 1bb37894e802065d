package org.attentionlab.model.device;

import org.attentionlab.kernels.device.DeviceRuntime;
import org.attentionlab.model.train.TrainingTwinsTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Training on TornadoVM's default device against PyTorch autograd and torch.optim.AdamW: the fixtures and tolerances of
 * {@link TrainingTwinsTest} (gradients within 1e-4 of each tensor's scale, 20 AdamW steps' losses within 1e-3 relative),
 * which runs them on the JVM implementation. Runs under {@code mvn -Ptornadovm verify}; skips elsewhere.
 */
class TrainingTwinsOnDeviceIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @ParameterizedTest
    @ValueSource(strings = { "rnope-swa", "rnope-swa-ablations", "multihead-sliding-window", "multihead-edifice-bidirectional", "rnope-swa-hybrid-parallel",
            "rnope-swa-hybrid-prenorm", "rnope-swa-geglu", "multihead-geglu-tokens", "cohere2", "mistral", "rnope-swa-recall", "rnope-swa-passkey",
            "rnope-swa-text" })
    void gradientsMatchAutogradOnTheDevice(String name) {
        TrainingTwinsTest.checkGradients(name, null);
    }

    @ParameterizedTest
    @ValueSource(strings = { "rnope-swa", "rnope-swa-ablations", "multihead-sliding-window", "multihead-edifice-bidirectional", "rnope-swa-hybrid-parallel",
            "rnope-swa-hybrid-prenorm", "rnope-swa-geglu", "multihead-geglu-tokens", "cohere2", "mistral", "rnope-swa-recall", "rnope-swa-passkey",
            "rnope-swa-text" })
    void twentyAdamWStepsMatchTorchOnTheDevice(String name) {
        TrainingTwinsTest.checkSteps(name, null);
    }
}
