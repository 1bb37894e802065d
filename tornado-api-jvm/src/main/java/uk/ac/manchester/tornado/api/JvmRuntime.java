package uk.ac.manchester.tornado.api;

import java.util.List;

import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.exceptions.TornadoDeviceNotFound;

/** The plain-JVM "backend": one device, this JVM's cores. */
final class JvmRuntime {

    static final String DEVICE_NAME = "jvm";

    private static final TornadoDevice DEVICE = new JvmDevice();
    private static final TornadoBackend BACKEND = new JvmBackend();

    private JvmRuntime() {
    }

    static TornadoBackend backend() {
        return BACKEND;
    }

    static TornadoDevice device() {
        return DEVICE;
    }

    private static final class JvmDevice implements TornadoDevice {

        @Override
        public String getDeviceName() {
            return DEVICE_NAME;
        }

        @Override
        public String getDescription() {
            return "plain JVM, " + Runtime.getRuntime().availableProcessors() + " cores (@Parallel loops split over threads, KernelContext work-groups on virtual threads)";
        }

        @Override
        public String getPlatformName() {
            return "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")";
        }

        @Override
        public TornadoDeviceType getDeviceType() {
            return TornadoDeviceType.CPU;
        }

        @Override
        public long getMaxAllocMemory() {
            return Runtime.getRuntime().maxMemory();
        }

        @Override
        public long getMaxGlobalMemory() {
            return Runtime.getRuntime().maxMemory();
        }

        @Override
        public long getDeviceLocalMemorySize() {
            return Runtime.getRuntime().maxMemory();
        }

        @Override
        public long[] getDeviceMaxWorkgroupDimensions() {
            return new long[] { 1024, 1024, 1024 };
        }

        @Override
        public String getDeviceOpenCLCVersion() {
            return "none (Java)";
        }

        @Override
        public int getBackendIndex() {
            return 0;
        }

        @Override
        public TornadoVMBackendType getTornadoVMBackend() {
            return TornadoVMBackendType.JAVA;
        }

        @Override
        public String toString() {
            return getDeviceName() + " [" + getDescription() + "]";
        }
    }

    private static final class JvmBackend implements TornadoBackend {

        @Override
        public TornadoDevice getDefaultDevice() {
            return DEVICE;
        }

        @Override
        public void setDefaultDevice(int index) {
            getDevice(index);
        }

        @Override
        public int getNumDevices() {
            return 1;
        }

        @Override
        public TornadoDevice getDevice(int index) {
            if (index != 0) {
                throw new TornadoDeviceNotFound("the JVM backend has one device (0), not " + index);
            }
            return DEVICE;
        }

        @Override
        public List<TornadoDevice> getAllDevices() {
            return List.of(DEVICE);
        }

        @Override
        public TornadoDeviceType getTypeDefaultDevice() {
            return TornadoDeviceType.CPU;
        }

        @Override
        public String getName() {
            return "JVM";
        }

        @Override
        public int getNumPlatforms() {
            return 1;
        }

        @Override
        public TornadoVMBackendType getBackendType() {
            return TornadoVMBackendType.JAVA;
        }
    }
}
