package org.attentionlab.model.device;

import org.attentionlab.kernels.device.DeviceRuntime;
import org.attentionlab.model.generate.GenerationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Generation on TornadoVM's default device: the prompt's forward pass fills the caches, then every token is one
 * execution of the decode graphs with the position in device memory and the caches kept on the device; at the first
 * step, a step after the rolling buffers have wrapped, and the last step, the whole sequence's forward pass on the
 * device must give the same arg-max and logits within 1e-4 (1 + |x|) (OpenCL's relaxed math sums the two paths'
 * rows differently). Only three recomputations per config: TornadoVM compiles every kernel again for each sequence
 * length (it specialises scalar arguments), which is also why the decode step keeps its position in a buffer.
 */
class GenerationOnDeviceIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({ "cohere2, 3, 7, 12", "mistral, 5, 2, 12", "alibi, 4, 6, 10", "multihead, 4, 5, 10" })
    void greedyGenerationMatchesTheFullRecomputation(String config, int window, int prompt, int newTokens) {
        String yaml = switch (config) {
        case "cohere2" -> GenerationTest.COHERE2;
        case "mistral" -> GenerationTest.MISTRAL;
        case "alibi" -> GenerationTest.ALIBI;
        default -> GenerationTest.MULTIHEAD;
        } + "sliding_window: " + window + "\n";
        int wrapped = window + 1;
        GenerationTest.checkAgainstFullRecomputation(config + " W=" + window + " on the device", yaml, prompt, newTokens, 1e-4,
                step -> step == 0 || step == wrapped || step == newTokens - 1);
    }
}
