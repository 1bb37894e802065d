package org.attentionlab.model.tasks;

import java.nio.charset.StandardCharsets;

/**
 * Passkey retrieval (Mohtashami &amp; Jaggi 2023), byte-level: a number of {@code digits} digits is hidden in
 * filler text at a chosen depth and asked for at the end; the digits of the answer are the targets.
 *
 * <pre>
 *   The grass is green. The sky is blue. ... The pass key is 71432. Remember it. 71432 is the pass key. The grass
 *   ... What is the pass key? The pass key is 71432
 * </pre>
 * Tokens are bytes (vocabulary 256). {@code depth} places the needle: 0 right at the start, 1 right before the
 * question, in between a fraction of the filler before it; null draws the depth uniformly for every row. The
 * distance between the needle and the question is about {@code (1 - depth) x (seqLen - 110)} positions.
 */
public record PasskeyRetrieval(int digits, Double depth) implements Task {

    public static final String NAME = "passkey_retrieval";
    static final String FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. ";

    public PasskeyRetrieval {
        if (digits < 1 || digits > 32) {
            throw new IllegalArgumentException("passkey_retrieval needs 1..32 digits, got " + digits);
        }
        if (depth != null && !(depth >= 0 && depth <= 1)) {
            throw new IllegalArgumentException("passkey_retrieval depth must lie in [0, 1], got " + depth);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public TaskInput input() {
        return new TaskInput.Tokens(256);
    }

    @Override
    public int minSeqLen() {
        String key = "0".repeat(digits);
        return needle(key).length() + question(key).length() - 1;
    }

    @Override
    public String describe() {
        return NAME + " (" + digits + " digits, depth " + (depth == null ? "random" : depth) + ", bytes)";
    }

    static String needle(String key) {
        return "The pass key is " + key + ". Remember it. " + key + " is the pass key. ";
    }

    static String question(String key) {
        return "What is the pass key? The pass key is " + key;
    }

    @Override
    public Batch draw(long seed, long index, int batchSize, int seqLen) {
        checkShape(batchSize, seqLen);
        return TokenSequences.draw(seed, index, batchSize, seqLen, (random, sequence, answer) -> {
            StringBuilder key = new StringBuilder(digits);
            for (int i = 0; i < digits; i++) {
                key.append((char) ('0' + random.nextInt(10)));
            }
            byte[] needle = needle(key.toString()).getBytes(StandardCharsets.US_ASCII);
            byte[] question = question(key.toString()).getBytes(StandardCharsets.US_ASCII);
            int filler = sequence.length - needle.length - question.length;
            double where = depth != null ? depth : random.nextDouble();
            int before = (int) Math.round(where * filler);
            int at = 0;
            for (int i = 0; i < before; i++) {
                sequence[at++] = FILLER.charAt(i % FILLER.length());
            }
            for (byte b : needle) {
                sequence[at++] = b;
            }
            for (int i = before; i < filler; i++) {
                sequence[at++] = FILLER.charAt(i % FILLER.length());
            }
            for (byte b : question) {
                sequence[at++] = b;
            }
            for (int i = sequence.length - digits; i < sequence.length; i++) {
                answer[i] = true;
            }
        });
    }
}
