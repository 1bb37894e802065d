package org.attentionlab.kernels.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attentionlab.kernels.AdamW;
import org.attentionlab.kernels.reference.AdamWReference;
import org.attentionlab.kernels.reference.AdamWReference.Hyperparameters;
import org.attentionlab.kernels.testing.AdamWRun;
import org.attentionlab.kernels.testing.RandomArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * {@link AdamW} on a TornadoVM device: five optimizer steps of one execution plan (state kept in device memory) over
 * three parameter buffers (one past the size where the norm uses several work-groups, one without weight decay),
 * with a warm-up, cosine decay and clipping that engages, against the float64 reference with the unit tests'
 * tolerances (parameters {@code 2e-6 |p| + 1e-5 lr t}, moments 1e-5 relative to their terms' magnitudes); the
 * {@code @Parallel} update is also compared with itself called as plain Java on the device's state.
 */
class AdamWIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @Test
    void fiveSteps() {
        SplittableRandom random = new SplittableRandom(101);
        float[][] initial = { RandomArrays.gaussian(random, 9000, 0.5), RandomArrays.gaussian(random, 37, 0.5), RandomArrays.gaussian(random, 1, 0.5) };
        double[] decays = { 0.01, 0.0, 0.1 };
        Hyperparameters h = new Hyperparameters(3e-3, 0.9, 0.999, 1e-8, 1.0, 2, 6, 0.1, 0.5);
        int steps = 5;
        float[][][] gradients = new float[steps][initial.length][];
        for (int s = 0; s < steps; s++) {
            for (int b = 0; b < initial.length; b++) {
                gradients[s][b] = RandomArrays.gaussian(random, initial[b].length, 0.05);
            }
        }
        AdamWRun run = new AdamWRun(DeviceTasks.graph("adamw").getTaskGraphName(), initial, h, decays);
        run.steps(gradients);

        AdamWReference.State expected = new AdamWReference.State(toDoubles(initial));
        for (int s = 0; s < steps; s++) {
            double[][] wide = toDoubles(gradients[s]);
            AdamWReference.step(expected, wide, h, decays);
        }
        assertEquals(steps, run.step.get(0), "step counter on the device");
        assertEquals(expected.lastGradientNorm, run.state.get(AdamW.STATE_GRADIENT_NORM), 1e-5 * expected.lastGradientNorm, "gradient norm");
        assertEquals(expected.lastLearningRate, run.state.get(AdamW.STATE_LEARNING_RATE), 1e-6 * expected.lastLearningRate, "learning rate");
        for (int b = 0; b < initial.length; b++) {
            double[] parameterBound = new double[initial[b].length];
            double[] mBound = new double[initial[b].length];
            double[] vBound = new double[initial[b].length];
            for (int i = 0; i < parameterBound.length; i++) {
                parameterBound[i] = 2e-6 * Math.abs(expected.parameters[b][i]) + 1e-5 * h.learningRate() * steps;
                mBound[i] = 1e-5 * expected.mMagnitude[b][i];
                vBound[i] = 1e-5 * expected.v[b][i] + 1e-30;
            }
            String what = "AdamW 5 steps, buffer " + b + " (" + initial[b].length + " elements)";
            DeviceCheck.assertWithinReference(expected.parameters[b], run.parameters[b].toHeapArray(), parameterBound, what + ": parameters");
            DeviceCheck.assertWithinReference(expected.m[b], run.m[b].toHeapArray(), mBound, what + ": m");
            DeviceCheck.assertWithinReference(expected.v[b], run.v[b].toHeapArray(), vBound, what + ": v");
        }

        // Step 6 on the device, and its update of buffer 0 as plain Java from the step-5 values and the device's step-6 state.
        float[] before = run.parameters[0].toHeapArray();
        FloatArray javaParameters = FloatArray.fromArray(before);
        FloatArray javaM = FloatArray.fromArray(run.m[0].toHeapArray());
        FloatArray javaV = FloatArray.fromArray(run.v[0].toHeapArray());
        run.steps(new float[][][] { gradients[0] });
        AdamW.update(javaParameters, FloatArray.fromArray(gradients[0][0]), javaM, javaV, run.settings, run.state, (float) decays[0], before.length);
        DeviceCheck.assertMatchesJava(javaParameters.toHeapArray(), run.parameters[0].toHeapArray(), "AdamW.update (step 6, the device's state)");
        DeviceCheck.assertMatchesJava(javaV.toHeapArray(), run.v[0].toHeapArray(), "AdamW.update v");
    }

    private static double[][] toDoubles(float[][] values) {
        double[][] wide = new double[values.length][];
        for (int b = 0; b < values.length; b++) {
            wide[b] = DeviceCheck.toDoubles(values[b]);
        }
        return wide;
    }
}
