package org.attentionlab.model;

/**
 * A problem with what the user gave (a config, a weights or input file, an option): the CLI prints its message
 * as one line and exits with code 2. Messages name the file, and where it applies the line, column and key.
 */
public class InputException extends RuntimeException {

    public InputException(String message) {
        super(message, null, false, false);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
