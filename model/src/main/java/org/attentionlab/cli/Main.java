package org.attentionlab.cli;

import java.io.PrintWriter;
import java.util.Arrays;

import org.attentionlab.model.InputException;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;

/**
 * {@code scripts/run}: forward passes of YAML-described models (or Hugging Face checkpoint directories), device listing,
 * model description, export as a Hugging Face checkpoint.
 * Exit codes: 0 success, 2 a mistake in the input (one line, no stack trace), 1 an internal failure.
 */
@Command(name = "scripts/run", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Run attention stacks described in YAML on the JVM or a TornadoVM device.%n"
                + "  scripts/run configs/rnope-swa.yaml        a forward pass (same as: scripts/run forward CONFIG)%n"
                + "  scripts/run path/to/hf-checkpoint/        the same for a Hugging Face checkpoint directory (config.json, model.safetensors)%n"
                + "  scripts/run generate CHECKPOINT|CONFIG --prompt TEXT   generation with key/value caches",
        subcommands = { ForwardCommand.class, DescribeCommand.class, DevicesCommand.class, ExportHfCommand.class, TrainCommand.class, EvalCommand.class,
                BatchesCommand.class, SweepCommand.class, ReportCommand.class, CompareCommand.class, GenerateCommand.class })
public final class Main {

    public static final String VERSION = "Attention Lab 0.1.0";

    public static final int EXIT_OK = 0;
    public static final int EXIT_INTERNAL = 1;
    public static final int EXIT_INPUT = 2;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((ParameterException e, String[] a) -> {
            err.println("error: " + e.getMessage() + " (see scripts/run --help)");
            return EXIT_INPUT;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof InputException) {
                err.println("error: " + e.getMessage());
                return EXIT_INPUT;
            }
            if (e instanceof FailedRunException) {
                err.println("error: " + e.getMessage());
                return EXIT_INTERNAL;
            }
            err.println("internal error: " + e + (verbose ? "" : " (rerun with --verbose for the stack trace)"));
            if (verbose) {
                e.printStackTrace(err);
            }
            return EXIT_INTERNAL;
        });
        if (args.length == 0) {
            cli.usage(err);
            return EXIT_INPUT;
        }
        try {
            return cli.execute(withDefaultCommand(args, cli));
        } catch (OutOfMemoryError e) {
            // the last resort: the commands check sizes and memory before they allocate, and catch this themselves
            err.println("error: out of memory: " + FitCheck.WHAT_TO_TRY + ", or more heap (ATTENTION_LAB_JAVA_OPTS=-Xmx...)");
            return EXIT_INPUT;
        }
    }

    /** A first argument that is neither an option nor a subcommand is a config file: run {@code forward}. */
    private static String[] withDefaultCommand(String[] args, CommandLine cli) {
        String first = args[0];
        if (first.startsWith("-") || cli.getSubcommands().containsKey(first)) {
            return args;
        }
        String[] withForward = new String[args.length + 1];
        withForward[0] = "forward";
        System.arraycopy(args, 0, withForward, 1, args.length);
        return withForward;
    }
}
