package uk.ac.manchester.tornado.api.exceptions;

public class TornadoExecutionPlanException extends Exception {

    public TornadoExecutionPlanException(String reason) {
        super(reason);
    }

    public TornadoExecutionPlanException(String message, Throwable cause) {
        super(message, cause);
    }
}
