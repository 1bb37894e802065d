package org.attentionlab.cli;

import org.attentionlab.model.spec.Device;

import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoDeviceMap;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;

/** A device to run on ({@link Device}: {@code jvm} or {@code tornado:<backend>:<device>}) and how to reach it here. */
record DeviceSpec(Device device) {

    /** A {@code --device} value. */
    static DeviceSpec parse(String text) {
        return new DeviceSpec(Device.parse(text).orElseThrow(() -> text.startsWith("tornado")
                ? new UsageException("malformed device '" + text + "': use tornado or tornado:<backend>:<device> with numbers (scripts/run devices lists them)")
                : new UsageException("unknown device '" + text + "': use jvm or tornado:<backend>:<device> (scripts/run devices lists them)")));
    }

    /** The canonical spelling, {@code jvm} or {@code tornado:<backend>:<device>}. */
    String text() {
        return device.toString();
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
        int backend = device.backend();
        int index = device.index();
        if (device.isJvm()) {
            if (tornado) {
                throw new UsageException("device jvm runs without TornadoVM's runtime: use scripts/run --device jvm (it leaves the SDK off)");
            }
            return null;
        }
        if (!tornado) {
            throw new UsageException("device " + device + " needs a TornadoVM SDK: set TORNADOVM_HOME and use scripts/run");
        }
        TornadoDeviceMap map = TornadoExecutionPlan.getTornadoDeviceMap();
        if (backend >= map.getNumBackends()) {
            throw new UsageException("unknown device " + device + ": there are " + map.getNumBackends() + " backend(s) (scripts/run devices lists them)");
        }
        TornadoBackend b = map.getAllBackends().get(backend);
        if (index >= b.getNumDevices()) {
            throw new UsageException("unknown device " + device + ": backend " + backend + " has " + b.getNumDevices() + " device(s) (scripts/run devices lists them)");
        }
        return TornadoExecutionPlan.getDevice(backend, index);
    }

    String describe() {
        if (device.isJvm()) {
            return "jvm";
        }
        TornadoDevice d = TornadoExecutionPlan.getDevice(device.backend(), device.index());
        return device + " (" + d.getDeviceName() + ")";
    }
}
