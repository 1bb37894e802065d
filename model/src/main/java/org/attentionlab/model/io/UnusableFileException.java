package org.attentionlab.model.io;

import java.io.IOException;

/**
 * A file a user named that cannot be read or written as asked; {@link #reason()} fits after "cannot read FILE: "
 * or "cannot write FILE: ", and never quotes the file's content.
 */
public final class UnusableFileException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String reason;

    UnusableFileException(String reason, Throwable cause) {
        super(reason, cause);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
