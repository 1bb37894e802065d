package org.attentionlab.model.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.attentionlab.model.InputException;
import org.attentionlab.model.io.OutputFiles;

/**
 * The folder a run writes: {@code log.jsonl}, {@code checkpoint-<step>.safetensors} and {@code loss.png}. Checked
 * before any work: its parent must exist and be writable, and a folder that already holds a run is used only to resume
 * it ({@code --resume}) or, with {@code --force}, replaced (its run files deleted, nothing else). Every file is written
 * whole and then renamed into place, so a reader (or an interrupted run) never sees half of one.
 */
final class RunDirectory {

    static final String LOG = "log.jsonl";
    static final String PLOT = "loss.png";
    private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d{1,18})\\.safetensors");

    private final Path folder;

    private RunDirectory(Path folder) {
        this.folder = folder;
    }

    Path folder() {
        return folder;
    }

    /** The folder of a new run; refuses one that holds another run unless {@code force}. Creates nothing yet. */
    static RunDirectory forNewRun(Path folder, boolean force) {
        checkUsable(folder, "--out");
        if (Files.isDirectory(folder)) {
            List<String> found = runFiles(folder);
            if (!found.isEmpty() && !force) {
                throw new InputException("--out " + folder + ": holds another run (" + String.join(", ", found) + "): continue it with --resume "
                        + folder + ", or start over with --force (which deletes those files)");
            }
        }
        return new RunDirectory(folder);
    }

    /** The folder of a run to continue: it must hold a checkpoint. */
    static RunDirectory forResume(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new InputException("--resume " + folder + ": " + (Files.exists(folder) ? "not a folder" : "no such folder"));
        }
        checkUsable(folder, "--resume");
        RunDirectory run = new RunDirectory(folder);
        if (run.checkpoints().isEmpty()) {
            throw new InputException("--resume " + folder + ": holds no checkpoint-<step>.safetensors to resume from");
        }
        return run;
    }

    private static void checkUsable(Path folder, String option) {
        Path absolute = folder.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new InputException(option + " " + folder + ": its parent folder " + parent + " does not exist");
        }
        if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
            throw new InputException(option + " " + folder + ": exists and is not a folder");
        }
        Path writable = Files.isDirectory(absolute) ? absolute : parent;
        if (!Files.isWritable(writable)) {
            throw new InputException(option + " " + folder + ": permission denied: cannot write in " + writable);
        }
    }

    /** The run files in {@code folder}, for messages. */
    private static List<String> runFiles(Path folder) {
        List<String> found = new ArrayList<>();
        if (Files.exists(folder.resolve(LOG))) {
            found.add(LOG);
        }
        int checkpoints = new RunDirectory(folder).checkpoints().size();
        if (checkpoints > 0) {
            found.add(checkpoints + (checkpoints == 1 ? " checkpoint" : " checkpoints"));
        }
        if (Files.exists(folder.resolve(PLOT))) {
            found.add(PLOT);
        }
        return found;
    }

    /** Creates the folder (its parent exists) and deletes an old run's files (the caller was told to: --force). */
    void startFresh() throws IOException {
        Files.createDirectories(folder);
        for (Path checkpoint : checkpoints()) {
            Files.delete(checkpoint);
        }
        Files.deleteIfExists(folder.resolve(LOG));
        Files.deleteIfExists(folder.resolve(PLOT));
        Files.writeString(folder.resolve(LOG), "", StandardCharsets.UTF_8);
    }

    /** The checkpoints, by step ascending. */
    List<Path> checkpoints() {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(p -> CHECKPOINT.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p))
                    .sorted(Comparator.comparingLong(RunDirectory::stepOf)).toList();
        } catch (IOException e) {
            throw new InputException(folder + ": cannot list it (" + e.getMessage() + ")");
        }
    }

    static long stepOf(Path checkpoint) {
        Matcher m = CHECKPOINT.matcher(checkpoint.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    Path checkpoint(long step) {
        return folder.resolve("checkpoint-" + step + ".safetensors");
    }

    Path plot() {
        return folder.resolve(PLOT);
    }

    /** Appends lines to log.jsonl, each whole. */
    void append(List<LogLine> lines) throws IOException {
        StringBuilder text = new StringBuilder();
        for (LogLine line : lines) {
            text.append(line.toJson()).append('\n');
        }
        Files.writeString(folder.resolve(LOG), text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
    }

    /** The lines of log.jsonl (a torn last line of a killed run is left out). */
    List<LogLine> readLog() throws IOException {
        return new Reader(folder).log();
    }

    /** Reads a run's folder without checking it may be written (tests, tools). */
    record Reader(Path folder) {
        List<LogLine> log() throws IOException {
            return readLines(folder);
        }
    }

    private static List<LogLine> readLines(Path folder) throws IOException {
        Path log = folder.resolve(LOG);
        List<LogLine> lines = new ArrayList<>();
        if (!Files.exists(log)) {
            return lines;
        }
        for (String text : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            LogLine line = LogLine.parse(text.strip());
            if (line != null) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** Keeps the log lines of steps up to {@code step}: a resumed run writes the later ones again. */
    List<LogLine> truncateLog(long step) throws IOException {
        List<LogLine> kept = readLog().stream().filter(line -> line.step() <= step).toList();
        StringBuilder text = new StringBuilder();
        for (LogLine line : kept) {
            text.append(line.toJson()).append('\n');
        }
        writeAtomically(folder.resolve(LOG), text.toString().getBytes(StandardCharsets.UTF_8));
        return kept;
    }

    /** Writes {@code bytes} whole to {@code target} ({@link OutputFiles}: a temporary renamed over it). */
    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        OutputFiles.write(target, out -> out.write(bytes));
    }
}
