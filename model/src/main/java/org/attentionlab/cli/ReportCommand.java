package org.attentionlab.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.attentionlab.report.Report;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code scripts/run report DIR}: plots and a self-contained report.html from a sweep's results (all shards merged). */
@Command(name = "report", mixinStandardHelpOptions = true, description = "Write DIR/report.html and DIR/plots/*.png from DIR's sweep results.")
final class ReportCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private VerboseOption verbose;

    @Parameters(index = "0", paramLabel = "DIR", description = "A sweep's output directory (scripts/run sweep ... --out DIR).")
    private Path dir;

    @Override
    public Integer call() {
        if (!Files.isDirectory(dir)) {
            throw new UsageException(dir + ": not a directory (give the --out directory of a sweep)");
        }
        try {
            Path html = Report.write(dir);
            spec.commandLine().getOut().println("wrote " + html + " and " + dir.resolve("plots") + "/*.png");
        } catch (IOException e) {
            throw new UsageException(e.getMessage());
        }
        return Main.EXIT_OK;
    }
}
