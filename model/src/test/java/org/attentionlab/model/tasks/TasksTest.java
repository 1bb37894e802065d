package org.attentionlab.model.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Each task checked by reading its batches back the way a person would, not by re-running its generator. */
class TasksTest {

    private static final List<Task> TOKEN_TASKS = List.of(new AssociativeRecall(8, 16, 16), new Copying(16),
            new PasskeyRetrieval(5, null), new TextModeling("abc.txt", "abcdefghijklmnopqrstuvwxyz".repeat(100).getBytes(StandardCharsets.US_ASCII)));

    @Property(tries = 60)
    void everyTokenTaskIsDeterministicInRangeAndEndsOnATarget(@ForAll @IntRange(min = 0, max = 3) int which, @ForAll @LongRange(min = -5, max = 5) long seed,
            @ForAll @IntRange(min = 0, max = 1000) int index, @ForAll @IntRange(min = 1, max = 4) int batchSize, @ForAll @IntRange(min = 0, max = 600) int extra) {
        Task task = TOKEN_TASKS.get(which);
        int seqLen = task.minSeqLen() + extra;
        Batch.Tokens batch = (Batch.Tokens) task.draw(seed, index, batchSize, seqLen);
        Batch.Tokens again = (Batch.Tokens) task.draw(seed, index, batchSize, seqLen);
        assertArrayEquals(batch.inputs(), again.inputs());
        assertArrayEquals(batch.targets(), again.targets());
        int vocab = ((TaskInput.Tokens) task.input()).vocabSize();
        for (int i = 0; i < batch.inputs().length; i++) {
            assertTrue(batch.inputs()[i] >= 0 && batch.inputs()[i] < vocab, "input id in range");
            int target = batch.targets()[i];
            assertTrue(target == Batch.IGNORED || target >= 0 && target < vocab, "target id in range");
        }
        for (int row = 0; row < batchSize; row++) {
            assertNotEquals(Batch.IGNORED, batch.targets()[row * seqLen + seqLen - 1], "the last position of every row is a target");
            // next-token: a counted target at t is the input at t + 1
            for (int t = 0; t + 1 < seqLen; t++) {
                int target = batch.targets()[row * seqLen + t];
                if (target != Batch.IGNORED) {
                    assertEquals(batch.inputs()[row * seqLen + t + 1], target);
                }
            }
        }
    }

    @Test
    void rowsDependOnSeedIndexAndRowOnly() {
        Task task = new AssociativeRecall(4, 8, 8);
        Batch.Tokens four = (Batch.Tokens) task.draw(7, 3, 4, 40);
        Batch.Tokens two = (Batch.Tokens) task.draw(7, 3, 2, 40);
        assertArrayEquals(Arrays.copyOf(four.inputs(), 80), two.inputs(), "a row does not depend on the batch size");
        Batch.Tokens nextIndex = (Batch.Tokens) task.draw(7, 4, 2, 40);
        Batch.Tokens otherSeed = (Batch.Tokens) task.draw(8, 3, 2, 40);
        assertFalse(Arrays.equals(two.inputs(), nextIndex.inputs()));
        assertFalse(Arrays.equals(two.inputs(), otherSeed.inputs()));
        assertFalse(Arrays.equals(Arrays.copyOfRange(four.inputs(), 0, 40), Arrays.copyOfRange(four.inputs(), 40, 80)), "rows differ");
    }

    @Property(tries = 40)
    void associativeRecallAsksForTheValueBoundToTheKey(@ForAll @IntRange(min = 1, max = 12) int pairs, @ForAll @IntRange(min = 0, max = 200) int extra,
            @ForAll @LongRange(min = 0, max = 1000) long seed) {
        AssociativeRecall task = new AssociativeRecall(pairs, 12, 10);
        int seqLen = task.minSeqLen() + extra;
        Batch.Tokens batch = (Batch.Tokens) task.draw(seed, 0, 1, seqLen);
        int[] x = batch.inputs();
        // read the bindings from the start of the sequence: after an optional filler 0, pairs of (key, value)
        int start = x[0] == 0 ? 1 : 0;
        Map<Integer, Integer> bound = new HashMap<>();
        for (int p = 0; p < pairs; p++) {
            int key = x[start + 2 * p];
            int value = x[start + 2 * p + 1];
            assertTrue(key >= 1 && key <= 12, "a key");
            assertTrue(value >= 13 && value <= 22, "a value");
            assertEquals(null, bound.put(key, value), "keys are distinct");
        }
        int counted = 0;
        for (int t = 0; t < seqLen; t++) {
            if (batch.targets()[t] != Batch.IGNORED) {
                counted++;
                assertTrue(t >= start + 2 * pairs, "only queries after the pairs are asked");
                assertEquals(bound.get(x[t]), batch.targets()[t], "the target is the value bound to the query key");
            }
        }
        assertEquals((seqLen + 1 - start - 2 * pairs) / 2, counted, "every query after the pairs counts");
    }

    @Test
    void associativeRecallAtItsShortestLengthAsksOneQuery() {
        AssociativeRecall task = new AssociativeRecall(3, 5, 5);
        Batch.Tokens batch = (Batch.Tokens) task.draw(1, 0, 1, 7);
        assertEquals(1, batch.countedPositions());
        assertThrows(IllegalArgumentException.class, () -> task.draw(1, 0, 1, 6));
    }

    @Property(tries = 30)
    void copyingRepeatsTheSegmentAfterTheSeparator(@ForAll @IntRange(min = 2, max = 300) int seqLen, @ForAll @LongRange(min = 0, max = 100) long seed) {
        Batch.Tokens batch = (Batch.Tokens) new Copying(10).draw(seed, 2, 1, seqLen);
        String text = Arrays.toString(batch.inputs());
        int[] x = batch.inputs();
        // rebuild the whole sequence: inputs plus the last target
        int[] s = Arrays.copyOf(x, seqLen + 1);
        s[seqLen] = batch.targets()[seqLen - 1];
        int segment = seqLen / 2;
        int separator = seqLen - segment;
        assertEquals(0, s[separator], text);
        for (int i = 0; i < segment; i++) {
            assertEquals(s[separator - segment + i], s[separator + 1 + i], text);
            assertTrue(s[separator + 1 + i] >= 1);
        }
        assertEquals(segment, batch.countedPositions());
    }

    @Test
    void passkeyHidesTheAnsweredNumberAtTheRequestedDepth() {
        int seqLen = 400;
        for (double depth : new double[] {0.0, 0.5, 1.0}) {
            Batch.Tokens batch = (Batch.Tokens) new PasskeyRetrieval(5, depth).draw(3, 9, 1, seqLen);
            byte[] bytes = new byte[seqLen + 1];
            for (int t = 0; t < seqLen; t++) {
                bytes[t] = (byte) batch.inputs()[t];
            }
            bytes[seqLen] = (byte) batch.targets()[seqLen - 1];
            String text = new String(bytes, StandardCharsets.US_ASCII);
            assertTrue(text.endsWith(text.substring(text.length() - 5)) && text.matches("(?s).*The pass key is \\d{5}$"), text);
            String answer = text.substring(text.length() - 5);
            int needle = text.indexOf("The pass key is " + answer + ". Remember it. " + answer + " is the pass key. ");
            assertTrue(needle >= 0, text);
            int question = text.indexOf("What is the pass key?");
            int filler = seqLen + 1 - 59 - 43; // the needle has 59 bytes, the question 43
            assertEquals(Math.round(depth * filler), needle, "needle at depth " + depth);
            assertTrue(needle < question);
            StringBuilder targets = new StringBuilder();
            for (int t = 0; t < seqLen; t++) {
                if (batch.targets()[t] != Batch.IGNORED) {
                    targets.append((char) batch.targets()[t]);
                }
            }
            assertEquals(answer, targets.toString(), "the targets are the answer's digits");
        }
    }

    @Test
    void passkeyMinimumLengthHoldsNeedleAndQuestion() {
        PasskeyRetrieval task = new PasskeyRetrieval(5, null);
        assertEquals(59 + 43 - 1, task.minSeqLen());
        task.draw(0, 0, 2, task.minSeqLen());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> task.draw(0, 0, 1, task.minSeqLen() - 1));
        assertTrue(e.getMessage().startsWith("passkey_retrieval needs sequences of at least 101 positions"), e.getMessage());
    }

    @Property(tries = 20)
    void delayedRecallTargetsTheInputDelayStepsBack(@ForAll @IntRange(min = 0, max = 20) int delay, @ForAll @IntRange(min = 0, max = 50) int extra) {
        DelayedRecall task = new DelayedRecall(delay, 6, 4);
        int seqLen = delay + 1 + extra;
        Batch.Features batch = (Batch.Features) task.draw(11, 5, 2, seqLen);
        for (int row = 0; row < 2; row++) {
            for (int t = 0; t < seqLen; t++) {
                int position = row * seqLen + t;
                assertEquals(t >= delay ? 1 : 0, batch.counted()[position]);
                for (int f = 0; f < 4; f++) {
                    float expected = t >= delay ? batch.inputs()[(position - delay) * 6 + f] : 0f;
                    assertEquals(expected, batch.targets()[position * 4 + f]);
                }
            }
        }
        assertEquals(2 * (seqLen - delay), batch.countedPositions());
        double sum = 0;
        double squares = 0;
        for (float v : batch.inputs()) {
            sum += v;
            squares += v * v;
        }
        int n = batch.inputs().length;
        assertTrue(Math.abs(sum / n) < 0.5 && Math.abs(squares / n - 1) < 0.6, "inputs look standard normal");
    }

    @Test
    void textWindowsAreWindowsOfTheText() {
        byte[] text = "It was the best of times, it was the worst of times.".getBytes(StandardCharsets.US_ASCII);
        TextModeling task = new TextModeling("dickens.txt", text);
        String whole = new String(text, StandardCharsets.US_ASCII);
        Batch.Tokens batch = (Batch.Tokens) task.draw(5, 1, 3, 20);
        for (int row = 0; row < 3; row++) {
            StringBuilder window = new StringBuilder();
            for (int t = 0; t < 20; t++) {
                window.append((char) batch.inputs()[row * 20 + t]);
            }
            window.append((char) batch.targets()[row * 20 + 19]);
            assertTrue(whole.contains(window), window.toString());
        }
        assertEquals(60, batch.countedPositions());
        assertEquals(text.length - 1, task.maxSeqLen());
        task.draw(0, 0, 1, task.maxSeqLen());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> task.draw(0, 0, 1, text.length));
        assertEquals("dickens.txt has 52 bytes: too short for sequences of 52 positions (at most 51)", tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TextModeling("one.txt", new byte[1]));
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AssociativeRecall(5, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> new AssociativeRecall(0, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> new Copying(1));
        assertThrows(IllegalArgumentException.class, () -> new PasskeyRetrieval(0, null));
        assertThrows(IllegalArgumentException.class, () -> new PasskeyRetrieval(5, 1.5));
        assertThrows(IllegalArgumentException.class, () -> new DelayedRecall(2, 4, 5));
        assertThrows(IllegalArgumentException.class, () -> new Copying(4).draw(0, 0, 0, 10));
    }
}
