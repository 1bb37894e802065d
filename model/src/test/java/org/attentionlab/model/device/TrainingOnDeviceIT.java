package org.attentionlab.model.device;

import org.attentionlab.kernels.device.DeviceRuntime;
import org.attentionlab.model.train.ModelGradientTest;
import org.attentionlab.model.train.OptimizerStepTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Training on TornadoVM's default device: whole-model gradients of a gradient graph against float64 finite differences
 * (the unit test's models of every architecture: the transformers, the LSTM hybrids, ape; 1e-4 of each tensor's largest
 * gradient: OpenCL's relaxed math reassociates the norms and attention sums, about 10x the JVM's worst error), and
 * three steps of the step graph (forward, loss, backward, AdamW in one graph) against float64 AdamW fed with the
 * device's own gradients. Runs under {@code mvn -Ptornadovm verify}.
 */
class TrainingOnDeviceIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @Test
    void gradientsOfATiedLanguageModel() {
        ModelGradientTest.check(ModelGradientTest.TIED_LM_HEAD, "NEXT_TOKEN", 1e-4);
    }

    @Test
    void gradientsOfAClassifier() {
        ModelGradientTest.check(ModelGradientTest.CLASSIFICATION, "LAST_TOKEN", 1e-4);
    }

    @Test
    void gradientsOfARegression() {
        ModelGradientTest.check(ModelGradientTest.REGRESSION, "REGRESSION", 1e-4);
    }

    @Test
    void gradientsOfTheLstmHybrid() {
        ModelGradientTest.check(ModelGradientTest.HYBRID_REGRESSION, "REGRESSION", 1e-4);
    }

    @Test
    void gradientsOfTheLstmHybridWithItsMlpHead() {
        ModelGradientTest.check(ModelGradientTest.HYBRID_MLP_REGRESSION, "REGRESSION", 1e-4);
    }

    @Test
    void gradientsOfApe() {
        ModelGradientTest.check(ModelGradientTest.APE_TOKENS, "NEXT_TOKEN", 1e-4);
    }

    @Test
    void threeOptimizerSteps() {
        OptimizerStepTest.checkThreeSteps(1e-5, 1e-4);
    }
}
