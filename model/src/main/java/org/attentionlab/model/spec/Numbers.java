package org.attentionlab.model.spec;

/** How numbers read in messages and summaries. */
public final class Numbers {

    private Numbers() {
    }

    /** Without a trailing ".0" for integral values: 10000 rather than 10000.0. */
    public static String plain(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }
}
