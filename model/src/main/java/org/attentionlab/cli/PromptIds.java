package org.attentionlab.cli;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/** A prompt file of token ids: decimal integers separated by whitespace (spaces, tabs, newlines), each in the vocabulary. */
final class PromptIds {

    private PromptIds() {
    }

    /**
     * The ids of {@code bytes} (the file's content); a word that is not an id in {@code [0, vocab)} is one line naming
     * the file, the line and the word.
     */
    static int[] parse(Path file, byte[] bytes, int vocab) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new UsageException(file + ": not text (invalid UTF-8); this model takes whitespace-separated token ids");
        }
        int[] ids = new int[16];
        int count = 0;
        String[] lines = text.split("\n", -1);
        for (int line = 0; line < lines.length; line++) {
            for (String word : lines[line].trim().split("\\s+")) {
                if (word.isEmpty()) {
                    continue;
                }
                int id = id(file, line + 1, word, vocab);
                if (count == ids.length) {
                    ids = Arrays.copyOf(ids, 2 * count);
                }
                ids[count++] = id;
            }
        }
        return Arrays.copyOf(ids, count);
    }

    private static int id(Path file, int line, String word, int vocab) {
        String shown = word.length() > 20 ? word.substring(0, 20) + "..." : word;
        if (!word.matches("[+-]?[0-9]+")) {
            throw new UsageException(file + ": line " + line + ": '" + shown + "' is not a token id (this model takes whitespace-separated decimal ids)");
        }
        long id;
        try {
            id = Long.parseLong(word);
        } catch (NumberFormatException e) {
            id = Long.MAX_VALUE;
        }
        if (id < 0 || id >= vocab) {
            throw new UsageException(file + ": line " + line + ": token id " + shown + " is outside the vocabulary [0, " + vocab + ")");
        }
        return (int) id;
    }
}
