package org.attentionlab.model.train;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.exec.TrackedTaskGraph;

import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

/**
 * Links a step's graphs so that they run one after another on the same device buffers: adds to each its transfers and
 * the arrays it consumes from the graph before and persists for the next, from what each graph's tasks take.
 *
 * <p>Why a chain: TornadoVM 5.2.1 gives a task graph a fixed 8 KB buffer of internal bytecode and 1024 graph nodes
 * (both hard-coded, {@code TornadoTaskGraph} and {@code TornadoGraph}); a whole training step of even a two-layer model
 * overflows them. How: a graph takes over the device buffers of the graph executed just before it
 * ({@code consumeFromDevice}; TornadoVM hands buffers over from the last executed graph only, whatever name is given),
 * so every array travels along the chain from the first graph that uses it to the last: graph i consumes what graphs
 * before it used and graphs from i on still use, and persists what graphs after it use. An array is transferred by the
 * first graph that uses it (once, or every execution), and the host reads results and state from the last graph's
 * result, on demand.
 * When the first graph runs again at the next step, its buffers are the very ones the chain updated (consuming shares
 * buffers, it does not copy them), so parameters and optimizer state never leave the device. A forward pass's graphs
 * ({@code exec.ModelExecution}) are chained the same way.
 */
public final class GraphChain {

    private GraphChain() {
    }

    /**
     * @param built     the graphs in execution order (an empty one is left out)
     * @param once      arrays sent on the first execution only (parameters, constants, optimizer state)
     * @param every     arrays sent on every execution (the batches)
     * @param results   arrays the caller reads after every execution (losses, learning rate, norm)
     * @param onDemand  arrays it reads only now and then (parameters and optimizer state, for checkpoints)
     */
    public static List<ImmutableTaskGraph> link(List<TrackedTaskGraph> built, List<Object> once, List<Object> every, List<Object> results, List<Object> onDemand) {
        List<TrackedTaskGraph> graphs = built.stream().filter(g -> !g.isEmpty()).toList();
        int last = graphs.size() - 1;
        Map<TornadoNativeArray, int[]> span = new IdentityHashMap<>();
        List<TornadoNativeArray> order = new ArrayList<>();
        for (int g = 0; g <= last; g++) {
            for (TornadoNativeArray array : graphs.get(g).arrays()) {
                int at = g;
                span.computeIfAbsent(array, a -> {
                    order.add(a);
                    return new int[] { at, at };
                })[1] = g;
            }
        }
        // Everything the host reads travels to the last graph and is read from its result on demand: TornadoVM copies
        // out after every execution only what a graph's own tasks write, and results are written along the chain.
        for (Object o : concat(results, onDemand)) {
            int[] s = span.get((TornadoNativeArray) o);
            if (s == null) {
                throw new IllegalStateException("an array to read back is used by no task");
            }
            s[1] = last;
        }
        Map<TornadoNativeArray, Integer> transfers = new LinkedHashMap<>();
        once.forEach(o -> transfers.put((TornadoNativeArray) o, DataTransferMode.FIRST_EXECUTION));
        every.forEach(o -> transfers.put((TornadoNativeArray) o, DataTransferMode.EVERY_EXECUTION));

        List<ImmutableTaskGraph> linked = new ArrayList<>();
        for (int g = 0; g <= last; g++) {
            TrackedTaskGraph graph = graphs.get(g);
            List<Object> consumed = new ArrayList<>();
            List<Object> sentOnce = new ArrayList<>();
            List<Object> sentEvery = new ArrayList<>();
            List<Object> persisted = new ArrayList<>();
            for (TornadoNativeArray array : order) {
                int[] s = span.get(array);
                if (s[0] < g && g <= s[1]) {
                    consumed.add(array);
                }
                if (s[0] == g && transfers.containsKey(array)) {
                    (transfers.get(array) == DataTransferMode.FIRST_EXECUTION ? sentOnce : sentEvery).add(array);
                }
                if (s[0] <= g && g < s[1]) {
                    persisted.add(array);
                }
            }
            if (!consumed.isEmpty()) {
                graph.consumeFromDevice(graphs.get(g - 1).getTaskGraphName(), consumed.toArray());
            }
            if (!sentOnce.isEmpty()) {
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, sentOnce.toArray());
            }
            if (!sentEvery.isEmpty()) {
                graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, sentEvery.toArray());
            }
            if (!persisted.isEmpty()) {
                graph.persistOnDevice(persisted.toArray());
            }
            List<Object> back = concat(results, onDemand);
            if (g == last && !back.isEmpty()) {
                graph.transferToHost(DataTransferMode.UNDER_DEMAND, back.toArray());
            }
            linked.add(graph.snapshot());
        }
        return linked;
    }

    private static List<Object> concat(List<Object> a, List<Object> b) {
        List<Object> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
