package org.attentionlab.model.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;

import org.attentionlab.model.InputException;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.exec.KvCaches;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.spec.LayerType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Generation with key/value caches against a full recomputation: after the prompt and after every generated token,
 * the whole sequence so far runs through the ordinary forward pass (written out here, independent of the generator)
 * and the arg-max of its last logits must be the token greedy generation chose; the cached step's logits must equal
 * the recomputed ones within 2e-5 (the same kernels on the same rows; the flash config differs in summation order).
 * Configs: Cohere2's layout (RoPE sliding + NoPE full, parallel block, interleaved RoPE, SwiGLU, tied and scaled
 * logits), a Mistral-style decoder (RMSNorm, RoPE, SwiGLU, GQA, untied head, flash attention), ALiBi, APE on the last
 * layer and on a one-layer model, QK-norm, Edifice's multi-head model on token ids (sinusoidal encoding, post-norm);
 * windows smaller than the prompt (several wraps of the rolling buffer during generation), larger than the whole
 * sequence, and a window of one.
 */
public class GenerationTest {

    public static final String COHERE2 = "architecture: rnope_swa_hybrid\nvocab_size: 37\nhidden_size: 32\nnum_attention_heads: 4\nnum_key_value_heads: 2\n"
            + "num_hidden_layers: 4\nintermediate_size: 48\nsliding_window_pattern: 4\nposition_embedding: rope\nrope_pairing: gptj\nnorm: layernorm\n"
            + "norm_bias: false\nnorm_position: parallel\nffn_type: swiglu\nhidden_act: silu\nattention_bias: false\nmlp_bias: false\n"
            + "tie_word_embeddings: true\nlogit_scale: 0.0625\noutput: logits\n";
    public static final String MISTRAL = "architecture: rnope_swa\nvocab_size: 41\nhidden_size: 32\nnum_attention_heads: 4\nnum_key_value_heads: 1\n"
            + "num_hidden_layers: 3\nintermediate_size: 40\nposition_embedding: rope\nnorm: rmsnorm\nffn_type: swiglu\nhidden_act: silu\n"
            + "attention_bias: false\nmlp_bias: false\ntie_word_embeddings: false\noutput: logits\nattention_algorithm: flash\n";
    public static final String ALIBI = "architecture: rnope_swa\nvocab_size: 29\nhidden_size: 24\nnum_attention_heads: 3\nnum_hidden_layers: 2\n"
            + "intermediate_size: 32\nposition_embedding: alibi\noutput: logits\n";
    private static final String APE_LAST_LAYER = "architecture: rnope_swa\nvocab_size: 23\nhidden_size: 16\nnum_attention_heads: 2\nnum_hidden_layers: 2\n"
            + "intermediate_size: 24\nposition_embedding: none\nape_scale: 2.5\nlayers:\n  1: {position_embedding: ape}\noutput: logits\n";
    private static final String APE_ONE_LAYER = "architecture: rnope_swa\nvocab_size: 23\nhidden_size: 16\nnum_attention_heads: 2\nnum_hidden_layers: 1\n"
            + "intermediate_size: 24\nposition_embedding: ape\nape_scale: -1.5\noutput: logits\n";
    private static final String QK_NORM = "architecture: rnope_swa\nvocab_size: 19\nhidden_size: 16\nnum_attention_heads: 2\nnum_hidden_layers: 2\n"
            + "intermediate_size: 16\nposition_embedding: rope\nqk_norm: true\noutput: logits\nattention_algorithm: memory_efficient\nchunk_size: 3\n";
    public static final String MULTIHEAD = "architecture: multihead_sliding_window\nvocab_size: 31\nnum_attention_heads: 2\nhead_dim: 8\n"
            + "num_hidden_layers: 2\nintermediate_size: 24\nposition_embedding: sinusoidal\noutput: logits\n";

    static List<Arguments> configs() {
        List<Arguments> cases = new ArrayList<>();
        // window, prompt length, new tokens: windows smaller than the prompt (wrapping in the prefill and again and
        // again while generating), larger than everything, and of one key
        for (int[] shape : new int[][] { { 3, 7, 14 }, { 5, 2, 20 }, { 64, 9, 8 }, { 1, 4, 6 } }) {
            String sizes = "sliding_window: " + shape[0] + "\n";
            cases.add(Arguments.of("cohere2 W=" + shape[0], COHERE2 + sizes, shape[1], shape[2]));
            cases.add(Arguments.of("mistral W=" + shape[0], MISTRAL + sizes, shape[1], shape[2]));
        }
        cases.add(Arguments.of("alibi W=4", ALIBI + "sliding_window: 4\n", 6, 12));
        cases.add(Arguments.of("alibi, full last layer", ALIBI + "sliding_window: 3\nlayers:\n  1: {layer_type: full_attention}\n", 5, 10));
        cases.add(Arguments.of("ape on the last layer", APE_LAST_LAYER + "sliding_window: 4\n", 6, 10));
        cases.add(Arguments.of("ape, one full layer", APE_ONE_LAYER + "sliding_window: 64\n", 3, 10));
        cases.add(Arguments.of("qk_norm, rope, W=3", QK_NORM + "sliding_window: 3\n", 4, 10));
        cases.add(Arguments.of("multihead on tokens W=4", MULTIHEAD + "sliding_window: 4\n", 5, 12));
        return cases;
    }

    @ParameterizedTest(name = "{0}, prompt {2}, {3} new tokens")
    @MethodSource("configs")
    void greedyGenerationIsTheFullRecomputationsArgmax(String name, String yaml, int promptLength, int newTokens) {
        int[] generated = checkAgainstFullRecomputation(name, yaml, promptLength, newTokens, 2e-5, step -> true);
        int[] prompt = prompt(model(yaml), promptLength, newTokens);
        assertArrayEquals(generated, Generation.run(model(yaml), prompt, newTokens, Sampler.greedy(), null, false, null).generated(),
                name + ": Generation.run");
    }

    /**
     * Greedy generation with a {@link Generator} on the runtime's default device; at the steps {@code recomputeAt}
     * accepts, the whole sequence so far through the ordinary forward pass: its last logits within
     * {@code tolerance (1 + |x|)} of the cached step's, and its arg-max the token chosen. Returns the generated ids.
     */
    public static int[] checkAgainstFullRecomputation(String name, String yaml, int promptLength, int newTokens, double tolerance, IntPredicate recomputeAt) {
        Model model = model(yaml);
        int[] prompt = prompt(model, promptLength, newTokens);
        List<Integer> sequence = new ArrayList<>();
        for (int id : prompt) {
            sequence.add(id);
        }
        int[] generated = new int[newTokens];
        try (Generator generator = Generator.start(model, promptLength + newTokens, null)) {
            float[] logits = generator.prefill(prompt);
            for (int step = 0; step < newTokens; step++) {
                int token = Sampler.argmax(logits);
                if (recomputeAt.test(step)) {
                    float[] recomputed = lastLogitsOfForward(model, sequence);
                    assertLogitsClose(recomputed, logits, tolerance, name + ", position " + (sequence.size() - 1));
                    assertEquals(Sampler.argmax(recomputed), token, name + ": the token after " + sequence.size() + " positions");
                }
                generated[step] = token;
                sequence.add(token);
                if (step + 1 < newTokens) {
                    logits = generator.next(token);
                }
            }
        }
        return generated;
    }

    private static int[] prompt(Model model, int promptLength, int newTokens) {
        return new SplittableRandom(promptLength * 31L + newTokens).ints(promptLength, 0, model.vocabSize()).toArray();
    }

    /**
     * With the standard algorithm the cached step computes exactly what the forward pass computes for the last row:
     * the same kernels on the same values in the same order, bit for bit on the JVM.
     */
    @Test
    void standardAttentionGivesTheForwardsBits() {
        Model model = model(COHERE2 + "sliding_window: 3\n");
        int[] prompt = { 5, 1, 30, 2, 2, 17 };
        List<Integer> sequence = new ArrayList<>();
        for (int id : prompt) {
            sequence.add(id);
        }
        try (Generator generator = Generator.start(model, 20, null)) {
            float[] logits = generator.prefill(prompt);
            for (int step = 0; step < 12; step++) {
                assertArrayEquals(lastLogitsOfForward(model, sequence), logits, "position " + (sequence.size() - 1));
                int token = Sampler.argmax(logits);
                sequence.add(token);
                logits = generator.next(token);
            }
        }
    }

    /**
     * The caches stay on the device: the plain JVM's TornadoVM implementation keeps a graph's device buffers apart
     * from the host arrays, so the host copies of the caches, read back once after the prefill, must not change
     * while the steps append to the device copies.
     */
    @Test
    void decodeStepsNeverBringTheCachesBack() {
        Model model = model(COHERE2 + "sliding_window: 2\n");
        try (Generator generator = Generator.start(model, 12, null)) {
            generator.prefill(new int[] { 3, 4, 5 });
            List<float[]> afterPrefill = new ArrayList<>();
            for (KvCaches.LayerCache cache : generator.caches().layers()) {
                afterPrefill.add(cache.keys().toHeapArray());
                afterPrefill.add(cache.values().toHeapArray());
                assertTrue(anyNonZero(cache.keys()), "the prefill read layer " + cache.layout().layer() + "'s keys back");
            }
            int token = 1;
            for (int step = 0; step < 8; step++) {
                token = Sampler.argmax(generator.next(token));
            }
            int i = 0;
            for (KvCaches.LayerCache cache : generator.caches().layers()) {
                assertArrayEquals(afterPrefill.get(i++), cache.keys().toHeapArray(), "host keys of layer " + cache.layout().layer());
                assertArrayEquals(afterPrefill.get(i++), cache.values().toHeapArray(), "host values of layer " + cache.layout().layer());
            }
        }
    }

    /** Cohere2's layout: three sliding layers keep W slots each, the full layer one per position. */
    @Test
    void slidingLayersKeepTheWindowFullLayersEveryPosition() {
        Model model = model(COHERE2.replace("num_hidden_layers: 4", "num_hidden_layers: 8") + "sliding_window: 5\n");
        List<KvCaches.Layout> layouts = Generator.cacheLayouts(model, 100);
        assertEquals(8, layouts.size());
        for (KvCaches.Layout layout : layouts) {
            boolean full = (layout.layer() + 1) % 4 == 0;
            assertEquals(full ? LayerType.FULL : LayerType.SLIDING, layout.kind(), "layer " + layout.layer());
            assertEquals(full ? 100 : 5, layout.slots(), "layer " + layout.layer());
            assertEquals(16, layout.kvWidth(), "2 kv heads x head_dim 8");
        }
        CacheMemory memory = new CacheMemory(layouts, 1, 100);
        assertEquals(new CacheMemory.Kind(LayerType.SLIDING, 6, 30, 6 * 5 * 16 * 8), memory.of(LayerType.SLIDING));
        assertEquals(new CacheMemory.Kind(LayerType.FULL, 2, 200, 2 * 100 * 16 * 8), memory.of(LayerType.FULL));
        assertEquals(8L * 100 * 16 * 8, memory.everyPositionBytes());
        assertEquals(1 - (6 * 5 + 2 * 100) / 800.0, memory.saving(), 1e-12);
        // a window longer than the generation keeps only the generation's positions
        assertEquals(3, Generator.cacheLayouts(model, 3).get(0).slots());
    }

    @Test
    void samplingIsSeededAndTopOneIsGreedy() {
        Model model = model(MISTRAL + "sliding_window: 4\n");
        int[] prompt = { 1, 2, 3 };
        int[] a = Generation.run(model, prompt, 12, new Sampler(1.5, 0, 42), null, false, null).generated();
        int[] b = Generation.run(model, prompt, 12, new Sampler(1.5, 0, 42), null, false, null).generated();
        int[] c = Generation.run(model, prompt, 12, new Sampler(1.5, 0, 43), null, false, null).generated();
        assertArrayEquals(a, b, "the same seed draws the same tokens");
        assertFalse(java.util.Arrays.equals(a, c), "another seed draws other tokens");
        int[] greedy = Generation.run(model, prompt, 12, Sampler.greedy(), null, false, null).generated();
        assertArrayEquals(greedy, Generation.run(model, prompt, 12, new Sampler(2.0, 1, 7), null, false, null).generated(), "top-1 is greedy");
    }

    @Test
    void samplerDrawsFromTheTemperedTopK() {
        float[] logits = { 0f, 3f, 1f, 3f, -2f };
        Sampler topTwo = new Sampler(1.0, 2, 5);
        int[] counts = new int[logits.length];
        for (int i = 0; i < 4000; i++) {
            counts[topTwo.next(logits)]++;
        }
        assertEquals(0, counts[0] + counts[2] + counts[4], "only the two largest");
        assertTrue(Math.abs(counts[1] - counts[3]) < 300, "two equal logits are drawn equally often: " + counts[1] + " vs " + counts[3]);
        assertEquals(1, Sampler.argmax(logits), "ties go to the lower id");
        Sampler hot = new Sampler(1.0, 0, 9);
        int[] all = new int[logits.length];
        for (int i = 0; i < 20000; i++) {
            all[hot.next(logits)]++;
        }
        double z = Math.exp(0) + 2 * Math.exp(3) + Math.exp(1) + Math.exp(-2);
        assertEquals(20000 * Math.exp(1) / z, all[2], 5 * Math.sqrt(20000 * Math.exp(1) / z), "softmax frequency of logit 1");
        assertThrows(IllegalArgumentException.class, () -> new Sampler(-1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, -1, 0));
    }

    @Test
    void verificationReportsAgreement() {
        Model model = model(ALIBI + "sliding_window: 2\n");
        Generation.Result result = Generation.run(model, new int[] { 4, 8, 15, 16 }, 10, Sampler.greedy(), null, true, null);
        assertTrue(result.verification().matches());
        assertEquals(10, result.verification().steps());
        assertTrue(result.verification().largestLogitDifference() < 2e-5, "" + result.verification().largestLogitDifference());
        assertNotEquals(0, result.prefillNanos());
    }

    @Test
    void whatCachesCannotServeIsRefused() {
        assertRefused("architecture: rnope_swa\nembed_dim: 8\nhidden_size: 8\nnum_attention_heads: 2\nsliding_window: 4\n", "vocab_size");
        assertRefused(ALIBI.replace("output: logits\n", "output: all\n") + "sliding_window: 4\n", "output");
        assertRefused(ALIBI + "sliding_window: 4\ncausal: false\n", "causal");
        assertRefused(ALIBI + "sliding_window: 4\nglobal_tokens: [0]\n", "global_tokens");
        assertRefused(APE_LAST_LAYER.replace("  1: {position_embedding: ape}", "  0: {position_embedding: ape}") + "sliding_window: 4\n", "ape");
        assertRefused("architecture: ape\nvocab_size: 10\n", "output");
    }

    private static void assertRefused(String yaml, String key) {
        Model model = model(yaml);
        InputException e = assertThrows(InputException.class, () -> Generator.start(model, 10, null));
        assertTrue(e.getMessage().startsWith("generate.yaml: "), e.getMessage());
        assertTrue(e.getMessage().contains(key), key + " in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------------------

    private static Model model(String yaml) {
        return Model.build(ConfigLoader.parse(yaml, Path.of("generate.yaml")));
    }

    /** The ordinary forward pass over the whole sequence (no cache); the logits at its last position. */
    private static float[] lastLogitsOfForward(Model model, List<Integer> sequence) {
        int vocab = model.vocabSize();
        try (ModelExecution forward = model.prepare(RunShape.inference(1, sequence.size()), null)) {
            for (int i = 0; i < sequence.size(); i++) {
                forward.tokenInput().set(i, sequence.get(i));
            }
            FloatArray logits = forward.run();
            float[] last = new float[vocab];
            for (int v = 0; v < vocab; v++) {
                last[v] = logits.get((sequence.size() - 1) * vocab + v);
            }
            return last;
        }
    }

    private static void assertLogitsClose(float[] want, float[] got, double tolerance, String what) {
        for (int v = 0; v < want.length; v++) {
            if (!(Math.abs(got[v] - want[v]) <= tolerance * (1 + Math.abs(want[v])))) {
                fail(what + ": logit " + v + " is " + got[v] + " cached, " + want[v] + " recomputed");
            }
        }
    }

    private static boolean anyNonZero(FloatArray array) {
        for (int i = 0; i < array.getSize(); i++) {
            if (array.get(i) != 0f) {
                return true;
            }
        }
        return false;
    }
}
