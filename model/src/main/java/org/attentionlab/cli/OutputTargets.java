package org.attentionlab.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.io.OutputFiles;
import org.attentionlab.model.io.UnusableFileException;

/**
 * Every file a run will write, checked before the model is built: a path that cannot be written is found in a
 * second, not after minutes of timed runs.
 */
final class OutputTargets {

    /** An output option and its path (null when the option was not given). */
    record Named(String option, Path path) {
    }

    private OutputTargets() {
    }

    /** Refuses a path that could not be written, and two options writing one file. */
    static void check(List<Named> outputs) {
        Map<Path, String> seen = new HashMap<>();
        for (Named output : outputs) {
            if (output.path() == null) {
                continue;
            }
            Path target;
            try {
                target = OutputFiles.target(output.path());
            } catch (UnusableFileException e) {
                throw new UsageException(output.option() + " " + output.path() + ": cannot write: " + e.reason());
            }
            String earlier = seen.putIfAbsent(target, output.option());
            if (earlier != null) {
                throw new UsageException(earlier + " and " + output.option() + " both write " + target + "; give each its own file");
            }
        }
    }
}
