package org.attentionlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.weights.Json;
import org.junit.jupiter.api.Test;

/**
 * {@code describe}'s FLOPs and bytes per stage, against counts made here from the config's shapes, and
 * {@code forward --json --profile}'s time per kind of work, first run and launch layout.
 */
class CostAndProfileCliTest {

    static final String RNOPE = CliTest.CONFIGS.resolve("rnope-swa.yaml").toString();
    static final int WIDTH = 32;
    static final int HEADS = 2;
    static final int FFN = 48;
    static final int BLOCKS = 2;

    private static List<String> small(int window) {
        return List.of("--set", "num_hidden_layers=" + BLOCKS, "--set", "embed_dim=" + WIDTH, "--set", "hidden_size=" + WIDTH, "--set",
                "intermediate_size=" + FFN, "--set", "num_attention_heads=" + HEADS, "--set", "sliding_window=" + window, "--set",
                "attention_algorithm=flash");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(String... args) {
        CliTest.Result r = CliTest.run(args);
        assertEquals(0, r.exit(), r.err());
        return (Map<String, Object>) Json.read(r.out().strip());
    }

    private static String[] args(String command, int window, String... more) {
        List<String> all = new ArrayList<>(List.of(command, RNOPE));
        all.addAll(small(window));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> blocks(Map<String, Object> described) {
        List<Map<String, Object>> blocks = new ArrayList<>();
        for (Object o : (List<Object>) described.get("stages")) {
            Map<String, Object> stage = (Map<String, Object>) o;
            if (stage.get("stage").toString().startsWith("block ")) {
                blocks.add(stage);
            }
        }
        assertEquals(BLOCKS, blocks.size(), described.get("stages").toString());
        return blocks;
    }

    /** Query-key pairs of a causal band of {@code window} keys (the query's own included) over {@code seqLen} positions, counted one by one. */
    private static long visiblePairs(int seqLen, int window) {
        long pairs = 0;
        for (int i = 0; i < seqLen; i++) {
            for (int j = 0; j <= i; j++) {
                if (i - j < window) {
                    pairs++;
                }
            }
        }
        return pairs;
    }

    private static long number(Map<String, Object> stage, String key) {
        return ((Number) stage.get(key)).longValue();
    }

    @Test
    void describeStatesEachStagesFlopsAndBytes() {
        int batch = 2;
        int seqLen = 10;
        Map<String, Object> narrow = json(args("describe", 3, "--json", "--batch", "" + batch, "--seq-len", "" + seqLen));
        Map<String, Object> wide = json(args("describe", 7, "--json", "--batch", "" + batch, "--seq-len", "" + seqLen));
        long rows = (long) batch * seqLen;
        // Multiply-adds of the block's products: q, k, v and o (width x width each), up and down (width x FFN each).
        long products = 2 * rows * (4L * WIDTH * WIDTH + 2L * WIDTH * FFN);
        // QKᵀ and PV: a multiply-add per head dimension for each visible pair, per head and sequence.
        long attentionNarrow = 2 * 2L * WIDTH * batch * visiblePairs(seqLen, 3);
        long attentionWide = 2 * 2L * WIDTH * batch * visiblePairs(seqLen, 7);
        for (int b = 0; b < BLOCKS; b++) {
            long flopsNarrow = number(blocks(narrow).get(b), "flops");
            long flopsWide = number(blocks(wide).get(b), "flops");
            assertEquals(attentionWide - attentionNarrow, flopsWide - flopsNarrow, "only the attention's pairs grow with the window");
            // Besides the products and the attention: norms, biases, the activation, softmax and residual adds, a few
            // dozen operations per element of the block's activations at most.
            long elementwise = flopsNarrow - products - attentionNarrow;
            assertTrue(elementwise > 0 && elementwise < 40 * rows * (WIDTH + FFN), "element-wise FLOPs " + elementwise);
        }

        // Bytes: the weights once, and buffers that grow with the rows (flash keeps no L x L scores) but for the last
        // position the output head keeps, so twice the bytes of one row less those of two rows are the weights (the
        // parameters, as fp32) and that position.
        Map<String, Object> oneRow = json(args("describe", 3, "--json", "--seq-len", "1"));
        Map<String, Object> twoRows = json(args("describe", 3, "--json", "--seq-len", "2"));
        long parameters = number(oneRow, "parameters");
        long weights = 0;
        for (int i = 0; i < ((List<?>) oneRow.get("stages")).size(); i++) {
            weights += 2 * number(stage(oneRow, i), "bytes") - number(stage(twoRows, i), "bytes");
        }
        assertEquals(4 * parameters + 4 * WIDTH, weights);
        for (Map<String, Object> block : blocks(narrow)) {
            assertTrue(number(block, "bytes") > 4L * rows * (4 * WIDTH + FFN), "a block writes q, k, v, its heads' outputs and the FFN's hidden: " + block);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> stage(Map<String, Object> described, int i) {
        return (Map<String, Object>) ((List<Object>) described.get("stages")).get(i);
    }

    @Test
    @SuppressWarnings("unchecked")
    void forwardProfileGivesTimePerKindOfWorkAndTheFirstRunApart() {
        Map<String, Object> run = json(args("forward", 3, "--json", "--profile", "--seq-len", "12", "--iterations", "1", "--warmup", "0", "--set",
                "work_group_items=2"));
        Map<String, Object> first = (Map<String, Object>) run.get("first_run");
        assertTrue(((Number) first.get("first_run_ms")).doubleValue() > 0, first.toString());
        assertTrue(((Number) first.get("compile_ms")).doubleValue() >= 0, first.toString());
        Map<String, Object> launch = (Map<String, Object>) run.get("launch");
        assertEquals(2, ((Number) launch.get("group_items")).intValue(), launch.toString());
        assertEquals("work_group_items", launch.get("chosen_by"));
        assertEquals("row_blocks", launch.get("projection_kernel"), "the JVM implementation runs the row-block projections");
        int graphs = ((Number) launch.get("task_graphs")).intValue();
        assertTrue(graphs >= 1 && graphs <= BLOCKS + 1, "at most a graph per layer: " + launch);
        Map<String, Object> profile = (Map<String, Object>) run.get("profile");
        Map<String, Object> kinds = (Map<String, Object>) profile.get("kernel_ms_by_kind");
        // rnope-swa: pre-norm blocks (norms), fused q/k/v and o_proj (projections), attention, the FFN, the last
        // position out (head; a final norm there would be a norm too).
        for (String kind : List.of("norms", "projections", "attention", "ffn")) {
            assertTrue(kinds.containsKey(kind) && ((Number) kinds.get(kind)).doubleValue() > 0, kind + " in " + kinds);
        }
        double sum = kinds.values().stream().mapToDouble(v -> ((Number) v).doubleValue()).sum();
        assertTrue(sum <= ((Number) profile.get("kernel_ms")).doubleValue() + 1e-6, "the kinds split the kernel time: " + profile);

        // Per task, in the order the tasks run: every layer's tasks, layer by layer, and together at least the kinds' time.
        Map<String, Object> tasks = (Map<String, Object>) profile.get("kernel_ms_by_task");
        int previousLayer = -1;
        java.util.Set<Integer> layers = new java.util.TreeSet<>();
        for (String task : tasks.keySet()) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^l(\\d+)_[a-z_]+$").matcher(task);
            assertTrue(m.matches(), "a task's own name, l<layer>_<work>: " + task);
            int layer = Integer.parseInt(m.group(1));
            assertTrue(layer >= previousLayer, "tasks in the order they run: " + tasks.keySet());
            previousLayer = layer;
            layers.add(layer);
        }
        for (int layer = 0; layer < BLOCKS; layer++) {
            assertTrue(layers.contains(layer), "layer " + layer + " in " + tasks.keySet());
        }
        assertTrue(((Number) tasks.get("l0_attention")).doubleValue() > 0, tasks.toString());
        double taskSum = tasks.values().stream().mapToDouble(v -> ((Number) v).doubleValue()).sum();
        assertTrue(taskSum >= sum - 1e-6 && taskSum <= ((Number) profile.get("kernel_ms")).doubleValue() + 1e-6,
                "the tasks cover the kinds and split the kernel time: " + profile);
    }
}
