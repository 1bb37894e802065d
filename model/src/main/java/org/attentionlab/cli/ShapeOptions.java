package org.attentionlab.cli;

import picocli.CommandLine.Option;

/** {@code --batch} and {@code --seq-len}: the run-time shape, shared by forward and describe. */
final class ShapeOptions {

    @Option(names = "--batch", paramLabel = "N", description = "Sequences per batch (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    int batch;

    @Option(names = "--seq-len", paramLabel = "N", description = "Positions per sequence (default: ${DEFAULT-VALUE}).", defaultValue = "128")
    int seqLen;

    void check() {
        if (batch < 1 || seqLen < 1) {
            throw new UsageException("--batch and --seq-len must be >= 1");
        }
    }
}
