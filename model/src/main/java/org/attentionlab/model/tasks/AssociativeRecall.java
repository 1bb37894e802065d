package org.attentionlab.model.tasks;

/**
 * Multi-query associative recall (MQAR, Arora et al. 2023, "Zoology"): {@code pairs} key–value pairs, then
 * queries to the end of the sequence, each a key from the pairs followed by its value; the value after each query
 * is the target.
 *
 * <pre>
 *   [filler] k1 v1 k2 v2 ... kn vn  q v(q)  q' v(q')  ...      (seqLen + 1 tokens)
 * </pre>
 * Token 0 is the filler (one at the start when the query section would otherwise end on a key), keys are
 * {@code 1..keys} (the pairs use distinct keys) and values {@code keys+1..keys+values} (drawn independently, so two
 * keys may share a value). Queries draw keys uniformly from the pairs, so at longer sequences the first binding of
 * a key lies further back while later queries repeat bindings nearer by.
 */
public record AssociativeRecall(int pairs, int keys, int values) implements Task {

    public static final String NAME = "associative_recall";

    public AssociativeRecall {
        if (pairs < 1 || keys < pairs || values < 1) {
            throw new IllegalArgumentException("associative_recall needs 1 <= pairs <= keys and values >= 1, got pairs "
                    + pairs + ", keys " + keys + ", values " + values);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public TaskInput input() {
        return new TaskInput.Tokens(1 + keys + values);
    }

    /** The pairs, one query and its value: 2 pairs + 2 tokens, of which the model reads all but the last. */
    @Override
    public int minSeqLen() {
        return 2 * pairs + 1;
    }

    @Override
    public String describe() {
        return NAME + " (" + pairs + " pairs, keys 1-" + keys + ", values " + (keys + 1) + "-" + (keys + values) + ")";
    }

    @Override
    public Batch draw(long seed, long index, int batchSize, int seqLen) {
        checkShape(batchSize, seqLen);
        return TokenSequences.draw(seed, index, batchSize, seqLen, (random, sequence, answer) -> {
            int length = sequence.length;
            int[] pairKeys = distinctKeys(random);
            int[] pairValues = new int[pairs];
            for (int p = 0; p < pairs; p++) {
                pairValues[p] = keys + 1 + random.nextInt(values);
            }
            int padding = (length - 2 * pairs) % 2;
            int at = 0;
            for (; at < padding; at++) {
                sequence[at] = 0;
            }
            for (int p = 0; p < pairs; p++) {
                sequence[at++] = pairKeys[p];
                sequence[at++] = pairValues[p];
            }
            while (at < length) {
                int p = random.nextInt(pairs);
                sequence[at++] = pairKeys[p];
                answer[at] = true;
                sequence[at++] = pairValues[p];
            }
        });
    }

    /** {@code pairs} distinct keys from 1..keys, by a partial Fisher–Yates shuffle. */
    private int[] distinctKeys(java.util.SplittableRandom random) {
        int[] all = new int[keys];
        for (int i = 0; i < keys; i++) {
            all[i] = i + 1;
        }
        for (int i = 0; i < pairs; i++) {
            int j = i + random.nextInt(keys - i);
            int swap = all[i];
            all[i] = all[j];
            all[j] = swap;
        }
        return java.util.Arrays.copyOf(all, pairs);
    }
}
