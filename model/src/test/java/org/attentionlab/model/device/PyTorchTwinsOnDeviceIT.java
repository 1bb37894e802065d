package org.attentionlab.model.device;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.attentionlab.kernels.device.DeviceRuntime;
import org.attentionlab.model.PyTorchTwinsTest;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.weights.HuggingFaceCheckpoint;
import org.attentionlab.model.weights.SafeTensors;
import org.attentionlab.model.weights.Tensor;
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
    @ValueSource(strings = { "rnope-swa", "rnope-swa-ablations", "multiscale-swa", "multihead-sliding-window", "multihead-edifice-bidirectional", "hybrid-lstm-attention",
            "hybrid-lstm-attention-mlp", "rnope-swa-hybrid-parallel", "rnope-swa-hybrid-prenorm", "ape", "rnope-swa-geglu", "multihead-geglu-tokens",
            "cohere2", "mistral" })
    void matchesItsPyTorchTwinOnTheDevice(String name) throws Exception {
        float[][] result = PyTorchTwinsTest.runTwin(ConfigLoader.load(PyTorchTwinsTest.resource(name + ".yaml")), name);
        PyTorchTwinsTest.assertClose(result[0], result[1], name + " on TornadoVM");
    }

    /** The Hugging Face checkpoint directories the twins wrote (HuggingFaceCheckpointTest runs them on the JVM). */
    @ParameterizedTest
    @ValueSource(strings = { "cohere2", "mistral", "llama" })
    void aHuggingFaceCheckpointGivesTheTwinsLogitsOnTheDevice(String name) throws Exception {
        Path directory = Path.of(PyTorchTwinsOnDeviceIT.class.getResource("/hf-checkpoints/" + name).toURI());
        ModelSpec spec = ConfigLoader.load(directory);
        Model model = Model.build(spec);
        HuggingFaceCheckpoint.load(model.parameters(), spec, HuggingFaceCheckpoint.read(directory));
        Map<String, Tensor> io = SafeTensors.read(directory.resolveSibling(name + ".io.safetensors"));
        PyTorchTwinsTest.assertClose(PyTorchTwinsTest.run(model, io.get("input")), io.get("output").floats(), name + " checkpoint on TornadoVM");
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
