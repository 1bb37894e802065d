package org.attentionlab.model.weights;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.attentionlab.model.io.UnusableFileException;
import org.attentionlab.model.io.InputFiles;
import org.attentionlab.model.io.OutputFiles;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, "__metadata__": {...}}}, offsets
 * relative to the data section), then the data section, little-endian, row-major.
 *
 * <p>Reading is strict: the header length must fit the file and stay under {@link #MAX_HEADER_BYTES}; the JSON must
 * be well formed with exactly the keys above; every tensor's byte range must match its dtype and shape, and the
 * ranges must tile the data section exactly (no gap, no overlap, nothing after the last). F32, F16 and BF16 are read
 * as float[] (F16 and BF16 widened exactly); I32 and I64 as int[] (an I64 value outside the int range is an error).
 *
 * <p>Writing emits F32 for float tensors and I32 for int tensors, in the map's iteration order (header order = data
 * order; the reference safetensors writer sorts, but readers, PyTorch's included, accept any order), with the header
 * padded with spaces to a multiple of 8 bytes as the reference writer does. Files are read and written through
 * {@link InputFiles} and {@link OutputFiles}: only regular files are read, and a write replaces the file atomically
 * (through a symbolic link, keeping the file's permissions), refuses device nodes, FIFOs and directories, and
 * leaves nothing half-written, even when interrupted.
 */
public final class SafeTensors {

    /** Headers larger than this are refused (the reference implementation uses the same bound). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The reserved header key for string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    /** Largest data section one tensor may have, so it fits one Java array and one read. */
    static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;

    private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");

    private SafeTensors() {
    }

    /** Where one tensor's bytes lie and what they hold. */
    public record TensorInfo(String name, DType dtype, int[] shape, long begin, long end) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        /** Number of elements. */
        public long size() {
            long count = 1;
            for (int dim : shape) {
                count *= dim;
            }
            return count;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof TensorInfo that && name.equals(that.name) && dtype == that.dtype
                    && Arrays.equals(shape, that.shape) && begin == that.begin && end == that.end;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + ": " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    /**
     * A checked header: tensors in header order and the string metadata.
     *
     * @param dataStart file offset of the data section (8 + header length)
     */
    public record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata, long dataStart) {
        public Header {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    // ------------------------------------------------------------------------------------------------ reading

    /** All tensors of {@code file}, in header order. */
    public static Map<String, Tensor> read(Path file) throws SafeTensorsException {
        String name = file.toString();
        try (FileChannel channel = open(file)) {
            Header header = readHeader(name, channel);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (TensorInfo info : header.tensors().values()) {
                tensors.put(info.name(), readTensor(name, channel, header.dataStart(), info));
            }
            return Collections.unmodifiableMap(tensors);
        } catch (SafeTensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new SafeTensorsException(name, null, "cannot read: " + e.getMessage(), e);
        }
    }

    /** The checked header of {@code file}, without reading tensor data. */
    public static Header readHeader(Path file) throws SafeTensorsException {
        String name = file.toString();
        try (FileChannel channel = open(file)) {
            return readHeader(name, channel);
        } catch (SafeTensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new SafeTensorsException(name, null, "cannot read: " + e.getMessage(), e);
        }
    }

    /** The string metadata ({@code __metadata__}) of {@code file}; empty if it has none. */
    public static Map<String, String> readMetadata(Path file) throws SafeTensorsException {
        return readHeader(file).metadata();
    }

    private static FileChannel open(Path file) throws SafeTensorsException {
        try {
            return InputFiles.openRegularFile(file);
        } catch (UnusableFileException e) {
            throw new SafeTensorsException(file.toString(), null, "cannot read: " + e.reason(), e);
        }
    }

    private static Header readHeader(String name, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new SafeTensorsException(name, null, "file is " + fileSize
                    + " bytes, too short for the 8-byte header length");
        }
        ByteBuffer lengthBytes = readFully(name, channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = lengthBytes.getLong();
        if (Long.compareUnsigned(headerLength, MAX_HEADER_BYTES) > 0) {
            throw new SafeTensorsException(name, null, "header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (8 + headerLength > fileSize) {
            throw new SafeTensorsException(name, null, "header length " + headerLength
                    + " runs past the end of the file (" + fileSize + " bytes)");
        }
        ByteBuffer headerBytes = readFully(name, channel, 8, (int) headerLength);
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBytes).toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsException(name, null, "header is not valid UTF-8");
        }
        if (!json.startsWith("{")) {
            throw new SafeTensorsException(name, null, "header does not start with '{'");
        }
        Object parsed;
        try {
            parsed = Json.parse(json);
        } catch (Json.ParseException e) {
            throw new SafeTensorsException(name, null, "bad JSON header: " + e.getMessage());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> entries = (Map<String, Object>) parsed;
        long dataStart = 8 + headerLength;
        long dataLength = fileSize - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : entries.entrySet()) {
            if (entry.getKey().equals(METADATA_KEY)) {
                metadata = metadata(name, entry.getValue());
            } else {
                TensorInfo info = tensorInfo(name, entry.getKey(), entry.getValue(), dataLength);
                tensors.put(info.name(), info);
            }
        }
        checkTiling(name, tensors.values(), dataLength);
        return new Header(tensors, metadata, dataStart);
    }

    private static Map<String, String> metadata(String file, Object value) throws SafeTensorsException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafeTensorsException(file, null, METADATA_KEY + " must be an object of strings, got "
                    + describe(value));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!(entry.getValue() instanceof String text)) {
                throw new SafeTensorsException(file, null, METADATA_KEY + " value for \"" + entry.getKey()
                        + "\" must be a string, got " + describe(entry.getValue()));
            }
            metadata.put((String) entry.getKey(), text);
        }
        return metadata;
    }

    private static TensorInfo tensorInfo(String file, String tensor, Object value, long dataLength)
            throws SafeTensorsException {
        if (!(value instanceof Map<?, ?> fields)) {
            throw new SafeTensorsException(file, tensor, "expected an object with dtype, shape and data_offsets, got "
                    + describe(value));
        }
        for (Object key : fields.keySet()) {
            if (!ENTRY_KEYS.contains(key)) {
                throw new SafeTensorsException(file, tensor, "unexpected key \"" + key
                        + "\" (allowed: dtype, shape, data_offsets)");
            }
        }
        for (String key : List.of("dtype", "shape", "data_offsets")) {
            if (!fields.containsKey(key)) {
                throw new SafeTensorsException(file, tensor, "missing \"" + key + "\"");
            }
        }
        if (!(fields.get("dtype") instanceof String dtypeName)) {
            throw new SafeTensorsException(file, tensor, "dtype must be a string, got "
                    + describe(fields.get("dtype")));
        }
        DType dtype = DType.fromHeaderName(dtypeName);
        if (dtype == null) {
            throw new SafeTensorsException(file, tensor, "unsupported dtype \"" + dtypeName
                    + "\" (supported: F32, F16, BF16, I32, I64)");
        }
        List<BigInteger> dims = integers(file, tensor, "shape", fields.get("shape"));
        int[] shape = new int[dims.size()];
        BigInteger elements = BigInteger.ONE;
        for (int i = 0; i < shape.length; i++) {
            if (dims.get(i).compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) > 0) {
                throw new SafeTensorsException(file, tensor, "shape dimension " + dims.get(i) + " is too large");
            }
            shape[i] = dims.get(i).intValue();
            elements = elements.multiply(dims.get(i));
        }
        List<BigInteger> offsets = integers(file, tensor, "data_offsets", fields.get("data_offsets"));
        if (offsets.size() != 2) {
            throw new SafeTensorsException(file, tensor, "data_offsets must be [begin, end], got " + offsets.size()
                    + " numbers");
        }
        BigInteger begin = offsets.get(0);
        BigInteger end = offsets.get(1);
        String range = "data_offsets [" + begin + ", " + end + "]";
        if (begin.compareTo(end) > 0) {
            throw new SafeTensorsException(file, tensor, range + " end before they begin");
        }
        BigInteger needed = elements.multiply(BigInteger.valueOf(dtype.byteSize()));
        if (!end.subtract(begin).equals(needed)) {
            throw new SafeTensorsException(file, tensor, range + " hold " + end.subtract(begin) + " bytes, but "
                    + dtype + " " + Arrays.toString(shape) + " needs " + needed);
        }
        if (needed.compareTo(BigInteger.valueOf(MAX_TENSOR_BYTES)) > 0) {
            throw new SafeTensorsException(file, tensor, "is " + needed + " bytes; at most " + MAX_TENSOR_BYTES
                    + " bytes per tensor are supported");
        }
        if (end.compareTo(BigInteger.valueOf(dataLength)) > 0) {
            throw new SafeTensorsException(file, tensor, range + " run past the end of the data section ("
                    + dataLength + " bytes; is the file truncated?)");
        }
        return new TensorInfo(tensor, dtype, shape, begin.longValueExact(), end.longValueExact());
    }

    private static List<BigInteger> integers(String file, String tensor, String key, Object value)
            throws SafeTensorsException {
        if (!(value instanceof List<?> items)) {
            throw new SafeTensorsException(file, tensor, key + " must be a list of integers, got " + describe(value));
        }
        List<BigInteger> numbers = new ArrayList<>();
        for (Object item : items) {
            BigInteger number = item instanceof Json.Number n ? n.integerValue() : null;
            if (number == null || number.signum() < 0) {
                throw new SafeTensorsException(file, tensor, key + " must hold non-negative integers, got "
                        + describe(item));
            }
            numbers.add(number);
        }
        return numbers;
    }

    /** The byte ranges, sorted, must follow each other from 0 to the end of the data with nothing in between. */
    private static void checkTiling(String file, java.util.Collection<TensorInfo> tensors, long dataLength)
            throws SafeTensorsException {
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        TensorInfo previous = null;
        for (TensorInfo info : sorted) {
            String range = "data_offsets [" + info.begin() + ", " + info.end() + "]";
            if (info.begin() < expected) {
                throw new SafeTensorsException(file, info.name(), range + " overlap tensor "
                        + SafeTensorsException.quote(previous.name()) + " [" + previous.begin() + ", "
                        + previous.end() + "]");
            }
            if (info.begin() > expected) {
                throw new SafeTensorsException(file, info.name(), range + " leave bytes " + expected + " to "
                        + info.begin() + " of the data section unused");
            }
            expected = info.end();
            previous = info;
        }
        if (expected != dataLength) {
            throw new SafeTensorsException(file, null, "the data section has " + dataLength
                    + " bytes, but the tensors cover only " + expected);
        }
    }

    private static Tensor readTensor(String file, FileChannel channel, long dataStart, TensorInfo info)
            throws IOException {
        int count = (int) info.size();
        ByteBuffer bytes = readFully(file, channel, dataStart + info.begin(), (int) (info.end() - info.begin()))
                .order(ByteOrder.LITTLE_ENDIAN);
        int[] shape = info.shape();
        switch (info.dtype()) {
            case F32 -> {
                float[] data = new float[count];
                bytes.asFloatBuffer().get(data);
                return Tensor.floats(DType.F32, shape, data);
            }
            case F16, BF16 -> {
                float[] data = new float[count];
                boolean half = info.dtype() == DType.F16;
                for (int i = 0; i < count; i++) {
                    short bits = bytes.getShort(2 * i);
                    data[i] = half ? FloatFormats.halfToFloat(bits) : FloatFormats.bfloat16ToFloat(bits);
                }
                return Tensor.floats(info.dtype(), shape, data);
            }
            case I32 -> {
                int[] data = new int[count];
                bytes.asIntBuffer().get(data);
                return Tensor.ints(DType.I32, shape, data);
            }
            case I64 -> {
                int[] data = new int[count];
                for (int i = 0; i < count; i++) {
                    long value = bytes.getLong(8 * i);
                    if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                        throw new SafeTensorsException(file, info.name(), "I64 element " + i + " is " + value
                                + ", which does not fit in a 32-bit int");
                    }
                    data[i] = (int) value;
                }
                return Tensor.ints(DType.I64, shape, data);
            }
            default -> throw new IllegalStateException("unhandled dtype " + info.dtype());
        }
    }

    private static ByteBuffer readFully(String file, FileChannel channel, long position, int length)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                throw new SafeTensorsException(file, null, "file ended while reading " + length + " bytes at offset "
                        + position);
            }
        }
        return buffer.flip();
    }

    private static String describe(Object value) {
        if (value instanceof Map) {
            return "an object";
        }
        if (value instanceof List) {
            return "a list";
        }
        if (value instanceof String text) {
            return Json.quote(text.length() > 40 ? text.substring(0, 37) + "..." : text);
        }
        return String.valueOf(value);
    }

    // ------------------------------------------------------------------------------------------------ writing

    /** Writes {@code tensors} to {@code file} (F32 for float tensors, I32 for int tensors), with no metadata. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /** Writes {@code tensors} and string {@code metadata} to {@code file}, atomically replacing any old file. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        String name = file.toString();
        StringBuilder header = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            header.append(Json.quote(METADATA_KEY)).append(":{");
            boolean first = true;
            for (Map.Entry<String, String> entry : metadata.entrySet()) {
                if (entry.getKey() == null || entry.getValue() == null) {
                    throw new SafeTensorsException(name, null, "metadata keys and values must not be null");
                }
                header.append(first ? "" : ",").append(Json.quote(entry.getKey())).append(':')
                        .append(Json.quote(entry.getValue()));
                first = false;
            }
            header.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
            String tensorName = entry.getKey();
            Tensor tensor = entry.getValue();
            if (tensorName == null || tensorName.isEmpty() || tensorName.equals(METADATA_KEY)) {
                throw new SafeTensorsException(name, tensorName == null ? "null" : tensorName,
                        "is not a usable tensor name");
            }
            long bytes = (long) tensor.size() * 4;
            header.append(header.length() > 1 ? "," : "").append(Json.quote(tensorName))
                    .append(":{\"dtype\":\"").append(tensor.isFloatingPoint() ? "F32" : "I32")
                    .append("\",\"shape\":").append(Arrays.toString(tensor.shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        int padding = (8 - headerBytes.length % 8) % 8;
        ByteBuffer prefix = ByteBuffer.allocate(8 + headerBytes.length + padding).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(headerBytes.length + padding).put(headerBytes);
        for (int i = 0; i < padding; i++) {
            prefix.put((byte) ' ');
        }

        try {
            OutputFiles.write(file, out -> {
                out.write(prefix.array());
                ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (Tensor tensor : tensors.values()) {
                    if (tensor.isFloatingPoint()) {
                        for (float value : tensor.floatsView()) {
                            chunk.putFloat(value);
                            flushIfFull(out, chunk);
                        }
                    } else {
                        for (int value : tensor.intsView()) {
                            chunk.putInt(value);
                            flushIfFull(out, chunk);
                        }
                    }
                }
                out.write(chunk.array(), 0, chunk.position());
            });
        } catch (UnusableFileException e) {
            throw new SafeTensorsException(name, null, "cannot write: " + e.reason(), e);
        } catch (IOException e) {
            throw new SafeTensorsException(name, null, "cannot write: " + e.getClass().getSimpleName() + " "
                    + e.getMessage(), e);
        }
    }

    private static void flushIfFull(OutputStream out, ByteBuffer chunk) throws IOException {
        if (!chunk.hasRemaining()) {
            out.write(chunk.array(), 0, chunk.position());
            chunk.clear();
        }
    }
}
