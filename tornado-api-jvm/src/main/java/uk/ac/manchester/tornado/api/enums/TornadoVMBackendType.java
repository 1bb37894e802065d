package uk.ac.manchester.tornado.api.enums;

public enum TornadoVMBackendType {
    OPENCL("OpenCL"),
    METAL("Metal"),
    PTX("PTX"),
    CUDA("CUDA"),
    SPIRV("SPIRV"),
    JAVA("Java"),
    VIRTUAL("Virtual");

    final String backendName;

    TornadoVMBackendType(String backendName) {
        this.backendName = backendName;
    }

    String getName() {
        return backendName;
    }

    @Override
    public String toString() {
        return backendName;
    }
}
