package org.attentionlab.cli;

import org.attentionlab.model.InputException;

/** A mistake in what the user asked for: reported as one line, exit code 2, no stack trace. */
public final class UsageException extends InputException {

    public UsageException(String message) {
        super(message);
    }
}
