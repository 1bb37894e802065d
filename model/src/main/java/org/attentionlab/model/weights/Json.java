package org.attentionlab.model.weights;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The project's JSON: a small strict parser (RFC 8259) for safetensors headers (no comments, no trailing commas, no
 * NaN, no duplicate keys, bounded nesting; objects become insertion-ordered maps, arrays lists, numbers
 * {@link Number}s holding their text, and null {@link #NULL}), and the writer of the CLI's {@code --json} output
 * and of safetensors headers.
 */
public final class Json {

    static final int MAX_DEPTH = 64;

    /** JSON null, distinct from "absent". */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** A JSON number kept as written, so integers of any size can be checked exactly. */
    record Number(String text) {
        /** The value if the number is an integer (no fraction or exponent), else null. */
        BigInteger integerValue() {
            return text.matches("-?(0|[1-9][0-9]*)") ? new BigInteger(text) : null;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    static final class ParseException extends Exception {
        private static final long serialVersionUID = 1L;

        ParseException(String message) {
            super(message);
        }
    }

    private final String text;
    private int position;
    private int depth;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON value; only whitespace may follow it. */
    static Object parse(String text) throws ParseException {
        Json parser = new Json(text);
        parser.skipWhitespace();
        Object value = parser.value();
        parser.skipWhitespace();
        if (parser.position != text.length()) {
            throw parser.error("unexpected " + parser.describeNext() + " after the JSON value");
        }
        return value;
    }

    /**
     * Parses one JSON value into plain Java values: insertion-ordered maps, lists, strings, booleans, null, and
     * numbers as {@link Long} (integers that fit) or {@link Double}.
     *
     * @throws IllegalArgumentException when the text is not one JSON value
     */
    public static Object read(String text) {
        try {
            return plain(parse(text));
        } catch (ParseException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static Object plain(Object value) {
        if (value == NULL) {
            return null;
        }
        if (value instanceof Number number) {
            BigInteger integer = number.integerValue();
            return integer != null && integer.bitLength() < 64 ? (Object) integer.longValue() : (Object) Double.parseDouble(number.text());
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put((String) k, plain(v)));
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(v -> out.add(plain(v)));
            return out;
        }
        return value;
    }

    private ParseException error(String problem) {
        return new ParseException(problem + " at character " + position);
    }

    private String describeNext() {
        if (position >= text.length()) {
            return "the end of the text";
        }
        char c = text.charAt(position);
        return c < 0x20 || c == 0x7f ? String.format("character U+%04X", (int) c) : "'" + c + "'";
    }

    private void skipWhitespace() {
        while (position < text.length()) {
            char c = text.charAt(position);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            position++;
        }
    }

    private Object value() throws ParseException {
        if (position >= text.length()) {
            throw error("expected a value but found the end of the text");
        }
        char c = text.charAt(position);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("expected a value but found " + describeNext());
            }
        };
    }

    private Object literal(String word, Object value) throws ParseException {
        if (!text.startsWith(word, position)) {
            throw error("expected a value but found " + describeNext());
        }
        position += word.length();
        return value;
    }

    private void enter() throws ParseException {
        if (++depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
    }

    private Map<String, Object> object() throws ParseException {
        enter();
        position++;
        Map<String, Object> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek('}')) {
            position++;
            depth--;
            return members;
        }
        while (true) {
            skipWhitespace();
            if (!peek('"')) {
                throw error("expected a string key but found " + describeNext());
            }
            int keyStart = position;
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object value = value();
            if (members.containsKey(key)) {
                position = keyStart;
                throw error("duplicate key \"" + key + "\"");
            }
            members.put(key, value);
            skipWhitespace();
            if (peek(',')) {
                position++;
                continue;
            }
            expect('}');
            depth--;
            return members;
        }
    }

    private List<Object> array() throws ParseException {
        enter();
        position++;
        List<Object> items = new ArrayList<>();
        skipWhitespace();
        if (peek(']')) {
            position++;
            depth--;
            return items;
        }
        while (true) {
            skipWhitespace();
            items.add(value());
            skipWhitespace();
            if (peek(',')) {
                position++;
                continue;
            }
            expect(']');
            depth--;
            return items;
        }
    }

    private boolean peek(char c) {
        return position < text.length() && text.charAt(position) == c;
    }

    private void expect(char c) throws ParseException {
        if (!peek(c)) {
            throw error("expected '" + c + "' but found " + describeNext());
        }
        position++;
    }

    private String string() throws ParseException {
        position++;
        StringBuilder out = new StringBuilder();
        while (true) {
            if (position >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(position);
            if (c == '"') {
                position++;
                return out.toString();
            }
            if (c < 0x20) {
                throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in a string");
            }
            if (c != '\\') {
                out.append(c);
                position++;
                continue;
            }
            position++;
            if (position >= text.length()) {
                throw error("unterminated string");
            }
            char escape = text.charAt(position);
            switch (escape) {
                case '"', '\\', '/' -> out.append(escape);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (position + 4 >= text.length()) {
                        throw error("unterminated \\u escape");
                    }
                    String hex = text.substring(position + 1, position + 5);
                    if (!hex.matches("[0-9a-fA-F]{4}")) {
                        throw error("bad \\u escape \\u" + hex);
                    }
                    out.append((char) Integer.parseInt(hex, 16));
                    position += 4;
                }
                default -> throw error("bad escape \\" + escape);
            }
            position++;
        }
    }

    private Number number() throws ParseException {
        int start = position;
        if (peek('-')) {
            position++;
        }
        if (peek('0')) {
            position++;
        } else if (position < text.length() && text.charAt(position) >= '1' && text.charAt(position) <= '9') {
            digits();
        } else {
            throw error("bad number");
        }
        if (peek('.')) {
            position++;
            if (digits() == 0) {
                throw error("bad number");
            }
        }
        if (peek('e') || peek('E')) {
            position++;
            if (peek('+') || peek('-')) {
                position++;
            }
            if (digits() == 0) {
                throw error("bad number");
            }
        }
        return new Number(text.substring(start, position));
    }

    private int digits() {
        int start = position;
        while (position < text.length() && text.charAt(position) >= '0' && text.charAt(position) <= '9') {
            position++;
        }
        return position - start;
    }

    /**
     * {@code value} as one line of JSON: maps (keys as strings, in iteration order), lists, strings, booleans, numbers
     * (non-finite doubles as null), null; anything else as its string.
     */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        append(out, value);
        return out.toString();
    }

    private static void append(StringBuilder out, Object value) {
        if (value == NULL) {
            out.append("null");
            return;
        }
        switch (value) {
        case null -> out.append("null");
        case String text -> out.append(quote(text));
        case Double d -> out.append(Double.isFinite(d) ? Double.toString(d) : "null");
        case Float f -> out.append(Float.isFinite(f) ? Double.toString(f) : "null");
        case Number n -> out.append(n.text());
        case java.lang.Number n -> out.append(n);
        case Boolean b -> out.append(b);
        case Map<?, ?> map -> {
            out.append('{');
            String separator = "";
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                out.append(separator).append(quote(String.valueOf(entry.getKey()))).append(": ");
                append(out, entry.getValue());
                separator = ", ";
            }
            out.append('}');
        }
        case List<?> list -> {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                out.append(i > 0 ? ", " : "");
                append(out, list.get(i));
            }
            out.append(']');
        }
        default -> out.append(quote(value.toString()));
        }
    }

    /**
     * {@code value} as JSON with one member or item per line, indented by two spaces per level: as Python's
     * {@code json.dumps(value, indent=2)} writes it, which is how Hugging Face writes config.json.
     */
    public static String writeIndented(Object value) {
        StringBuilder out = new StringBuilder();
        appendIndented(out, value, 0);
        return out.toString();
    }

    private static void appendIndented(StringBuilder out, Object value, int depth) {
        String indent = "  ".repeat(depth + 1);
        if (value instanceof Map<?, ?> map && !map.isEmpty()) {
            out.append("{\n");
            String separator = "";
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                out.append(separator).append(indent).append(quote(String.valueOf(entry.getKey()))).append(": ");
                appendIndented(out, entry.getValue(), depth + 1);
                separator = ",\n";
            }
            out.append('\n').append("  ".repeat(depth)).append('}');
        } else if (value instanceof List<?> list && !list.isEmpty()) {
            out.append("[\n");
            for (int i = 0; i < list.size(); i++) {
                out.append(i > 0 ? ",\n" : "").append(indent);
                appendIndented(out, list.get(i), depth + 1);
            }
            out.append('\n').append("  ".repeat(depth)).append(']');
        } else {
            append(out, value);
        }
    }

    /** {@code value} as a JSON string literal: quotes, backslashes and control characters escaped. */
    static String quote(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
