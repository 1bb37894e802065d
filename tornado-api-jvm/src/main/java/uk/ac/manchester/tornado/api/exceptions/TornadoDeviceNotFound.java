package uk.ac.manchester.tornado.api.exceptions;

public class TornadoDeviceNotFound extends TornadoRuntimeException {

    public TornadoDeviceNotFound(String msg) {
        super(msg);
    }
}
