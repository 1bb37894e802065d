package org.attentionlab.kernels;

import org.attentionlab.kernels.testing.AttentionAlgorithm;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import org.attentionlab.kernels.testing.AttentionCase;
import org.attentionlab.kernels.testing.AttentionRunner;
import org.attentionlab.kernels.testing.Close;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Each attention algorithm against the float64 reference on random cases: odd sizes, batch 1-3, seq 1-40, heads
 * 1-6 and 12 with kv heads dividing them, head_dim 1-24, every mask kind (full, causal, causal sliding windows
 * 1..L+3, bidirectional local windows, arbitrary (left, right) bands; a third with a window per head; causal kinds
 * mostly with the causal flag that binds global tokens too) with 0-3 global tokens, and every bias kind
 * (ALiBi with the reference or Edifice slopes, APE with random scales). Tolerance for all four fp32 kernels:
 * |got - want| <= 1e-5 + 1e-4 |want| (inputs in [-1, 1), |logits| below about 50).
 */
class AttentionKernelsPropertyTest {

    static final double ABS = 1e-5;
    static final double REL = 1e-4;
    static final int TRIES = 250;

    enum MaskKind {
        FULL, CAUSAL, CAUSAL_SLIDING, BIDIRECTIONAL_LOCAL, BAND
    }

    record HeadLayout(int heads, int kvHeads) {
    }

    record Shape(int batch, int seqLen, HeadLayout heads, int headDim) {
    }

    record Recipe(MaskKind mask, int windowDraw, int globalCount, int biasKind, int chunkDraw, long seed) {
    }

    @Property(tries = TRIES)
    void standardMatchesReference(@ForAll("cases") AttentionCase c) {
        check(AttentionAlgorithm.STANDARD, c);
    }

    @Property(tries = TRIES)
    void chunkedMatchesReference(@ForAll("cases") AttentionCase c) {
        check(AttentionAlgorithm.CHUNKED, c);
    }

    @Property(tries = TRIES)
    void memoryEfficientMatchesReference(@ForAll("cases") AttentionCase c) {
        check(AttentionAlgorithm.MEMORY_EFFICIENT, c);
    }

    @Property(tries = TRIES)
    void flashMatchesReference(@ForAll("cases") AttentionCase c) {
        check(AttentionAlgorithm.FLASH, c);
    }

    @Property(tries = TRIES)
    void flashTiledMatchesReference(@ForAll("cases") AttentionCase c) {
        check(AttentionAlgorithm.FLASH_TILED, c);
    }

    private static void check(AttentionAlgorithm algorithm, AttentionCase c) {
        Statistics.label("bias").collect(c.biasKind());
        Statistics.label("globals").collect(c.globalTokens().length);
        Close.assertClose(c.reference(), AttentionRunner.run(algorithm, c), ABS, REL, algorithm + " on " + c);
    }

    @Provide
    Arbitrary<AttentionCase> cases() {
        Arbitrary<Shape> shapes = Combinators.combine(Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 40), headLayouts(),
                Arbitraries.integers().between(1, 24)).as(Shape::new);
        Arbitrary<Recipe> recipes = Combinators.combine(Arbitraries.of(MaskKind.class), Arbitraries.integers().between(0, 10_000),
                Arbitraries.integers().between(0, 3), Arbitraries.of(PositionalBiases.NONE, PositionalBiases.ALIBI, PositionalBiases.APE),
                Arbitraries.integers().between(0, 10_000), Arbitraries.longs()).as(Recipe::new);
        return Combinators.combine(shapes, recipes).as(AttentionKernelsPropertyTest::build);
    }

    private static Arbitrary<HeadLayout> headLayouts() {
        List<HeadLayout> layouts = new ArrayList<>();
        for (int heads : new int[] { 1, 2, 3, 4, 5, 6, 12 }) {
            for (int kv = 1; kv <= heads; kv++) {
                if (heads % kv == 0) {
                    layouts.add(new HeadLayout(heads, kv));
                }
            }
        }
        return Arbitraries.of(layouts);
    }

    static AttentionCase build(Shape shape, Recipe recipe) {
        int L = shape.seqLen();
        int[] sides = window(recipe.mask(), recipe.windowDraw(), L);
        Random random = new Random(recipe.seed());
        TreeSet<Integer> globals = new TreeSet<>();
        int globalCount = Math.min(recipe.globalCount(), L);
        while (globals.size() < globalCount) {
            globals.add(random.nextInt(L));
        }
        int heads = shape.heads().heads();
        AttentionCase c = AttentionCase.random(random.nextLong(), shape.batch(), L, heads, shape.heads().kvHeads(), shape.headDim(), sides[0], sides[1],
                globals.stream().mapToInt(Integer::intValue).toArray());
        // A third of the cases give every head its own window of the same kind (multi-scale local attention).
        if (random.nextInt(3) == 0) {
            int[] perHead = new int[2 * heads];
            for (int h = 0; h < heads; h++) {
                int[] own = window(recipe.mask(), random.nextInt(10_000), L);
                perHead[2 * h] = own[0];
                perHead[2 * h + 1] = own[1];
            }
            c = c.withWindows(perHead);
        }
        // Causal masks bind the global tokens too (configs/README.md); a quarter keep the flag off, as do the two-sided kinds
        // (a band may take it either way).
        boolean causal = switch (recipe.mask()) {
            case CAUSAL, CAUSAL_SLIDING -> random.nextInt(4) != 0;
            case BAND -> random.nextBoolean();
            default -> false;
        };
        c = c.withCausal(causal);
        c = c.withChunkSize(1 + recipe.chunkDraw() % (L + 8));
        if (random.nextInt(4) == 0) {
            c = c.withScale(0.1f + random.nextFloat());
        }
        return switch (recipe.biasKind()) {
            case PositionalBiases.ALIBI -> c.withBias(PositionalBiases.ALIBI,
                    (random.nextBoolean() ? PositionalBiases.alibiSlopes(heads) : PositionalBiases.alibiSlopesEdifice(heads)).toHeapArray(), 0f);
            case PositionalBiases.APE -> c.withBias(PositionalBiases.APE, new float[] { 0f }, random.nextBoolean() ? 0.1f : random.nextFloat() * 4f - 2f);
            default -> c;
        };
    }

    /** (left, right) of a mask kind for a sequence of L positions, from a drawn number. */
    private static int[] window(MaskKind kind, int draw, int L) {
        return switch (kind) {
            case FULL -> draw % 2 == 0 ? new int[] { AttentionMasks.UNBOUNDED, AttentionMasks.UNBOUNDED } : new int[] { L, L };
            case CAUSAL -> new int[] { draw % 2 == 0 ? AttentionMasks.UNBOUNDED : L, 0 };
            case CAUSAL_SLIDING -> {
                AttentionMasks.Window w = AttentionMasks.Window.causalSliding(1 + draw % (L + 3));
                yield new int[] { w.left(), w.right() };
            }
            case BIDIRECTIONAL_LOCAL -> {
                AttentionMasks.Window w = AttentionMasks.Window.bidirectionalLocal(draw % (L + 4));
                yield new int[] { w.left(), w.right() };
            }
            case BAND -> new int[] { draw % (L + 3), (draw / 97) % (L + 3) };
        };
    }
}
