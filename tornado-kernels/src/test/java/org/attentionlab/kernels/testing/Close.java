package org.attentionlab.kernels.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise closeness with an absolute and a relative tolerance: |got - want| <= abs + rel * |want|. */
public final class Close {

    private Close() {
    }

    public static void assertClose(double[] want, float[] got, double abs, double rel, String what) {
        if (want.length != got.length) {
            fail(what + ": length " + got.length + ", want " + want.length);
        }
        for (int i = 0; i < want.length; i++) {
            double error = Math.abs(got[i] - want[i]);
            if (!(error <= abs + rel * Math.abs(want[i]))) {
                fail(what + ": element " + i + " is " + got[i] + ", want " + want[i] + " (error " + error + ", tolerance " + abs + " + " + rel + " * |want|)");
            }
        }
    }

    public static void assertClose(float[] want, float[] got, double abs, double rel, String what) {
        double[] wide = new double[want.length];
        for (int i = 0; i < want.length; i++) {
            wide[i] = want[i];
        }
        assertClose(wide, got, abs, rel, what);
    }

    public static double maxAbsError(double[] want, float[] got) {
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(got[i] - want[i]));
        }
        return max;
    }
}
