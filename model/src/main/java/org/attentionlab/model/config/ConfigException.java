package org.attentionlab.model.config;

import org.attentionlab.model.InputException;

/**
 * A config that cannot be used. {@link #getMessage()} is one line,
 * {@code <file>:<line>:<column>: <key path>: <problem>}, or {@code <file>: <problem>} when the problem has no
 * position (the file cannot be read). Lines and columns count from 1.
 */
public final class ConfigException extends InputException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final int column;
    private final String keyPath;
    private final String problem;

    /** A problem at a position; {@code line} and {@code column} count from 1. */
    public ConfigException(String file, int line, int column, String keyPath, String problem) {
        super(format(file, line, column, keyPath, problem));
        this.file = file;
        this.line = line;
        this.column = column;
        this.keyPath = keyPath;
        this.problem = oneLine(problem);
    }

    /** A problem with the file as a whole (missing, unreadable, too large). */
    public ConfigException(String file, String problem, Throwable cause) {
        super(oneLine(file) + ": " + oneLine(problem), cause);
        this.file = file;
        this.line = 0;
        this.column = 0;
        this.keyPath = "";
        this.problem = oneLine(problem);
    }

    /** The file as it was named to the loader (or as an {@code extends} resolved it). */
    public String file() {
        return file;
    }

    /** 1-based line, or 0 when the problem has no position. */
    public int line() {
        return line;
    }

    /** 1-based column, or 0 when the problem has no position. */
    public int column() {
        return column;
    }

    /** Dotted key path such as {@code layers.0-3.sliding_window} or {@code layer_types[2]}; empty if none. */
    public String keyPath() {
        return keyPath;
    }

    /** What is wrong, without the position prefix. */
    public String problem() {
        return problem;
    }

    private static String format(String file, int line, int column, String keyPath, String problem) {
        return oneLine(file) + ":" + line + ":" + column + ": " + oneLine(keyPath) + ": " + oneLine(problem);
    }

    /** Messages are promised to be one line, whatever text a user or a library put into them. */
    static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        return text.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ').strip();
    }
}
