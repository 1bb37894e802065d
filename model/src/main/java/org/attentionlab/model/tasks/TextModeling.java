package org.attentionlab.model.tasks;

import java.util.Arrays;

/**
 * Byte-level language modelling of a text the user names: every row is a window of the text at a seeded random
 * offset, and every position's next byte is a target. Tokens are bytes (vocabulary 256).
 *
 * @param source what the text is called in logs (its file name)
 * @param bytes the whole text
 */
public record TextModeling(String source, byte[] bytes) implements Task {

    public static final String NAME = "text";

    public TextModeling {
        bytes = bytes.clone();
        if (bytes.length < 2) {
            throw new IllegalArgumentException(source + ": a text to model needs at least 2 bytes, it has " + bytes.length);
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
        return 1;
    }

    /** The longest sequence the text allows: one byte fewer than it has. */
    public int maxSeqLen() {
        return bytes.length - 1;
    }

    @Override
    public String describe() {
        return NAME + " (" + source + ", " + bytes.length + " bytes)";
    }

    @Override
    public Batch draw(long seed, long index, int batchSize, int seqLen) {
        checkShape(batchSize, seqLen);
        if (seqLen > maxSeqLen()) {
            throw new IllegalArgumentException(source + " has " + bytes.length + " bytes: too short for sequences of "
                    + seqLen + " positions (at most " + maxSeqLen() + ")");
        }
        return TokenSequences.draw(seed, index, batchSize, seqLen, (random, sequence, answer) -> {
            int start = random.nextInt(bytes.length - sequence.length + 1);
            for (int i = 0; i < sequence.length; i++) {
                sequence[i] = bytes[start + i] & 0xFF;
            }
            Arrays.fill(answer, 1, answer.length, true);
        });
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TextModeling text && text.source.equals(source) && Arrays.equals(text.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return source.hashCode() * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return describe();
    }
}
