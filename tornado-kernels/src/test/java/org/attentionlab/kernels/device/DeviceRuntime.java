package org.attentionlab.kernels.device;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;

import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;

/**
 * Whether these tests run on a real TornadoVM runtime: one with a backend other than {@link TornadoVMBackendType#JAVA}
 * (this project's JVM implementation, tornado-api-jvm, reports JAVA). Without one the device tests skip with
 * {@link #SKIP_REASON}; under {@code -Ptornadovm} (system property {@value #REQUIRED_PROPERTY} = true) they fail
 * instead, so a broken SDK setup cannot pass as "all skipped".
 */
public final class DeviceRuntime {

    static final String SKIP_REASON = "no TornadoVM runtime: set TORNADOVM_HOME and run mvn -Ptornadovm verify";
    static final String REQUIRED_PROPERTY = "attentionlab.tornadovm.required";

    /** The device TornadoVM runs tasks on by default, or null; and why there is none. */
    private static final TornadoDevice DEVICE;
    private static final String NO_DEVICE_BECAUSE;

    static {
        TornadoDevice found = null;
        String because = null;
        try {
            List<String> others = new ArrayList<>();
            for (TornadoBackend backend : TornadoExecutionPlan.getTornadoDeviceMap().getAllBackends()) {
                if (backend.getBackendType() != TornadoVMBackendType.JAVA && backend.getNumDevices() > 0) {
                    found = backend.getDefaultDevice();
                    break;
                }
                others.add(backend.getName() + " (" + backend.getBackendType() + ")");
            }
            because = "the only backends are " + others + ", i.e. this project's JVM implementation of the API";
        } catch (RuntimeException | LinkageError e) {
            because = "TornadoVM's runtime did not start: " + e;
        }
        DEVICE = found;
        NO_DEVICE_BECAUSE = found == null ? because : null;
        // Once per test JVM, on the build's console (failsafe does not redirect test output).
        if (found != null) {
            System.out.println("device tests run on " + found.getTornadoVMBackend() + " " + found.getDeviceName() + " = " + found.getDescription() + " ("
                    + found.getPlatformName() + ")");
        } else if (!Boolean.getBoolean(REQUIRED_PROPERTY)) {
            System.out.println("device tests skipped: " + SKIP_REASON + " (" + NO_DEVICE_BECAUSE + ")");
        }
    }

    private DeviceRuntime() {
    }

    /** Aborts (skips) the calling test or class unless a TornadoVM device is there; fails instead under -Ptornadovm. */
    public static void assumeDevice() {
        if (DEVICE != null) {
            return;
        }
        if (Boolean.getBoolean(REQUIRED_PROPERTY)) {
            fail("-Ptornadovm runs the device tests, but there is no TornadoVM device: " + NO_DEVICE_BECAUSE);
        }
        Assumptions.abort(SKIP_REASON + " (" + NO_DEVICE_BECAUSE + ")");
    }
}
