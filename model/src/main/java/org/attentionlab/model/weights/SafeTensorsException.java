package org.attentionlab.model.weights;

import java.io.IOException;

/**
 * A safetensors file that cannot be read or written. The message is one line naming the file and, when one is
 * at fault, the tensor: {@code <file>: tensor '<name>': <problem>} or {@code <file>: <problem>}.
 */
public final class SafeTensorsException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final String tensor;
    private final String problem;

    public SafeTensorsException(String file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    public SafeTensorsException(String file, String tensor, String problem, Throwable cause) {
        super(oneLine(file) + ": " + (tensor == null ? "" : "tensor " + quote(tensor) + ": ") + oneLine(problem),
                cause);
        this.file = file;
        this.tensor = tensor;
        this.problem = oneLine(problem);
    }

    /** The file as it was named to the reader or writer. */
    public String file() {
        return file;
    }

    /** The tensor at fault, or null when the problem is with the file as a whole. */
    public String tensor() {
        return tensor;
    }

    /** What is wrong, without the file and tensor prefix. */
    public String problem() {
        return problem;
    }

    /** A tensor name in single quotes with control characters escaped and long names shortened. */
    static String quote(String name) {
        String shown = name.length() > 80 ? name.substring(0, 77) + "..." : name;
        StringBuilder quoted = new StringBuilder("'");
        for (char c : shown.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('\'').toString();
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.replace('\n', ' ').replace('\r', ' ');
    }
}
