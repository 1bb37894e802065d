package org.attentionlab.kernels.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Locale;

/**
 * Compares what a kernel computed on the device with what the same kernel computed as plain Java, element by
 * element: {@code |device - java| <= ABS + REL * |java|}, and prints the largest difference (the failsafe report's
 * {@code *-output.txt} collects them).
 *
 * <p>Why the tolerance is not zero: TornadoVM contracts {@code a * b + c} into {@code fma} (one rounding instead of
 * two), the OpenCL compiler may reassociate nothing but may evaluate {@code exp}, {@code tanh}, {@code sin}, ... to
 * within a few ulp where Java's are within one, and division may be computed as multiplication by a reciprocal.
 * Each of these moves a result by a few ulp of the values involved; after a dot product or a softmax that is
 * below 1e-6 for the O(1) inputs these tests use. {@link #ABS} = 1e-5 and {@link #REL} = 1e-5 leave a margin of
 * 10 over that while still catching any real difference (a wrong index, a missed key, a lost barrier, an
 * uninitialised element are all O(0.01) or more, or NaN).
 */
final class DeviceCheck {

    static final double ABS = 1e-5;
    static final double REL = 1e-5;

    private DeviceCheck() {
    }

    /** Asserts closeness within {@link #ABS} and {@link #REL}; returns the largest absolute difference. */
    static double assertMatchesJava(float[] java, float[] device, String what) {
        return assertClose(java, device, ABS, REL, what);
    }

    /** Asserts the two are identical bit for bit (kernels that only move data). */
    static void assertIdentical(float[] java, float[] device, String what) {
        assertEquals(java.length, device.length, what + ": length");
        for (int i = 0; i < java.length; i++) {
            if (Float.floatToIntBits(java[i]) != Float.floatToIntBits(device[i])) {
                fail(what + ": element " + i + " is " + device[i] + " on the device, " + java[i] + " in Java");
            }
        }
        report(what, 0.0);
    }

    static double assertClose(float[] java, float[] device, double abs, double rel, String what) {
        assertEquals(java.length, device.length, what + ": length");
        double max = 0.0;
        for (int i = 0; i < java.length; i++) {
            double error = Math.abs((double) device[i] - java[i]);
            if (!(error <= abs + rel * Math.abs(java[i]))) {
                fail(what + ": element " + i + " is " + device[i] + " on the device, " + java[i] + " in Java (difference " + error + ", tolerance " + abs
                        + " + " + rel + " * |java|)");
            }
            max = Math.max(max, error);
        }
        report(what, max);
        return max;
    }

    static void report(String what, double maxError) {
        System.out.println(String.format(Locale.ROOT, "max |device - java| = %.3e  %s", maxError, what));
    }
}
