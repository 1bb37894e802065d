package org.attentionlab.model.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * What a path names, links followed: a user's path may name a device node, a FIFO or a socket, which must be
 * neither read as a file (endless, or blocking forever) nor replaced by one.
 */
public enum FileKind {
    MISSING("missing"),
    REGULAR_FILE("a regular file"),
    DIRECTORY("a directory"),
    CHARACTER_DEVICE("a character device"),
    BLOCK_DEVICE("a block device"),
    FIFO("a FIFO (named pipe)"),
    SOCKET("a socket"),
    OTHER_SPECIAL_FILE("a special file");

    private static final int TYPE_MASK = 0170000;
    private static final int CHARACTER = 0020000;
    private static final int BLOCK = 0060000;
    private static final int PIPE = 0010000;
    private static final int UNIX_SOCKET = 0140000;

    private final String description;

    FileKind(String description) {
        this.description = description;
    }

    /** "a directory", "a FIFO (named pipe)", ...: fits "it is ...". */
    public String description() {
        return description;
    }

    /** The kind of what {@code path} names, symbolic links followed; MISSING for a dangling link too. */
    public static FileKind of(Path path) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return MISSING;
        }
        if (attributes.isRegularFile()) {
            return REGULAR_FILE;
        }
        if (attributes.isDirectory()) {
            return DIRECTORY;
        }
        return special(path);
    }

    /** Device, FIFO or socket, from the POSIX file type bits where the platform has them. */
    private static FileKind special(Path path) throws IOException {
        Object mode;
        try {
            mode = Files.getAttribute(path, "unix:mode");
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return OTHER_SPECIAL_FILE;
        }
        return switch ((Integer) mode & TYPE_MASK) {
        case CHARACTER -> CHARACTER_DEVICE;
        case BLOCK -> BLOCK_DEVICE;
        case PIPE -> FIFO;
        case UNIX_SOCKET -> SOCKET;
        default -> OTHER_SPECIAL_FILE;
        };
    }
}
