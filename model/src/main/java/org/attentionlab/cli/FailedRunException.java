package org.attentionlab.cli;

/** A run that went wrong although its input was accepted (an output that is not finite): one line, exit code 1. */
final class FailedRunException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    FailedRunException(String message) {
        super(message, null, false, false);
    }
}
