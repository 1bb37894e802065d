package uk.ac.manchester.tornado.api;

import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;

/** The backends this runtime offers and their devices. On the plain JVM: one backend with one device. */
public class TornadoDeviceMap {

    private final List<TornadoBackend> backends;

    public TornadoDeviceMap() {
        this.backends = List.of(JvmRuntime.backend());
    }

    public int getNumBackends() {
        return backends.size();
    }

    public List<TornadoBackend> getAllBackends() {
        return backends;
    }

    public List<TornadoBackend> getBackendsWithPredicate(Predicate<? super TornadoBackend> predicate) {
        return getAllBackends().stream().filter(predicate).toList();
    }

    public List<TornadoBackend> getBackendsWithDevicePredicate(Predicate<? super TornadoDevice> predicate) {
        return getAllBackends().stream().filter(backend -> backend.getAllDevices().stream().anyMatch(predicate)).toList();
    }

    public Stream<TornadoDevice> getDevicesByName(String deviceName) {
        return getAllBackends().stream().flatMap(b -> b.getAllDevices().stream()).filter(d -> d.getDeviceName().contains(deviceName));
    }

    public Stream<TornadoDevice> getDevicesByType(TornadoDeviceType deviceType) {
        return getAllBackends().stream().flatMap(b -> b.getAllDevices().stream()).filter(d -> d.getDeviceType() == deviceType);
    }
}
