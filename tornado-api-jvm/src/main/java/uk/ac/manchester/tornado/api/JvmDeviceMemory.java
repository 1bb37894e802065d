package uk.ac.manchester.tornado.api;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoRuntimeException;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray.JvmAccess;

/**
 * The simulated device memory of one execution plan. Each graph has its own buffers, as on a device: a kernel
 * sees host data only after a {@code transferToDevice}, the host sees results only after a
 * {@code transferToHost}, and a graph sees another graph's buffer only through {@code consumeFromDevice}.
 * Buffers that were never written hold NaN (or an odd int) so that a missing transfer shows in the results.
 */
final class JvmDeviceMemory {

    /** Bytes and nanoseconds spent copying in one execution, for the profiler. */
    static final class Traffic {
        long bytesIn;
        long bytesOut;
        long nanos;
    }

    private final List<JvmGraph> graphs;
    private final List<Map<Object, TornadoNativeArray>> buffers = new ArrayList<>();
    private final boolean[] executedOnce;

    JvmDeviceMemory(List<JvmGraph> graphs) {
        this.graphs = graphs;
        this.executedOnce = new boolean[graphs.size()];
        for (int i = 0; i < graphs.size(); i++) {
            buffers.add(new IdentityHashMap<>());
        }
    }

    void free() {
        for (Map<Object, TornadoNativeArray> b : buffers) {
            b.clear();
        }
        java.util.Arrays.fill(executedOnce, false);
    }

    /**
     * Copies in what graph {@code g} transfers to the device on this execution, after taking over the buffers it consumes
     * from graph {@code previous} (the last graph the plan's previous execution ran, -1 for none).
     */
    void copyIn(int g, Traffic traffic, int previous) {
        JvmGraph graph = graphs.get(g);
        for (Object consumed : graph.consumed().keySet()) {
            if (consumed instanceof TornadoNativeArray array) {
                buffers.get(g).put(array, producerBuffer(g, array, previous));
            }
        }
        for (JvmTransfer t : graph.toDevice()) {
            boolean now = t.mode() == DataTransferMode.EVERY_EXECUTION || (t.mode() == DataTransferMode.FIRST_EXECUTION && !executedOnce[g]);
            for (Object o : t.objects()) {
                if (o instanceof TornadoNativeArray host) {
                    TornadoNativeArray device = buffer(g, host);
                    if (now) {
                        long start = System.nanoTime();
                        JvmAccess.copy(host, device);
                        traffic.nanos += System.nanoTime() - start;
                        traffic.bytesIn += host.getNumBytesOfSegment();
                    }
                }
            }
        }
    }

    /** Copies out what graph {@code g} transfers to the host after this execution. */
    void copyOut(int g, Traffic traffic) {
        for (JvmTransfer t : graphs.get(g).toHost()) {
            boolean now = t.mode() == DataTransferMode.EVERY_EXECUTION || (t.mode() == DataTransferMode.FIRST_EXECUTION && !executedOnce[g]);
            if (now) {
                for (Object o : t.objects()) {
                    copyToHost(g, o, traffic);
                }
            }
        }
        executedOnce[g] = true;
    }

    /** {@code TornadoExecutionResult.transferToHost}: copies the latest device copy of each object back. */
    void copyToHostOnDemand(List<Integer> executedGraphs, Object[] objects, Traffic traffic) {
        for (Object o : objects) {
            boolean found = false;
            for (int i = executedGraphs.size() - 1; i >= 0 && !found; i--) {
                int g = executedGraphs.get(i);
                if (buffers.get(g).containsKey(o)) {
                    copyToHost(g, o, traffic);
                    found = true;
                }
            }
            if (!found && o instanceof TornadoNativeArray) {
                throw new TornadoRuntimeException("transferToHost: the object was never on the device in the graphs just executed");
            }
        }
    }

    private void copyToHost(int g, Object o, Traffic traffic) {
        if (o instanceof TornadoNativeArray host) {
            TornadoNativeArray device = buffers.get(g).get(host);
            if (device == null) {
                throw new TornadoRuntimeException("graph " + graphs.get(g).name() + " transfers to the host an array that none of its tasks used "
                        + "and that was never transferred to the device");
            }
            long start = System.nanoTime();
            JvmAccess.copy(device, host);
            traffic.nanos += System.nanoTime() - start;
            traffic.bytesOut += host.getNumBytesOfSegment();
        }
    }

    /** The device-side stand-in for a task argument in graph {@code g}. */
    Object deviceArgument(int g, Object hostArgument) {
        if (hostArgument instanceof TornadoNativeArray host) {
            return buffer(g, host);
        }
        return hostArgument;
    }

    private TornadoNativeArray buffer(int g, TornadoNativeArray host) {
        return buffers.get(g).computeIfAbsent(host, h -> {
            TornadoNativeArray fresh = JvmAccess.newOfSameSize((TornadoNativeArray) h);
            JvmAccess.poison(fresh);
            return fresh;
        });
    }

    /**
     * The buffer graph {@code g} consumes: {@code previous}'s, as in TornadoVM 5.2, which takes consumed buffers from the
     * task graph executed just before, whatever name was given to {@code consumeFromDevice} (the name only matters when
     * it is that graph's).
     */
    private TornadoNativeArray producerBuffer(int g, TornadoNativeArray array, int previous) {
        if (previous < 0) {
            throw new TornadoRuntimeException("graph " + graphs.get(g).name() + " consumes an array from the device, but no graph of this plan has"
                    + " executed before it (TornadoVM takes consumed buffers from the graph executed just before)");
        }
        TornadoNativeArray b = buffers.get(previous).get(array);
        if (b == null) {
            throw new TornadoRuntimeException("graph " + graphs.get(g).name() + " consumes an array that graph " + graphs.get(previous).name()
                    + ", the one executed just before it, does not have on the device (TornadoVM takes consumed buffers from that graph,"
                    + " whatever name consumeFromDevice was given)");
        }
        return b;
    }
}
