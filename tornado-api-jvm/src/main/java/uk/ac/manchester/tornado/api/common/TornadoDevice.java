package uk.ac.manchester.tornado.api.common;

import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;

/**
 * A device a task graph can run on. TornadoVM's interface has many more methods (memory management, events);
 * this is the subset Attention Lab calls, with the same signatures.
 */
public interface TornadoDevice {

    String getDeviceName();

    String getDescription();

    String getPlatformName();

    TornadoDeviceType getDeviceType();

    long getMaxAllocMemory();

    long getMaxGlobalMemory();

    long getDeviceLocalMemorySize();

    long[] getDeviceMaxWorkgroupDimensions();

    String getDeviceOpenCLCVersion();

    int getBackendIndex();

    TornadoVMBackendType getTornadoVMBackend();
}
