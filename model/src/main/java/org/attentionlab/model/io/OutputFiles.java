package org.attentionlab.model.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes files a user names without ever destroying what the path pointed at or leaving half a file behind.
 *
 * <ul>
 * <li>A symbolic link is written through: the file it points at is replaced, the link stays.</li>
 * <li>Only a regular file is replaced. A device node, FIFO, socket or directory at the path, or a folder that does
 * not exist, is refused by {@link #target} before any work is done (callers check every output up front).</li>
 * <li>The content goes to a temporary file in the target's folder, is forced to disk, gets the replaced file's
 * permissions (a new file gets the umask's, as any created file), and is renamed over the target: readers see
 * the old file or the new one, never a part.</li>
 * <li>Temporary files are named {@code .NAME.attentionlab-PID-RANDOM.tmp}. A shutdown hook deletes the ones this
 * process is writing when it is interrupted (SIGINT, SIGTERM); the next write to a folder deletes those left by
 * processes that no longer run (SIGKILL, power loss), never one of a live process.</li>
 * </ul>
 */
public final class OutputFiles {

    /** Writes a file's content to a stream (buffered by the caller of this interface). */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    static final String TEMPORARY_MARK = ".attentionlab-";
    private static final Pattern TEMPORARY = Pattern.compile("\\..*\\.attentionlab-(\\d+)-[0-9a-f]{16}\\.tmp");
    private static final int MAX_SHOWN_NAME = 100;
    private static final int MAX_LINK_HOPS = 40;

    private static final Set<Path> IN_PROGRESS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(OutputFiles::deleteInProgress, "delete-unfinished-outputs"));
    }

    private OutputFiles() {
    }

    /**
     * The file a write to {@code path} replaces or creates: symbolic links followed to their final target. Refuses
     * a path whose folder does not exist or cannot be written, or that names anything but a regular file.
     */
    public static Path target(Path path) throws UnusableFileException {
        try {
            Path current = path.toAbsolutePath();
            for (int hops = 0;; hops++) {
                Path folder = realFolder(current);
                current = folder.resolve(current.getFileName());
                if (!Files.isSymbolicLink(current)) {
                    break;
                }
                if (hops == MAX_LINK_HOPS) {
                    throw new UnusableFileException("too many levels of symbolic links", null);
                }
                current = folder.resolve(Files.readSymbolicLink(current));
            }
            FileKind kind = FileKind.of(current);
            if (kind != FileKind.MISSING && kind != FileKind.REGULAR_FILE) {
                throw new UnusableFileException(shown(current, path) + "it is " + kind.description()
                        + "; only a regular file is written or replaced", null);
            }
            if (!Files.isWritable(current.getParent())) {
                throw new UnusableFileException("permission denied: cannot create files in " + current.getParent(),
                        null);
            }
            if (kind == FileKind.REGULAR_FILE && !Files.isWritable(current)) {
                throw new UnusableFileException(shown(current, path) + "permission denied (the file is read-only)",
                        null);
            }
            return current;
        } catch (UnusableFileException e) {
            throw e;
        } catch (AccessDeniedException e) {
            throw new UnusableFileException("permission denied: " + e.getFile(), e);
        } catch (IOException e) {
            throw new UnusableFileException(String.valueOf(e.getMessage()), e);
        }
    }

    /** The real path of the folder {@code file} would be in; refuses a missing folder or a file in its place. */
    private static Path realFolder(Path file) throws IOException {
        Path folder = file.getParent();
        if (folder == null || file.getFileName() == null) {
            throw new UnusableFileException("it is a directory; only a regular file is written or replaced", null);
        }
        Path real;
        try {
            real = folder.toRealPath();
        } catch (NoSuchFileException e) {
            throw new UnusableFileException("the folder " + folder + " does not exist", e);
        }
        if (!Files.isDirectory(real)) {
            throw new UnusableFileException(folder + " is not a folder", null);
        }
        return real;
    }

    /** "the link's target T: " when a link led elsewhere, so the user sees which file was meant. */
    private static String shown(Path target, Path asGiven) {
        return target.equals(asGiven.toAbsolutePath()) ? "" : "its target " + target + ": ";
    }

    /** Writes {@code content} to {@code path} atomically (see the class comment); checks {@link #target} again first. */
    public static void write(Path path, Content content) throws IOException {
        Path target = target(path);
        Path folder = target.getParent();
        deleteStaleTemporaries(folder);
        Path temporary = folder.resolve(temporaryName(target.getFileName().toString()));
        IN_PROGRESS.add(temporary);
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temporary, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), 1 << 16)) {
                content.writeTo(out);
            }
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.setPosixFilePermissions(temporary, Files.getPosixFilePermissions(target));
            }
            // What is at the path may have changed while we wrote: never rename over anything but a regular file.
            FileKind now = FileKind.of(target);
            if (Files.isSymbolicLink(target) || (now != FileKind.MISSING && now != FileKind.REGULAR_FILE)) {
                throw new UnusableFileException("it changed while being written and is now "
                        + (Files.isSymbolicLink(target) ? "a symbolic link" : now.description()), null);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } finally {
                IN_PROGRESS.remove(temporary);
            }
        }
    }

    /** {@code .NAME.attentionlab-PID-RANDOM.tmp}, the name shortened so the whole stays a valid file name. */
    static String temporaryName(String name) {
        String shown = name.length() > MAX_SHOWN_NAME ? name.substring(0, MAX_SHOWN_NAME) : name;
        long random = ThreadLocalRandom.current().nextLong();
        return "." + shown + TEMPORARY_MARK + ProcessHandle.current().pid() + "-" + HexFormat.of().toHexDigits(random) + ".tmp";
    }

    /**
     * Deletes temporary files of this naming in {@code folder} whose process no longer runs. A live process's
     * file is never touched; a reused PID only delays the cleanup. Failing to delete another process's leftover is
     * not this write's problem, so it is not reported.
     */
    static void deleteStaleTemporaries(Path folder) {
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, ".*" + TEMPORARY_MARK + "*.tmp")) {
            for (Path entry : entries) {
                Matcher m = TEMPORARY.matcher(entry.getFileName().toString());
                if (!m.matches() || !Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                boolean live = pid == self ? IN_PROGRESS.contains(entry) : ProcessHandle.of(pid).isPresent();
                if (!live) {
                    try {
                        Files.deleteIfExists(entry);
                    } catch (IOException e) {
                        // someone else's leftover we may not delete: leave it
                    }
                }
            }
        } catch (IOException e) {
            // an unlistable folder: the write itself will report what is wrong with it
        }
    }

    private static void deleteInProgress() {
        for (Path temporary : IN_PROGRESS) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException e) {
                // the JVM is exiting; nothing better can be done
            }
        }
    }
}
