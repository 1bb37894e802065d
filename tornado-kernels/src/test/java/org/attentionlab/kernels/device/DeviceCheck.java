package org.attentionlab.kernels.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Locale;

/**
 * Compares what a kernel computed on the device with what the same kernel computed as plain Java (or, for the
 * KernelContext kernels, which have no plain call, with the float64 references of the unit tests), element by
 * element, and prints the largest difference on the build's console.
 *
 * <p>The device-versus-Java tolerance is {@code |device - java| <= ABS + REL * |java|} with {@link #ABS} = 1e-5 and
 * {@link #REL} = 1e-5. It is not zero because TornadoVM contracts {@code a * b + c} into {@code fma} (one rounding
 * instead of two), OpenCL's {@code exp}, {@code tanh}, {@code sin}, {@code pow}, ... are allowed a few ulp where
 * Java's are within one, and OpenCL's fp32 division and square root are not correctly rounded by default
 * (2.5 and 3 ulp). Each of these moves a result by a few ulp of the values involved, below 1e-6 for the O(1)
 * inputs of these tests, so the tolerance has a margin of 10 while still catching any real difference (a wrong
 * index, a missed key, a lost barrier, an unwritten element are all O(0.01) or more, or NaN). Kernels that only
 * move data must match bit for bit ({@link #assertIdentical}).
 */
final class DeviceCheck {

    static final double ABS = 1e-5;
    static final double REL = 1e-5;

    private DeviceCheck() {
    }

    /** Asserts {@code |device - java| <= ABS + REL * |java|} everywhere; returns the largest difference. */
    static double assertMatchesJava(float[] java, float[] device, String what) {
        double[] bound = new double[java.length];
        for (int i = 0; i < bound.length; i++) {
            bound[i] = ABS + REL * Math.abs(java[i]);
        }
        return assertWithin(toDoubles(java), device, bound, "java", what);
    }

    /**
     * As {@link #assertMatchesJava(float[], float[], String)}, relative to {@code max(|java|, |input|)}: for kernels
     * that multiply their input by a transcendental function's value (GELU, SiLU), whose few-ulp error then scales
     * with the input, not with the result (tanh-GELU of -1e4 is -0 in Java and -3e-4 on PoCL: one ulp of tanh).
     */
    static double assertMatchesJava(float[] java, float[] device, float[] input, String what) {
        double[] bound = new double[java.length];
        for (int i = 0; i < bound.length; i++) {
            bound[i] = ABS + REL * Math.max(Math.abs(java[i]), Math.abs(input[i]));
        }
        return assertWithin(toDoubles(java), device, bound, "java", what);
    }

    /** Asserts {@code |device - java| <= bound} element-wise, for kernels whose tolerance depends on more than |java|. */
    static double assertWithinJava(float[] java, float[] device, double[] bound, String what) {
        return assertWithin(toDoubles(java), device, bound, "java", what);
    }

    /** Asserts the two are identical bit for bit (kernels that only move or select data). */
    static void assertIdentical(float[] java, float[] device, String what) {
        assertEquals(java.length, device.length, what + ": length");
        for (int i = 0; i < java.length; i++) {
            if (Float.floatToIntBits(java[i]) != Float.floatToIntBits(device[i])) {
                fail(what + ": element " + i + " is " + device[i] + " on the device, " + java[i] + " in Java");
            }
        }
        report("java", what + " (bit for bit)", 0.0);
    }

    /** Asserts {@code |device - reference| <= abs + rel * |reference|} against a float64 reference. */
    static double assertMatchesReference(double[] reference, float[] device, double abs, double rel, String what) {
        double[] bound = new double[reference.length];
        for (int i = 0; i < bound.length; i++) {
            bound[i] = abs + rel * Math.abs(reference[i]);
        }
        return assertWithin(reference, device, bound, "float64", what);
    }

    /** Asserts {@code |device - reference| <= bound} element-wise against a float64 reference. */
    static double assertWithinReference(double[] reference, float[] device, double[] bound, String what) {
        return assertWithin(reference, device, bound, "float64", what);
    }

    private static double assertWithin(double[] expected, float[] device, double[] bound, String against, String what) {
        assertEquals(expected.length, device.length, what + ": length");
        double max = 0.0;
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs(device[i] - expected[i]);
            boolean sameSpecial = Double.isNaN(expected[i]) && Float.isNaN(device[i]) || Double.isInfinite(expected[i]) && expected[i] == device[i];
            if (!sameSpecial && !(error <= bound[i])) {
                fail(String.format(Locale.ROOT, "%s: element %d is %s on the device, %s in %s (difference %.3g > tolerance %.3g)", what, i, device[i],
                        expected[i], against, error, bound[i]));
            }
            if (!sameSpecial) {
                max = Math.max(max, error);
            }
        }
        report(against, what, max);
        return max;
    }

    static void report(String against, String what, double maxError) {
        System.out.println(String.format(Locale.ROOT, "max |device - %s| = %.3e  %s", against, maxError, what));
    }

    static double[] toDoubles(float[] values) {
        double[] wide = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            wide[i] = values[i];
        }
        return wide;
    }
}
