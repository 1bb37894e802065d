package org.attentionlab.model.spec;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a model runs: the plain JVM ({@code jvm}) or TornadoVM's device {@code tornado:<backend>:<device>}. Parsed
 * once, from a config's {@code device} or the CLI's {@code --device}; {@code tornado} alone is tornado:0:0.
 */
public record Device(int backend, int index) {

    public static final Device JVM = new Device(-1, -1);

    private static final Pattern SPELLING = Pattern.compile("jvm|tornado(?::(\\d{1,4}):(\\d{1,4}))?");

    public Device {
        if (backend < -1 || index < -1 || (backend == -1) != (index == -1)) {
            throw new IllegalArgumentException("not a device: backend " + backend + ", index " + index);
        }
    }

    /** The device {@code text} names, or empty when it is not one of the spellings above. */
    public static Optional<Device> parse(String text) {
        Matcher m = SPELLING.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        if (text.equals("jvm")) {
            return Optional.of(JVM);
        }
        return Optional.of(m.group(1) == null ? new Device(0, 0) : new Device(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))));
    }

    public boolean isJvm() {
        return backend < 0;
    }

    /** The canonical spelling: {@code jvm} or {@code tornado:<backend>:<device>}. */
    @Override
    public String toString() {
        return isJvm() ? "jvm" : "tornado:" + backend + ":" + index;
    }
}
