package org.attentionlab.model.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.junit.jupiter.api.Test;

/**
 * How a forward pass is laid out on its device (task graphs per pass, work-items per group) changes no value, and the
 * graphs are cut where TornadoVM's fixed graph sizes require.
 */
class ExecutionLayoutTest {

    static final Path RNOPE = Path.of("..", "configs", "rnope-swa.yaml");

    private static float[] forward(List<String> overrides, List<Integer> graphSizes) {
        List<String> all = new ArrayList<>(List.of("num_hidden_layers=4", "sliding_window=3", "output=all", "embed_dim=32", "hidden_size=32",
                "intermediate_size=48", "num_attention_heads=2", "attention_algorithm=flash"));
        all.addAll(overrides);
        Model model = Model.build(ConfigLoader.load(RNOPE, all));
        SplittableRandom random = new SplittableRandom(5);
        try (ModelExecution execution = model.prepare(RunShape.inference(2, 9), null)) {
            for (int i = 0; i < execution.floatInput().getSize(); i++) {
                execution.floatInput().set(i, (float) (random.nextDouble() * 2 - 1));
            }
            float[] out = execution.run().toHeapArray();
            List<Integer> flat = new ArrayList<>();
            for (List<Integer> graph : execution.graphLayers()) {
                graphSizes.add(graph.size());
                flat.addAll(graph);
            }
            for (int i = 0; i < flat.size(); i++) {
                assertEquals(i, flat.get(i), "every layer once, in order: " + execution.graphLayers());
            }
            assertEquals(model.layers().size(), flat.size());
            // A second run reads the same input (the first layer updates a copy of it in place): the same output.
            assertArrayEquals(out, execution.run().toHeapArray(), 0f);
            return out;
        }
    }

    @Test
    void graphsPerPassAndWorkGroupSizesChangeNoValue() {
        List<Integer> fewGraphs = new ArrayList<>();
        float[] reference = forward(List.of(), fewGraphs);
        // 4 blocks and the output head (its final norm): as many per graph as TornadoVM's sizes admit (here its default
        // bytecode buffer), fewer graphs than layers.
        assertTrue(fewGraphs.size() < 5, fewGraphs.toString());

        List<Integer> perLayer = new ArrayList<>();
        assertArrayEquals(reference, forward(List.of("layers_per_graph=1"), perLayer), 0f);
        assertEquals(List.of(1, 1, 1, 1, 1), perLayer);

        List<Integer> byTwo = new ArrayList<>();
        assertArrayEquals(reference, forward(List.of("layers_per_graph=2"), byTwo), 0f);
        assertTrue(byTwo.size() >= 3 && byTwo.stream().allMatch(n -> n <= 2), byTwo.toString());

        for (String items : List.of("1", "3", "64")) {
            assertArrayEquals(reference, forward(List.of("work_group_items=" + items), new ArrayList<>()), 0f, "work_group_items=" + items);
        }
    }

    private static GraphLimits.Cost cost(int tasks, int arguments, Object... objects) {
        Set<Object> set = Collections.newSetFromMap(new IdentityHashMap<>());
        set.addAll(List.of(objects));
        return new GraphLimits.Cost(tasks, arguments, objects.length, set);
    }

    @Test
    void layersAreGroupedWithinTornadoVMsGraphSizes() {
        Object shared = new Object();
        // 100 tasks each: TornadoVM takes at most 256 tasks in a graph, so two layers per graph.
        List<GraphLimits.Cost> hundred = List.of(cost(100, 100, shared), cost(100, 100, shared), cost(100, 100, shared));
        assertEquals(List.of(List.of(0, 1), List.of(2)), ModelExecution.group(hundred, GraphLimits.withBytecodeBytes(1 << 20), null));

        // Bytecode: 38 + 43 per object + 33 per task + 10 per argument; 4 tasks of 2 arguments each on 2 objects: 336.
        GraphLimits.Cost small = cost(4, 8, new Object(), new Object());
        assertEquals(336, small.bytecodeBytes());
        List<GraphLimits.Cost> layers = List.of(small, cost(4, 8, new Object(), new Object()), cost(4, 8, new Object(), new Object()));
        assertEquals(List.of(List.of(0), List.of(1), List.of(2)), ModelExecution.group(layers, GraphLimits.withBytecodeBytes(400), null));
        assertEquals(List.of(List.of(0, 1, 2)), ModelExecution.group(layers, GraphLimits.withBytecodeBytes(4096), null));
        assertEquals(List.of(List.of(0, 1), List.of(2)), ModelExecution.group(layers, GraphLimits.withBytecodeBytes(4096), 2));

        // A layer that alone passes the limits still gets a graph (TornadoVM then names the limit).
        assertEquals(List.of(List.of(0), List.of(1)), ModelExecution.group(List.of(cost(300, 0), small), GraphLimits.withBytecodeBytes(1 << 20), null));
    }

    @Test
    void profilerLogsGiveEachTaskItsTimeFromTheLastExecution() {
        String log = """
                {
                    "forward_0": {
                        "TOTAL_KERNEL_TIME": "900",
                        "forward_0.l1_attention": {
                            "METHOD": "AttentionKernels.flash",
                            "TASK_KERNEL_TIME": "500"
                        }
                    }
                }
                {
                    "forward_0": {
                        "TOTAL_KERNEL_TIME": "70",
                        "forward_0.l1_attention": {
                            "METHOD": "AttentionKernels.flash",
                            "TASK_KERNEL_TIME": "40"
                        },
                        "forward_0.l1_o_proj": {
                            "METHOD": "MatrixMultiply.linear \\"fused\\"",
                            "TASK_KERNEL_TIME": " 30 "
                        },
                        "forward_0.l2_attention": {
                            "METHOD": "AttentionKernels.flash",
                            "TASK_KERNEL_TIME": "25"
                        }
                    }
                }
                """;
        Map<String, Long> times = TaskTimes.lastExecution(log);
        assertEquals(Map.of("forward_0.l1_attention", 40L, "forward_0.l1_o_proj", 30L, "forward_0.l2_attention", 25L), times);
        assertEquals(Map.of("AttentionKernels.flash", 65L, "MatrixMultiply.linear \"fused\"", 30L), TaskTimes.lastExecutionByKernel(log));
        assertTrue(TaskTimes.lastExecutionByKernel("").isEmpty());
        assertTrue(TaskTimes.lastExecution("").isEmpty());
        assertTrue(TaskTimes.lastExecution(null).isEmpty());
    }
}
