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
 * Reads the F32 tensors of a safetensors file on the test classpath (written by scripts/goldens/*.py): an 8-byte
 * little-endian header length, a JSON header {@code {name: {dtype, shape, data_offsets}}}, then the raw data.
 */
public final class Goldens {

    /** One tensor: its name, shape and values in row-major order. */
    public record Tensor(String name, int[] shape, float[] values) {

        public int dim(int axis) {
            return shape[axis < 0 ? shape.length + axis : axis];
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape);
        }
    }

    private record Entry(String dtype, int[] shape, long begin, long end) {
    }

    private final String source;
    private final Map<String, Entry> entries;
    private final ByteBuffer data;

    private Goldens(String source, Map<String, Entry> entries, ByteBuffer data) {
        this.source = source;
        this.entries = entries;
        this.data = data;
    }

    /** Loads a classpath resource, e.g. {@code "/goldens/ops.safetensors"}. */
    public static Goldens load(String resource) {
        try (InputStream in = Goldens.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource + " (run the script in scripts/goldens)");
            }
            return parse(resource, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Goldens parse(String source, byte[] file) {
        ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong(0);
        if (headerLength < 2 || 8 + headerLength > file.length) {
            throw new IllegalArgumentException(source + ": bad safetensors header length " + headerLength);
        }
        String header = new String(file, 8, (int) headerLength, StandardCharsets.UTF_8);
        Object parsed = new Json(header).value();
        if (!(parsed instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException(source + ": header is not a JSON object");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : top.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                continue;
            }
            Map<?, ?> info = (Map<?, ?>) e.getValue();
            List<?> shapeList = (List<?>) info.get("shape");
            List<?> offsets = (List<?>) info.get("data_offsets");
            int[] shape = shapeList.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
            entries.put(name, new Entry((String) info.get("dtype"), shape, ((Number) offsets.get(0)).longValue(), ((Number) offsets.get(1)).longValue()));
        }
        ByteBuffer data = ByteBuffer.wrap(file, 8 + (int) headerLength, file.length - 8 - (int) headerLength).slice().order(ByteOrder.LITTLE_ENDIAN);
        return new Goldens(source, entries, data);
    }

    public Set<String> names() {
        return entries.keySet();
    }

    public Tensor tensor(String name) {
        Entry entry = entries.get(name);
        if (entry == null) {
            throw new IllegalArgumentException(source + " has no tensor " + name + "; it has " + entries.keySet());
        }
        if (!entry.dtype().equals("F32")) {
            throw new IllegalArgumentException(source + ": " + name + " is " + entry.dtype() + ", not F32");
        }
        long elements = 1;
        for (int d : entry.shape()) {
            elements *= d;
        }
        if (entry.end() - entry.begin() != elements * 4 || entry.end() > data.capacity()) {
            throw new IllegalArgumentException(source + ": " + name + " has data offsets inconsistent with its shape");
        }
        float[] values = new float[(int) elements];
        for (int i = 0; i < values.length; i++) {
            values[i] = data.getFloat((int) entry.begin() + 4 * i);
        }
        return new Tensor(name, entry.shape().clone(), values);
    }

    /** A one-element tensor's value (the scripts store scalars such as eps that way). */
    public float scalar(String name) {
        float[] values = tensor(name).values();
        if (values.length != 1) {
            throw new IllegalArgumentException(source + ": " + name + " is not a scalar");
        }
        return values[0];
    }

    /** Just enough JSON for a safetensors header: objects, arrays, strings, numbers, true/false/null. */
    private static final class Json {
        private final String text;
        private int at;

        Json(String text) {
            this.text = text;
        }

        Object value() {
            skipSpace();
            char c = text.charAt(at);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                default:
                    if (text.startsWith("true", at)) {
                        at += 4;
                        return Boolean.TRUE;
                    }
                    if (text.startsWith("false", at)) {
                        at += 5;
                        return Boolean.FALSE;
                    }
                    if (text.startsWith("null", at)) {
                        at += 4;
                        return null;
                    }
                    return number();
            }
        }

        private Map<String, Object> object() {
            Map<String, Object> map = new LinkedHashMap<>();
            expect('{');
            skipSpace();
            if (peek() == '}') {
                at++;
                return map;
            }
            while (true) {
                skipSpace();
                String key = string();
                skipSpace();
                expect(':');
                map.put(key, value());
                skipSpace();
                if (peek() == ',') {
                    at++;
                } else {
                    expect('}');
                    return map;
                }
            }
        }

        private List<Object> array() {
            List<Object> list = new ArrayList<>();
            expect('[');
            skipSpace();
            if (peek() == ']') {
                at++;
                return list;
            }
            while (true) {
                list.add(value());
                skipSpace();
                if (peek() == ',') {
                    at++;
                } else {
                    expect(']');
                    return list;
                }
            }
        }

        private String string() {
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

        private Number number() {
            int start = at;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            String literal = text.substring(start, at);
            if (literal.isEmpty()) {
                throw new IllegalArgumentException("JSON: unexpected character at " + start);
            }
            return literal.contains(".") || literal.contains("e") || literal.contains("E") ? (Number) Double.parseDouble(literal) : (Number) Long.parseLong(literal);
        }

        private char peek() {
            return text.charAt(at);
        }

        private void expect(char c) {
            if (text.charAt(at) != c) {
                throw new IllegalArgumentException("JSON: expected '" + c + "' at " + at + ", found '" + text.charAt(at) + "'");
            }
            at++;
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }
    }
}
