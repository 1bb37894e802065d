package org.attentionlab.kernels.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the F32 tensors of a safetensors file (the goldens written by scripts/goldens/*.py): an 8-byte
 * little-endian header length, a JSON header mapping names to {dtype, shape, data_offsets}, then the raw
 * little-endian data. Only what those files use is supported: F32 tensors and an optional "__metadata__" entry.
 */
public final class Goldens {

    /** A tensor: its values in row-major order and its shape. */
    public record Tensor(float[] data, int[] shape) {

        public int dim(int axis) {
            return shape[axis];
        }

        @Override
        public String toString() {
            return "Tensor" + Arrays.toString(shape);
        }
    }

    private final String source;
    private final Map<String, Tensor> tensors;

    private Goldens(String source, Map<String, Tensor> tensors) {
        this.source = source;
        this.tensors = tensors;
    }

    /** Loads a golden file from the test classpath, e.g. {@code "/goldens/attention.safetensors"}. */
    public static Goldens load(String resource) {
        try (InputStream in = Goldens.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource + " (regenerate it with scripts/goldens/)");
            }
            return parse(resource, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Goldens parse(String source, byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong();
        if (headerLength < 2 || headerLength > bytes.length - 8) {
            throw new IllegalArgumentException(source + ": bad safetensors header length " + headerLength);
        }
        String headerJson = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        int dataStart = 8 + (int) headerLength;
        Object header = new JsonReader(headerJson).readDocument();
        if (!(header instanceof Map<?, ?> entries)) {
            throw new IllegalArgumentException(source + ": the header is not a JSON object");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : entries.entrySet()) {
            String name = (String) entry.getKey();
            if (name.equals("__metadata__")) {
                continue;
            }
            Map<?, ?> info = (Map<?, ?>) entry.getValue();
            if (!"F32".equals(info.get("dtype"))) {
                throw new IllegalArgumentException(source + ": tensor " + name + " has dtype " + info.get("dtype") + ", only F32 is supported");
            }
            int[] shape = ((List<?>) info.get("shape")).stream().mapToInt(n -> ((Number) n).intValue()).toArray();
            List<?> offsets = (List<?>) info.get("data_offsets");
            long begin = ((Number) offsets.get(0)).longValue();
            long end = ((Number) offsets.get(1)).longValue();
            long elements = Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b);
            if (end - begin != elements * 4 || dataStart + end > bytes.length || begin < 0) {
                throw new IllegalArgumentException(source + ": tensor " + name + " has offsets [" + begin + ", " + end + ") for shape " + Arrays.toString(shape));
            }
            float[] data = new float[(int) elements];
            ByteBuffer slice = ByteBuffer.wrap(bytes, dataStart + (int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
            slice.asFloatBuffer().get(data);
            tensors.put(name, new Tensor(data, shape));
        }
        return new Goldens(source, tensors);
    }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(source + " has no tensor " + name + "; it has " + tensors.keySet());
        }
        return t;
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    /** Just enough JSON for a safetensors header: objects, arrays, strings, numbers, true/false/null. */
    private static final class JsonReader {
        private final String text;
        private int at;

        JsonReader(String text) {
            this.text = text;
        }

        Object readDocument() {
            Object value = readValue();
            skipSpace();
            if (at != text.length()) {
                throw error("trailing characters");
            }
            return value;
        }

        private Object readValue() {
            skipSpace();
            if (at >= text.length()) {
                throw error("unexpected end");
            }
            char c = text.charAt(at);
            if (c == '{') {
                return readObject();
            }
            if (c == '[') {
                return readArray();
            }
            if (c == '"') {
                return readString();
            }
            for (String word : new String[] { "true", "false", "null" }) {
                if (text.startsWith(word, at)) {
                    at += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word);
                }
            }
            return readNumber();
        }

        private Map<String, Object> readObject() {
            Map<String, Object> object = new LinkedHashMap<>();
            at++;
            skipSpace();
            if (peek() == '}') {
                at++;
                return object;
            }
            while (true) {
                skipSpace();
                String key = readString();
                skipSpace();
                expect(':');
                object.put(key, readValue());
                skipSpace();
                if (peek() == ',') {
                    at++;
                } else {
                    expect('}');
                    return object;
                }
            }
        }

        private List<Object> readArray() {
            List<Object> array = new ArrayList<>();
            at++;
            skipSpace();
            if (peek() == ']') {
                at++;
                return array;
            }
            while (true) {
                array.add(readValue());
                skipSpace();
                if (peek() == ',') {
                    at++;
                } else {
                    expect(']');
                    return array;
                }
            }
        }

        private String readString() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = text.charAt(at++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c == '\\') {
                    char escaped = text.charAt(at++);
                    switch (escaped) {
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case 'r' -> sb.append('\r');
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'u' -> {
                            sb.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                            at += 4;
                        }
                        default -> sb.append(escaped);
                    }
                } else {
                    sb.append(c);
                }
            }
        }

        private Number readNumber() {
            int start = at;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            String token = text.substring(start, at);
            if (token.isEmpty()) {
                throw error("unexpected character");
            }
            if (token.contains(".") || token.contains("e") || token.contains("E")) {
                return Double.parseDouble(token);
            }
            return Long.parseLong(token);
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private char peek() {
            return at < text.length() ? text.charAt(at) : '\0';
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            at++;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("safetensors header JSON: " + what + " at " + at);
        }
    }
}
