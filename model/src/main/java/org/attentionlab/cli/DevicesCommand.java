package org.attentionlab.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoDeviceMap;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * Lists the devices a forward pass can run on. Under the plain JVM that is the JVM itself; under a TornadoVM SDK
 * (scripts/run sets it up when TORNADOVM_HOME is set) it is every backend and device TornadoVM found, plus jvm.
 */
@Command(name = "devices", description = "List the devices a model can run on (--device values).", mixinStandardHelpOptions = true, version = Main.VERSION)
final class DevicesCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private VerboseOption verbose;

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @Override
    public Integer call() {
        if (!DeviceSpec.runningOnTornadoVM()) {
            out().println("jvm            " + TornadoExecutionPlan.getDevice(0, 0).getDescription());
            if (System.getenv("TORNADOVM_HOME") == null) {
                out().println("(no TornadoVM SDK: set TORNADOVM_HOME to list its devices as tornado:<backend>:<device>)");
            }
            return 0;
        }
        out().println("jvm            plain JVM (this project's reference path; run without TORNADOVM_HOME's runtime)");
        TornadoDeviceMap map = TornadoExecutionPlan.getTornadoDeviceMap();
        for (int b = 0; b < map.getNumBackends(); b++) {
            TornadoBackend backend = map.getAllBackends().get(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                TornadoDevice device = backend.getDevice(d);
                out().printf("tornado:%d:%d   %s [%s] (%s, %s) global %d MB, local %d KB%n", b, d, device.getDeviceName(), device.getDescription(), backend.getName(),
                        device.getDeviceType(), device.getMaxGlobalMemory() >> 20, device.getDeviceLocalMemorySize() >> 10);
            }
        }
        return 0;
    }
}
