package org.attentionlab.model.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * F16 and BF16 widening, checked on every one of the 65536 bit patterns against a float64 reference written from
 * the formats' definitions, both directly and through a file.
 */
class HalfPrecisionTest {

    @TempDir
    Path dir;

    /** binary16: (-1)^s * 2^(e-15) * (1 + f/1024), or 2^-14 * f/1024 when e = 0; e = 31 is inf or NaN. */
    private static double halfReference(int bits) {
        int sign = (bits >> 15) & 1;
        int exponent = (bits >> 10) & 0x1F;
        int fraction = bits & 0x3FF;
        double magnitude;
        if (exponent == 0x1F) {
            magnitude = fraction == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else if (exponent == 0) {
            magnitude = Math.scalb((double) fraction, -24);
        } else {
            magnitude = Math.scalb(1024.0 + fraction, exponent - 25);
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    /** bfloat16: (-1)^s * 2^(e-127) * (1 + f/128), or 2^-126 * f/128 when e = 0; e = 255 is inf or NaN. */
    private static double bfloat16Reference(int bits) {
        int sign = (bits >> 15) & 1;
        int exponent = (bits >> 7) & 0xFF;
        int fraction = bits & 0x7F;
        double magnitude;
        if (exponent == 0xFF) {
            magnitude = fraction == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else if (exponent == 0) {
            magnitude = Math.scalb((double) fraction, -133);
        } else {
            magnitude = Math.scalb(128.0 + fraction, exponent - 134);
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    private static void assertSame(double expected, float actual, int bits, String format) {
        String where = format + " bits 0x" + Integer.toHexString(bits);
        if (Double.isNaN(expected)) {
            assertTrue(Float.isNaN(actual), where);
            return;
        }
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual), where
                + ": expected " + expected + ", got " + actual);
    }

    @Test
    void everyHalfPatternWidensExactly() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            assertSame(halfReference(bits), FloatFormats.halfToFloat((short) bits), bits, "F16");
        }
    }

    @Test
    void everyBfloat16PatternWidensExactly() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            assertSame(bfloat16Reference(bits), FloatFormats.bfloat16ToFloat((short) bits), bits, "BF16");
        }
    }

    @Test
    void namedValues() {
        assertEquals(1.0f, FloatFormats.halfToFloat((short) 0x3C00));
        assertEquals(65504.0f, FloatFormats.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, FloatFormats.halfToFloat((short) 0x0001));
        assertEquals(0x3FFp-24f, FloatFormats.halfToFloat((short) 0x03FF));
        assertEquals(0x1p-14f, FloatFormats.halfToFloat((short) 0x0400));
        assertEquals(Float.NEGATIVE_INFINITY, FloatFormats.halfToFloat((short) 0xFC00));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(FloatFormats.halfToFloat((short) 0x8000)));
        assertEquals(1.0f, FloatFormats.bfloat16ToFloat((short) 0x3F80));
        assertEquals(0x1p-133f, FloatFormats.bfloat16ToFloat((short) 0x0001));
        assertEquals(Float.POSITIVE_INFINITY, FloatFormats.bfloat16ToFloat((short) 0x7F80));
        assertTrue(Float.isNaN(FloatFormats.bfloat16ToFloat((short) 0xFFC1)));
        assertEquals(0xFFC10000, Float.floatToRawIntBits(FloatFormats.bfloat16ToFloat((short) 0xFFC1)),
                "the NaN payload is kept");
    }

    @Test
    void allPatternsThroughAFile() throws IOException {
        short[] patterns = new short[1 << 16];
        for (int bits = 0; bits < patterns.length; bits++) {
            patterns[bits] = (short) bits;
        }
        byte[] data = RawSafeTensors.shorts(patterns);
        byte[] both = new byte[2 * data.length];
        System.arraycopy(data, 0, both, 0, data.length);
        System.arraycopy(data, 0, both, data.length, data.length);
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[256,256],\"data_offsets\":[0,131072]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[65536],\"data_offsets\":[131072,262144]}}";
        Path file = dir.resolve("halves.safetensors");
        Files.write(file, RawSafeTensors.file(header, both));
        var tensors = SafeTensors.read(file);
        float[] halves = tensors.get("h").floats();
        float[] brains = tensors.get("b").floats();
        assertEquals(DType.F16, tensors.get("h").dtype());
        assertEquals(DType.BF16, tensors.get("b").dtype());
        for (int bits = 0; bits < 1 << 16; bits++) {
            assertSame(halfReference(bits), halves[bits], bits, "F16 file");
            assertSame(bfloat16Reference(bits), brains[bits], bits, "BF16 file");
        }
    }
}
