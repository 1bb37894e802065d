package org.attentionlab.model;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.weights.Parameters;

import com.sun.management.HotSpotDiagnosticMXBean;

/**
 * What a forward run of one shape holds in memory, from the parameter shapes and the layers' own sizes
 * ({@link Layer#buffers}, {@link Layer#packedWeights}): nothing is allocated to compute it. The one estimate
 * {@code describe} prints and the forward command checks before it builds anything.
 *
 * <p>What is held follows from how a run is executed ({@code ModelExecution}: task graphs that hand their device
 * buffers on from one to the next):
 * <ul>
 * <li>on the host: the parameters, the packed copies some layers keep for their kernels, and the buffers the layers
 * ask for, once per name and size (layers share them on the host);</li>
 * <li>on the device: one copy of every weight (a packed copy in place of the parameters it packs, counted here as
 * those parameters; a weight two layers read, such as a tied lm_head's, once) and of every buffer, whichever graphs
 * use it;</li>
 * <li>the input (host array and device copy) and the output.</li>
 * </ul>
 * On a TornadoVM device the device copies are in the device's global memory and host arrays are off-heap. On the
 * plain JVM, tornado-api-jvm simulates the device with a heap copy of every array per graph (its
 * {@code JvmDeviceMemory}), so the heap holds both sides, plus the forward command's own copies: the input as read
 * or generated, and the last output twice as it is copied out of the run. On the heap every array also takes its
 * {@link HeapLayout footprint}: with G1, an array of half a region or more takes whole regions.
 */
public final class MemoryEstimate {

    private final long weights;
    private final long packedWeights;
    private final long deviceWeights;
    private final long hostBuffers;
    private final long deviceBuffers;
    private final long input;
    private final long output;
    private final long heapWeightBytes;
    private final long heapBytes;

    private MemoryEstimate(long weights, long packedWeights, long deviceWeights, long hostBuffers, long deviceBuffers, long input, long output,
            long heapWeightBytes, long heapBytes) {
        this.weights = weights;
        this.packedWeights = packedWeights;
        this.deviceWeights = deviceWeights;
        this.hostBuffers = hostBuffers;
        this.deviceBuffers = deviceBuffers;
        this.input = input;
        this.output = output;
        this.heapWeightBytes = heapWeightBytes;
        this.heapBytes = heapBytes;
    }

    static MemoryEstimate of(Model model, int batch, int seqLen, HeapLayout heap) {
        List<Buffer> parameters = new ArrayList<>();
        for (Parameters.Parameter p : model.parameters().all()) {
            parameters.add(new Buffer(p.name(), p.numel()));
        }
        List<Buffer> packed = new ArrayList<>();
        List<Buffer> onDevice = new ArrayList<>(parameters);
        List<Buffer> perLayer = new ArrayList<>();
        for (Layer layer : model.layers()) {
            packed.addAll(layer.packedWeights());
            perLayer.addAll(layer.buffers(batch, seqLen));
        }
        // LayerTasks hands every layer that asks for the same name and size the same host array, and the graphs hand
        // its device copy on
        Buffer in = Buffer.of("input", (long) batch * seqLen, Math.max(1, model.inputWidth()));
        if (!model.takesTokenIds()) {
            // the stream the first layer updates in place, a copy of the input
            perLayer.add(new Buffer("input_copy", in.elements()));
        }
        List<Buffer> shared = List.copyOf(new LinkedHashSet<>(perLayer));
        long outputElements = 1;
        for (int d : model.outputShape(batch, seqLen)) {
            outputElements = Buffer.saturatedProduct(outputElements, d);
        }
        Buffer out = new Buffer("output", outputElements);
        long heapWeightBytes = sum(heap.footprint(parameters), heap.footprint(packed), heap.footprint(onDevice));
        long heapBytes = sum(heapWeightBytes, heap.footprint(shared), heap.footprint(shared), heap.footprint(List.of(in, in, in, out, out)));
        return new MemoryEstimate(bytes(parameters), bytes(packed), bytes(onDevice), bytes(shared), bytes(shared), in.bytes(), out.bytes(),
                heapWeightBytes, heapBytes);
    }

    /** The parameters, in bytes. */
    public long weights() {
        return weights;
    }

    /** The packed copies of weights the layers keep besides their parameters, in bytes. */
    public long packedWeights() {
        return packedWeights;
    }

    /** The weights on the device, in bytes: the parameters, once. */
    public long deviceWeights() {
        return deviceWeights;
    }

    /** The layers' buffers on the host, once per name and size, in bytes. */
    public long hostBuffers() {
        return hostBuffers;
    }

    /** The layers' buffers on the device, once per name and size, in bytes. */
    public long deviceBuffers() {
        return deviceBuffers;
    }

    /** The input, features or token ids, in bytes. */
    public long input() {
        return input;
    }

    /** The output of one run, in bytes. */
    public long output() {
        return output;
    }

    /** The part of {@link #heapBytes()} that does not depend on the run's shape: weights, packed copies, simulated device copies. */
    public long heapWeightBytes() {
        return heapWeightBytes;
    }

    /** What a run on the plain JVM holds on the heap: host and simulated device side, the command's copies, as laid out on the heap. */
    public long heapBytes() {
        return heapBytes;
    }

    /** What a run on a TornadoVM device holds in the device's global memory. */
    public long deviceBytes() {
        return sum(deviceWeights, deviceBuffers, input);
    }

    private static long bytes(List<Buffer> buffers) {
        long total = 0;
        for (Buffer b : buffers) {
            total = plus(total, b.bytes());
        }
        return total;
    }

    private static long sum(long... bytes) {
        long total = 0;
        for (long b : bytes) {
            total = plus(total, b);
        }
        return total;
    }

    /** a + b for non-negative sizes, {@link Long#MAX_VALUE} when a long cannot hold it. */
    private static long plus(long a, long b) {
        return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
    }

    /**
     * How the heap lays out a float or int array: its bytes plus the array header, or, with G1, whole regions for an
     * array of half a region or more (a "humongous" object: a 4 MiB array with its header takes two 4 MiB regions).
     *
     * @param regionBytes G1's region size, 0 for a collector that packs arrays as they are
     */
    record HeapLayout(long regionBytes) {

        /** A 64-bit HotSpot array header: mark word, compressed class pointer, length. */
        static final long ARRAY_HEADER_BYTES = 16;

        /** The layout of the JVM this runs in. */
        static HeapLayout ofThisJvm() {
            try {
                HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
                if (hotSpot == null || !Boolean.parseBoolean(hotSpot.getVMOption("UseG1GC").getValue())) {
                    return new HeapLayout(0);
                }
                return new HeapLayout(Long.parseLong(hotSpot.getVMOption("G1HeapRegionSize").getValue()));
            } catch (RuntimeException e) { // not HotSpot, or no such option: arrays as they are
                return new HeapLayout(0);
            }
        }

        long footprint(List<Buffer> arrays) {
            long total = 0;
            for (Buffer array : arrays) {
                total = plus(total, footprint(array.bytes()));
            }
            return total;
        }

        long footprint(long bytes) {
            long object = plus(bytes, ARRAY_HEADER_BYTES);
            if (regionBytes == 0 || object < regionBytes / 2) {
                return object;
            }
            long regions = object / regionBytes + (object % regionBytes == 0 ? 0 : 1);
            return regions > Long.MAX_VALUE / regionBytes ? Long.MAX_VALUE : regions * regionBytes;
        }
    }
}
