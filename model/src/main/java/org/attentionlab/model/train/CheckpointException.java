package org.attentionlab.model.train;

import org.attentionlab.model.InputException;

/** A checkpoint that cannot be used (missing tensors, another model, a corrupt counter): one line, naming the file. */
public final class CheckpointException extends InputException {

    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }
}
