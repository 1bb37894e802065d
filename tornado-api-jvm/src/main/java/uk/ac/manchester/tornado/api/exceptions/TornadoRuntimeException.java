package uk.ac.manchester.tornado.api.exceptions;

public class TornadoRuntimeException extends RuntimeException {

    public TornadoRuntimeException(final String msg) {
        super(msg);
    }

    public TornadoRuntimeException(Exception e) {
        super(e);
    }
}
