package org.attentionlab.model.weights;

/** Half-precision formats widened to float; both widenings are exact. */
final class FloatFormats {

    private FloatFormats() {
    }

    /** IEEE 754 binary16 (1 sign, 5 exponent, 10 fraction bits), subnormals, infinities and NaN payloads kept. */
    static float halfToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** bfloat16 is the upper half of a binary32, so widening is a shift. */
    static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
