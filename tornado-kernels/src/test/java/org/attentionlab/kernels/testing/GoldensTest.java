package org.attentionlab.kernels.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The safetensors reader on a file assembled by hand. */
class GoldensTest {

    private static byte[] file(String header, float[] floats, int[] ints) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer buffer = ByteBuffer.allocate(8 + padded + 4 * (floats.length + ints.length)).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(padded);
        buffer.put(json);
        for (int i = json.length; i < padded; i++) {
            buffer.put((byte) ' ');
        }
        for (float f : floats) {
            buffer.putFloat(f);
        }
        for (int i : ints) {
            buffer.putInt(i);
        }
        return buffer.array();
    }

    @Test
    void readsF32TensorsByName() {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[4,20]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"ids\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[20,24]}}";
        Goldens goldens = Goldens.parse("test", file(header, new float[] { 2.5f, 1f, -2f, 3f, 1e-3f }, new int[] { 7 }));
        assertEquals(2.5f, goldens.scalar("a"));
        Goldens.Tensor b = goldens.tensor("b");
        assertArrayEquals(new int[] { 2, 2 }, b.shape());
        assertArrayEquals(new float[] { 1f, -2f, 3f, 1e-3f }, b.values());
        assertEquals(2, b.dim(-1));
        assertThrows(IllegalArgumentException.class, () -> goldens.tensor("ids"), "I32 is not read as floats");
        assertThrows(IllegalArgumentException.class, () -> goldens.tensor("missing"));
        assertThrows(IllegalArgumentException.class, () -> goldens.scalar("b"));
    }

    @Test
    void rejectsInconsistentOffsets() {
        String header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        Goldens goldens = Goldens.parse("test", file(header, new float[] { 1, 2 }, new int[0]));
        assertThrows(IllegalArgumentException.class, () -> goldens.tensor("x"));
    }

    @Test
    void theOpsFileLoads() {
        Goldens goldens = Goldens.load("/goldens/ops.safetensors");
        assertEquals(46, goldens.names().size());
    }
}
