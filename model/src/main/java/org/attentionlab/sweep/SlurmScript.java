package org.attentionlab.sweep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.attentionlab.model.io.OutputFiles;

/**
 * A Slurm job array for a sweep: task i of n runs {@code scripts/run sweep SWEEP --out DIR --shard i/n}, so each
 * task appends to its own {@code results.<i>of<n>.jsonl} and {@code scripts/run report DIR} merges them. Paths are
 * absolute: the job runs wherever Slurm puts it, with the same file system.
 */
public final class SlurmScript {

    public static final String FILE = "sweep.sbatch";

    private SlurmScript() {
    }

    /** The script's text. */
    public static String text(SweepPlan plan, Path out, int shards, Path projectRoot) {
        Path dir = out.toAbsolutePath().normalize();
        Path sweep = plan.sweep().file().toAbsolutePath().normalize();
        int tasks = Math.min(shards, Math.max(1, plan.cells().size()));
        return String.join("\n", List.of(
                "#!/usr/bin/env bash",
                "# Slurm job array for sweep '" + plan.sweep().name() + "' (" + plan.cells().size() + " cells, " + tasks + " shards).",
                "# Submit: sbatch " + dir.resolve(FILE) + "    Then: scripts/run report " + dir,
                "#SBATCH --job-name=" + plan.sweep().name(),
                "#SBATCH --array=0-" + (tasks - 1),
                "#SBATCH --ntasks=1",
                "#SBATCH --output=" + dir.resolve("slurm-%A_%a.out"),
                "set -euo pipefail",
                "cd " + quote(projectRoot.toAbsolutePath().normalize().toString()),
                "exec scripts/run sweep " + quote(sweep.toString()) + " --out " + quote(dir.toString()) + " --shard \"${SLURM_ARRAY_TASK_ID}/" + tasks + "\"",
                ""));
    }

    /**
     * Writes {@code out/sweep.sbatch} (through {@link OutputFiles}, then executable); returns its path.
     *
     * @throws IllegalArgumentException when the output directory's path has white space, which #SBATCH lines cannot hold
     */
    public static Path write(SweepPlan plan, Path out, int shards, Path projectRoot) throws IOException {
        if (out.toAbsolutePath().normalize().toString().matches(".*\\s.*")) {
            throw new IllegalArgumentException(out + ": a Slurm output directory cannot contain white space (#SBATCH --output cannot quote it)");
        }
        Files.createDirectories(out);
        Path script = out.resolve(FILE);
        byte[] text = text(plan, out, shards, projectRoot).getBytes(StandardCharsets.UTF_8);
        OutputFiles.write(script, stream -> stream.write(text));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    /** A word for bash: single-quoted unless it is plainly safe. */
    static String quote(String word) {
        return word.matches("[A-Za-z0-9_./:=@+-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }
}
