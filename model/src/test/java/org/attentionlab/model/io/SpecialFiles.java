package org.attentionlab.model.io;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Device nodes and FIFOs made in a test's own temporary folder (never a system file): mknod needs root, and a
 * test that needs it is skipped, saying so, where it cannot run.
 */
public final class SpecialFiles {

    private SpecialFiles() {
    }

    /** A FIFO at {@code path}, made with mkfifo. */
    public static Path fifo(Path path) throws IOException, InterruptedException {
        assumeTrue(run("mkfifo", path.toString()), "mkfifo is not available");
        return path;
    }

    /** A character device node at {@code path} with the numbers of /dev/zero (1, 5) or /dev/null (1, 3). */
    public static Path characterDevice(Path path, int major, int minor) throws IOException, InterruptedException {
        assumeTrue(run("mknod", path.toString(), "c", Integer.toString(major), Integer.toString(minor)),
                "mknod needs root (and CAP_MKNOD); this check runs where it has them");
        return path;
    }

    private static boolean run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return false;
        }
        p.getInputStream().readAllBytes();
        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
