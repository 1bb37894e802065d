package org.attentionlab.model.io;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens files a user names for reading: only regular files (a device such as /dev/zero never ends, a FIFO without
 * a writer blocks forever), and reads them with a hard byte limit that does not trust the size the file reports.
 */
public final class InputFiles {

    private InputFiles() {
    }

    /** Opens {@code path} for reading if it is a regular file (links followed); otherwise says what it is. */
    public static FileChannel openRegularFile(Path path) throws UnusableFileException {
        FileKind kind;
        try {
            kind = FileKind.of(path);
        } catch (AccessDeniedException e) {
            throw new UnusableFileException("permission denied", e);
        } catch (IOException e) {
            throw new UnusableFileException(String.valueOf(e.getMessage()), e);
        }
        if (kind == FileKind.MISSING) {
            throw new UnusableFileException("no such file", null);
        }
        if (kind != FileKind.REGULAR_FILE) {
            throw new UnusableFileException("it is " + kind.description() + ", not a regular file", null);
        }
        try {
            return FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new UnusableFileException("no such file", e);
        } catch (AccessDeniedException e) {
            throw new UnusableFileException("permission denied", e);
        } catch (IOException e) {
            throw new UnusableFileException(String.valueOf(e.getMessage()), e);
        }
    }

    /**
     * The first bytes of the regular file {@code path}, at most {@code limit + 1} of them: a result longer than
     * {@code limit} means the file is over the limit, whatever size it reported.
     */
    public static byte[] readAtMost(Path path, int limit) throws UnusableFileException {
        try (FileChannel channel = openRegularFile(path)) {
            return readAtMost(channel, limit);
        } catch (UnusableFileException e) {
            throw e;
        } catch (IOException e) {
            throw new UnusableFileException(String.valueOf(e.getMessage()), e);
        }
    }

    /** At most {@code limit + 1} bytes from the channel's position on (see {@link #readAtMost(Path, int)}). */
    public static byte[] readAtMost(FileChannel channel, int limit) throws UnusableFileException {
        try {
            return Channels.newInputStream(channel).readNBytes(limit + 1);
        } catch (IOException e) {
            throw new UnusableFileException(String.valueOf(e.getMessage()), e);
        }
    }
}
