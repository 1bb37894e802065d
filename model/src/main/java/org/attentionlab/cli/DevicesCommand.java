package org.attentionlab.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoDeviceMap;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * Lists the devices a forward pass can run on. Under the plain JVM that is the JVM itself; under a TornadoVM SDK
 * (scripts/run sets it up when TORNADOVM_HOME is set) it is every backend and device TornadoVM found, plus jvm.
 * With {@code --device}, checks that one device can be reached and prints its line only (scripts/compare checks its
 * whole list this way before it runs anything).
 */
@Command(name = "devices", description = "List the devices a model can run on (--device values).", mixinStandardHelpOptions = true, version = Main.VERSION)
final class DevicesCommand implements Callable<Integer> {

    private static final String JVM_ON_TORNADOVM = "plain JVM (this project's reference path; run without TORNADOVM_HOME's runtime)";

    @Spec
    private CommandSpec spec;

    @Option(names = "--device", paramLabel = "DEVICE", description = "Only this device: its line if it can be reached here, else why not (exit 2).")
    private String device;

    @Mixin
    private VerboseOption verbose;

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @Override
    public Integer call() {
        boolean tornado = DeviceSpec.runningOnTornadoVM();
        if (device != null) {
            DeviceSpec one = DeviceSpec.parse(device);
            TornadoDevice reached = one.resolve();
            out().println(reached == null ? jvmLine(tornado) : tornadoLine(one.device().backend(), one.device().index(), reached));
            return 0;
        }
        out().println(jvmLine(tornado));
        if (!tornado) {
            if (System.getenv("TORNADOVM_HOME") == null) {
                out().println("(no TornadoVM SDK: set TORNADOVM_HOME to list its devices as tornado:<backend>:<device>)");
            }
            return 0;
        }
        TornadoDeviceMap map = TornadoExecutionPlan.getTornadoDeviceMap();
        for (int b = 0; b < map.getNumBackends(); b++) {
            TornadoBackend backend = map.getAllBackends().get(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                out().println(tornadoLine(b, d, backend.getDevice(d)));
            }
        }
        return 0;
    }

    private static String jvmLine(boolean tornado) {
        return "jvm            " + (tornado ? JVM_ON_TORNADOVM : TornadoExecutionPlan.getDevice(0, 0).getDescription());
    }

    private static String tornadoLine(int backend, int index, TornadoDevice device) {
        return String.format("tornado:%d:%d   %s [%s] (%s, %s) global %d MB, local %d KB", backend, index, device.getDeviceName(), device.getDescription(),
                TornadoExecutionPlan.getTornadoDeviceMap().getAllBackends().get(backend).getName(), device.getDeviceType(), device.getMaxGlobalMemory() >> 20,
                device.getDeviceLocalMemorySize() >> 10);
    }
}
