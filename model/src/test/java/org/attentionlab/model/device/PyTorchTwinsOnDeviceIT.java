package org.attentionlab.model.device;

import java.util.List;

import org.attentionlab.kernels.device.DeviceRuntime;
import org.attentionlab.model.PyTorchTwinsTest;
import org.attentionlab.model.config.ConfigLoader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every architecture on TornadoVM's default device against its PyTorch twin, with every attention algorithm: the
 * same fixtures and tolerance as {@link PyTorchTwinsTest}, which runs them on the JVM implementation.
 * Runs under {@code mvn -Ptornadovm verify}; skips elsewhere.
 */
class PyTorchTwinsOnDeviceIT {

    /** Skips without TornadoVM (and says why); fails instead under -Ptornadovm, where a device must be there. */
    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @ParameterizedTest
    @ValueSource(strings = { "rnope-swa", "rnope-swa-ablations", "multihead-sliding-window", "multihead-edifice-bidirectional", "hybrid-lstm-attention",
            "hybrid-lstm-attention-mlp", "rnope-swa-hybrid-parallel", "rnope-swa-hybrid-prenorm", "ape", "rnope-swa-geglu", "multihead-geglu-tokens",
            "cohere2", "mistral" })
    void matchesItsPyTorchTwinOnTheDevice(String name) throws Exception {
        float[][] result = PyTorchTwinsTest.runTwin(ConfigLoader.load(PyTorchTwinsTest.resource(name + ".yaml")), name);
        PyTorchTwinsTest.assertClose(result[0], result[1], name + " on TornadoVM");
    }

    @ParameterizedTest
    @ValueSource(strings = { "standard", "chunked", "memory_efficient", "flash" })
    void everyAttentionAlgorithmOnTheDevice(String algorithm) throws Exception {
        for (String name : List.of("rnope-swa", "multihead-edifice-bidirectional", "rnope-swa-hybrid-parallel")) {
            float[][] result = PyTorchTwinsTest.runTwin(
                    ConfigLoader.load(PyTorchTwinsTest.resource(name + ".yaml"), List.of("attention_algorithm=" + algorithm, "chunk_size=3")), name);
            PyTorchTwinsTest.assertClose(result[0], result[1], name + " with " + algorithm + " on TornadoVM");
        }
    }
}
