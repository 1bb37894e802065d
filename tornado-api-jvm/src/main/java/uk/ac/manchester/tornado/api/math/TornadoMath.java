package uk.ac.manchester.tornado.api.math;

/**
 * Math functions that TornadoVM maps to the device's native float (or int) instructions. On the JVM they compute
 * in double and round once, which is at least as accurate as a device's float versions.
 */
public final class TornadoMath {

    private TornadoMath() {
    }

    public static float abs(float a) {
        return Math.abs(a);
    }

    public static int abs(int a) {
        return Math.abs(a);
    }

    public static float acos(float a) {
        return (float) Math.acos(a);
    }

    public static float asin(float a) {
        return (float) Math.asin(a);
    }

    public static float atan(float value) {
        return (float) Math.atan(value);
    }

    public static float atan2(float a, float b) {
        return (float) Math.atan2(a, b);
    }

    public static float ceil(float value) {
        return (float) Math.ceil(value);
    }

    public static float clamp(float val, float min, float max) {
        return Math.max(min, Math.min(max, val));
    }

    public static int clamp(int val, int min, int max) {
        return Math.max(min, Math.min(max, val));
    }

    public static float cos(float angle) {
        return (float) Math.cos(angle);
    }

    public static float exp(float value) {
        return (float) Math.exp(value);
    }

    public static float floatPI() {
        return (float) Math.PI;
    }

    public static float floor(float f) {
        return (float) Math.floor(f);
    }

    public static float log(float value) {
        return (float) Math.log(value);
    }

    public static float log2(float value) {
        return (float) (Math.log(value) / Math.log(2.0));
    }

    public static float max(float a, float b) {
        return Math.max(a, b);
    }

    public static int max(int a, int b) {
        return Math.max(a, b);
    }

    public static float min(float a, float b) {
        return Math.min(a, b);
    }

    public static int min(int a, int b) {
        return Math.min(a, b);
    }

    public static float pow(float a, float b) {
        return (float) Math.pow(a, b);
    }

    public static float signum(float a) {
        return Math.signum(a);
    }

    public static float sin(float angle) {
        return (float) Math.sin(angle);
    }

    public static float sqrt(float value) {
        return (float) Math.sqrt(value);
    }

    public static float tan(float value) {
        return (float) Math.tan(value);
    }

    public static float tanh(float value) {
        return (float) Math.tanh(value);
    }
}
