package org.attentionlab.cli;

import java.io.IOException;
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

    /**
     * Refuses a path that could not be written, two options writing one file, and an output that would replace a
     * file the run reads ({@code reads}: the config, --weights, --input), unless it is the same kind of file
     * written back ({@code --save-weights} over {@code --weights}, {@code --save-input} over {@code --input}).
     */
    static void check(List<Named> outputs, List<Named> reads) {
        Map<Path, String> seen = new HashMap<>();
        Map<Path, String> read = new HashMap<>();
        for (Named r : reads) {
            if (r.path() != null) {
                try {
                    read.putIfAbsent(r.path().toRealPath(), r.option());
                } catch (IOException | RuntimeException e) { // a file that cannot be resolved is reported where it is read
                }
            }
        }
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
            String reader = read.get(target);
            if (reader != null && !output.option().equals(WRITES_BACK.get(reader))) {
                throw new UsageException(output.option() + " " + output.path() + ": cannot write: it is " + reader + " of this run, which it would replace;"
                        + " give " + output.option() + " its own file");
            }
        }
    }

    /** The output that may replace a file read as this: the same kind of file, written back. */
    private static final Map<String, String> WRITES_BACK = Map.of("--weights", "--save-weights", "--input", "--save-input");
}
