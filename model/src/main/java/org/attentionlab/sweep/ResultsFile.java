package org.attentionlab.sweep;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.weights.Json;

/**
 * A sweep's results: one JSON object per line, one line per finished cell, in {@code results.jsonl} (or
 * {@code results.<i>of<n>.jsonl} for shard i of n). A line is appended with one {@code write} on a file opened with
 * O_APPEND and then forced to disk, so a crash leaves either the whole line or a torn last line without its newline;
 * {@link #open} cuts such a tail off before anything is appended, and {@link #readAll} ignores it.
 */
public final class ResultsFile implements AutoCloseable {

    public static final String PREFIX = "results";
    public static final String SUFFIX = ".jsonl";

    private final Path path;
    private final FileChannel channel;

    private ResultsFile(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** The file shard {@code shard} of {@code shards} writes in {@code dir} ({@code results.jsonl} when unsharded). */
    public static Path fileFor(Path dir, int shard, int shards) {
        return dir.resolve(shards == 1 ? PREFIX + SUFFIX : PREFIX + "." + shard + "of" + shards + SUFFIX);
    }

    /**
     * Opens {@code path} for appending, creating it if needed. A last line without its newline (a write cut short)
     * is removed first.
     *
     * @throws IOException when the path is not a regular file or cannot be written
     */
    public static ResultsFile open(Path path) throws IOException {
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(path + " is not a regular file");
        }
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        try {
            long complete = completeLength(channel);
            if (complete < channel.size()) {
                channel.truncate(complete);
                channel.force(true);
            }
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        channel.close();
        return new ResultsFile(path, FileChannel.open(path, StandardOpenOption.APPEND, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
    }

    /** Bytes up to and including the last newline. */
    private static long completeLength(FileChannel channel) throws IOException {
        long size = channel.size();
        ByteBuffer one = ByteBuffer.allocate(8192);
        long end = size;
        while (end > 0) {
            long start = Math.max(0, end - one.capacity());
            one.clear().limit((int) (end - start));
            channel.read(one, start);
            for (int i = (int) (end - start) - 1; i >= 0; i--) {
                if (one.get(i) == '\n') {
                    return start + i + 1;
                }
            }
            end = start;
        }
        return 0;
    }

    public Path path() {
        return path;
    }

    /** Appends {@code row} as one line, in one write, and forces it to disk before returning. */
    public void append(Map<String, Object> row) throws IOException {
        String line = Json.write(row);
        if (line.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("a results row must be one line");
        }
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
        channel.force(true);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** The rows of one file: complete lines that parse as JSON objects; a torn or foreign line is skipped. */
    public static List<Map<String, Object>> read(Path path) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        if (!Files.isRegularFile(path)) {
            return rows;
        }
        String text = Files.readString(path, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return rows;
        }
        for (String line : text.substring(0, end).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                if (Json.read(line) instanceof Map<?, ?> map && map.get("cell") instanceof String) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> row = (Map<String, Object>) map;
                    rows.add(row);
                }
            } catch (IllegalArgumentException torn) {
                // a line another tool mangled: not a result
            }
        }
        return rows;
    }

    /** Every row of every results file in {@code dir} (all shards), one per cell id: the first one written wins. */
    public static List<Map<String, Object>> readAll(Path dir) throws IOException {
        Map<String, Map<String, Object>> byCell = new LinkedHashMap<>();
        for (Path file : files(dir)) {
            for (Map<String, Object> row : read(file)) {
                byCell.putIfAbsent((String) row.get("cell"), row);
            }
        }
        return new ArrayList<>(byCell.values());
    }

    /** The results files in {@code dir}, sorted by name. */
    public static List<Path> files(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path file : stream) {
                if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    files.add(file);
                }
            }
        }
        files.sort(null);
        return files;
    }
}
