package org.attentionlab.cli;

import picocli.CommandLine.Option;

/**
 * {@code --verbose}, accepted by every subcommand because every internal error suggests it; {@link Main} reads it
 * from the arguments before picocli runs, so the field itself is not consulted.
 */
final class VerboseOption {

    @Option(names = "--verbose", description = "Stack traces for internal errors.")
    boolean verbose;
}
