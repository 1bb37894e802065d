package org.attentionlab.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoDeviceMap;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;

/** A {@code --device} value: {@code jvm}, or {@code tornado:<backend>:<device>} on a TornadoVM SDK. */
record DeviceSpec(String text, int backend, int device) {

    private static final Pattern TORNADO = Pattern.compile("tornado(?::(\\d{1,9}):(\\d{1,9}))?");

    static DeviceSpec parse(String text) {
        if (text.equals("jvm")) {
            return new DeviceSpec(text, -1, -1);
        }
        Matcher m = TORNADO.matcher(text);
        if (!m.matches() && text.startsWith("tornado")) {
            throw new UsageException("malformed device '" + text + "': use tornado or tornado:<backend>:<device> with numbers (scripts/run devices lists them)");
        }
        if (!m.matches()) {
            throw new UsageException("unknown device '" + text + "': use jvm or tornado:<backend>:<device> (scripts/run devices lists them)");
        }
        return m.group(1) == null ? new DeviceSpec("tornado:0:0", 0, 0) : new DeviceSpec(text, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    boolean isJvm() {
        return backend < 0;
    }

    /** Whether TornadoVM's own runtime, not this project's JVM implementation, serves the API in this process. */
    static boolean runningOnTornadoVM() {
        TornadoDeviceMap map = TornadoExecutionPlan.getTornadoDeviceMap();
        for (TornadoBackend b : map.getAllBackends()) {
            if (b.getBackendType() != TornadoVMBackendType.JAVA) {
                return true;
            }
        }
        return false;
    }

    /** The TornadoVM device to pin the plan to, or null for the plain JVM. */
    TornadoDevice resolve() {
        boolean tornado = runningOnTornadoVM();
        if (isJvm()) {
            if (tornado) {
                throw new UsageException("device jvm runs without TornadoVM's runtime: use scripts/run --device jvm (it leaves the SDK off)");
            }
            return null;
        }
        if (!tornado) {
            throw new UsageException("device " + text + " needs a TornadoVM SDK: set TORNADOVM_HOME and use scripts/run");
        }
        TornadoDeviceMap map = TornadoExecutionPlan.getTornadoDeviceMap();
        if (backend >= map.getNumBackends()) {
            throw new UsageException("unknown device " + text + ": there are " + map.getNumBackends() + " backend(s) (scripts/run devices lists them)");
        }
        TornadoBackend b = map.getAllBackends().get(backend);
        if (device >= b.getNumDevices()) {
            throw new UsageException("unknown device " + text + ": backend " + backend + " has " + b.getNumDevices() + " device(s) (scripts/run devices lists them)");
        }
        return TornadoExecutionPlan.getDevice(backend, device);
    }

    String describe() {
        if (isJvm()) {
            return "jvm";
        }
        TornadoDevice d = TornadoExecutionPlan.getDevice(backend, device);
        return text + " (" + d.getDeviceName() + ")";
    }
}
