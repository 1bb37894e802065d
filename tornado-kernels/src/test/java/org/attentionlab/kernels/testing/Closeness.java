package org.attentionlab.kernels.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise comparisons of fp32 kernel results with float64 references, reporting the worst element. */
public final class Closeness {

    private Closeness() {
    }

    /** Fails unless every {@code |actual - expected| <= abs + rel * |expected|} (and no NaN where a number is expected). */
    public static void assertClose(String what, double[] expected, float[] actual, double abs, double rel) {
        double[] bound = new double[expected.length];
        for (int i = 0; i < expected.length; i++) {
            bound[i] = abs + rel * Math.abs(expected[i]);
        }
        assertWithin(what, expected, actual, bound);
    }

    /** Fails unless every {@code |actual[i] - expected[i]| <= bound[i]}. */
    public static void assertWithin(String what, double[] expected, float[] actual, double[] bound) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs(actual[i] - expected[i]);
            boolean bad = Double.isNaN(actual[i]) != Double.isNaN(expected[i]) || error > bound[i];
            double ratio = Double.isNaN(error) ? Double.POSITIVE_INFINITY : error / bound[i];
            if (bad && (worst < 0 || ratio > worstRatio)) {
                worst = i;
                worstRatio = ratio;
            }
        }
        if (worst >= 0) {
            fail(String.format("%s: element %d is %s, expected %s (error %.3g > bound %.3g)", what, worst, actual[worst], expected[worst],
                    Math.abs(actual[worst] - expected[worst]), bound[worst]));
        }
    }

    /** Fails unless every element is finite. */
    public static void assertFinite(String what, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                fail(what + ": element " + i + " is " + values[i]);
            }
        }
    }

    public static double[] toDoubles(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = values[i];
        }
        return d;
    }
}
