package org.attentionlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.attentionlab.model.spec.Device;
import org.attentionlab.sweep.SlurmScript;
import org.attentionlab.sweep.SweepPlan;
import org.attentionlab.sweep.SweepRunner;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * {@code scripts/run sweep SWEEP.yaml --out DIR}: every cell of a sweep file, results appended to
 * {@code DIR/results.jsonl}; a rerun continues where a previous run stopped.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, description = "Run a sweep file's cells; results go to DIR/results.jsonl (see README.md, 'Sweeps and reports').")
final class SweepCommand implements Callable<Integer> {

    private static final Pattern SHARD = Pattern.compile("(\\d{1,6})/(\\d{1,6})");

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SWEEP", description = "A sweep file (YAML), e.g. configs/sweeps/pe-ablation-recall.yaml.")
    private Path file;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output directory (created; a rerun continues in it).")
    private Path out;

    @Option(names = "--shard", paramLabel = "I/N", description = "Run only cells with index %% N == I (0 <= I < N); results go to DIR/results.IofN.jsonl.")
    private String shard;

    @Option(names = "--device", paramLabel = "DEVICE", description = "Run only the cells on this device (jvm or tornado:B:D).")
    private String device;

    @Option(names = "--retry-failed", description = "Run again the cells whose recorded result is a failure.")
    private boolean retryFailed;

    @Option(names = "--dry-run", description = "Resolve every cell and list them; run nothing.")
    private boolean dryRun;

    @Option(names = "--slurm", description = "Write DIR/sweep.sbatch, a Slurm job array with one shard per task, and run nothing.")
    private boolean slurm;

    @Option(names = "--shards", paramLabel = "N", defaultValue = "2", description = "Array tasks of --slurm (default: ${DEFAULT-VALUE}).")
    private int slurmShards;

    @Mixin
    private VerboseOption verbose;

    @Override
    public Integer call() throws IOException, InterruptedException {
        int[] shardOf = shard == null ? new int[] { 0, 1 } : parseShard(shard);
        Optional<Device> only = Optional.ofNullable(device).map(d -> DeviceSpec.parse(d).device());
        SweepPlan plan = SweepPlan.read(file);
        PrintWriter printer = spec.commandLine().getOut();
        Path root = projectRoot();
        if (slurm) {
            if (slurmShards < 1 || slurmShards > 100_000) {
                throw new UsageException("--shards must be in 1..100000, got " + slurmShards);
            }
            Path script;
            try {
                script = SlurmScript.write(plan, out, slurmShards, root);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            } catch (IOException e) {
                throw new UsageException("cannot write the Slurm script in " + out + ": " + e.getMessage());
            }
            printer.println("wrote " + script + ": submit it with  sbatch " + script);
            printer.println("then, when every task has finished:  scripts/run report " + out);
            return Main.EXIT_OK;
        }
        SweepRunner runner = new SweepRunner(plan, new SweepRunner.Options(out, shardOf[0], shardOf[1], only, retryFailed, root), new LocalDevices(),
                printer);
        if (dryRun) {
            for (SweepPlan.Cell cell : runner.cells()) {
                printer.printf(Locale.ROOT, "%5d %s %-14s %s%n", cell.index(), cell.id(), cell.device(), String.join(" ", cell.setArguments()));
            }
            printer.printf(Locale.ROOT, "%d cells (of %d in the sweep)%n", runner.cells().size(), plan.cells().size());
            return Main.EXIT_OK;
        }
        for (SweepPlan.Cell cell : runner.cells()) {
            if (!cell.device().isJvm() && System.getenv("TORNADOVM_HOME") == null && !DeviceSpec.runningOnTornadoVM()) {
                throw new UsageException(file + ": device " + cell.device() + " needs a TornadoVM SDK: set TORNADOVM_HOME (README.md, 'Running on a TornadoVM device')");
            }
        }
        int failed;
        try {
            failed = runner.run();
        } catch (IOException e) {
            throw new UsageException("cannot write the results in " + out + ": " + e.getMessage());
        }
        printer.println(failed == 0 ? "sweep done: results in " + out : failed + " cell(s) failed (their errors are in the results); rerun with --retry-failed to try them again");
        return failed == 0 ? Main.EXIT_OK : Main.EXIT_INTERNAL;
    }

    static int[] parseShard(String text) {
        Matcher m = SHARD.matcher(text);
        if (!m.matches() || Integer.parseInt(m.group(1)) >= Integer.parseInt(m.group(2))) {
            throw new UsageException("--shard expects I/N with 0 <= I < N, e.g. --shard 0/4, got '" + text + "'");
        }
        return new int[] { Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)) };
    }

    /** The project directory: model.jar (or the classes) live in model/target. */
    static Path projectRoot() {
        try {
            Path code = Path.of(SweepCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return code.getParent().getParent().getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Devices as this process reaches them: the JVM without TornadoVM's runtime, TornadoVM's devices with it. */
    static final class LocalDevices implements SweepRunner.Devices {
        private final boolean tornado = DeviceSpec.runningOnTornadoVM();

        @Override
        public boolean runsHere(Device device) {
            return device.isJvm() != tornado;
        }

        @Override
        public TornadoDevice resolve(Device device) {
            return new DeviceSpec(device).resolve();
        }

        @Override
        public String describe(Device device) {
            return new DeviceSpec(device).describe();
        }

        @Override
        public String tornadoVersion() {
            if (!tornado) {
                return null;
            }
            try {
                String jar = Path.of(TornadoExecutionPlan.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getFileName().toString();
                return jar.replaceFirst("^tornado-api-", "").replaceFirst("\\.jar$", "");
            } catch (URISyntaxException | RuntimeException e) {
                return "unknown";
            }
        }
    }
}
