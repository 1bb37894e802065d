package org.attentionlab.model.config;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

import org.attentionlab.model.io.UnusableFileException;
import org.attentionlab.model.io.InputFiles;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.Parser;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * One YAML config file composed to SnakeYAML nodes (never constructed to Java objects, so no type from the file
 * is ever instantiated), with the limits that keep a hostile file cheap: size, alias count, nesting depth.
 */
final class YamlFile {

    static final int MAX_BYTES = 1 << 20;
    static final int MAX_ALIASES_FOR_COLLECTIONS = 50;
    static final int MAX_NESTING_DEPTH = 20;

    /** Explicit tags a file may carry: the YAML core schema. Anything else (!!python/..., !custom) is refused. */
    private static final Set<String> ALLOWED_EXPLICIT_TAGS = Set.of(
            Tag.STR.getValue(), Tag.INT.getValue(), Tag.FLOAT.getValue(), Tag.BOOL.getValue(), Tag.NULL.getValue(),
            Tag.MAP.getValue(), Tag.SEQ.getValue());

    static final String SYNTAX_KEY = "yaml";
    static final String CANNOT_READ = "cannot read the config: ";
    static final String NOT_YAML = "not a config: a config is a YAML file named *.yaml or *.yml (its content is not shown)";

    final String name;
    final MappingNode root;

    private YamlFile(String name, MappingNode root) {
        this.name = name;
        this.root = root;
    }

    /**
     * Reads a config file: a regular file named *.yaml or *.yml, at most {@link #MAX_BYTES} bytes however large it
     * claims to be. Only YAML files are parsed, so an error never shows a line of another file (an {@code extends}
     * naming /etc/shadow gets no further than its name).
     */
    static YamlFile read(Path path) throws ConfigException {
        String name = path.toString();
        byte[] bytes;
        try (FileChannel channel = InputFiles.openRegularFile(path)) {
            if (!hasYamlName(path)) {
                throw new ConfigException(name, NOT_YAML, null);
            }
            bytes = InputFiles.readAtMost(channel, MAX_BYTES);
        } catch (UnusableFileException e) {
            throw new ConfigException(name, CANNOT_READ + e.reason(), e);
        } catch (IOException e) {
            throw new ConfigException(name, CANNOT_READ + e.getMessage(), e);
        }
        if (bytes.length > MAX_BYTES) {
            long size = bytes.length;
            try {
                size = Math.max(size, Files.size(path));
            } catch (IOException e) {
                // the size is only for the message; what was read already proves the file too large
            }
            throw new ConfigException(name, "the config is " + (size > bytes.length ? size : "more than " + MAX_BYTES)
                    + " bytes; the limit is " + MAX_BYTES, null);
        }
        return parse(decodeUtf8(name, bytes), name);
    }

    /** Whether the file's name, and the name of what a link points at, end in .yaml or .yml. */
    static boolean hasYamlName(Path path) {
        if (!isYamlName(path)) {
            return false;
        }
        try {
            return isYamlName(path.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isYamlName(Path path) {
        Path fileName = path.getFileName();
        String lower = fileName == null ? "" : fileName.toString().toLowerCase(Locale.ROOT);
        return lower.endsWith(".yaml") || lower.endsWith(".yml");
    }

    static YamlFile parse(String text, String name) throws ConfigException {
        if (text.length() > MAX_BYTES) {
            throw new ConfigException(name, "the config is " + text.length() + " characters; the limit is " + MAX_BYTES,
                    null);
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(MAX_ALIASES_FOR_COLLECTIONS);
        options.setNestingDepthLimit(MAX_NESTING_DEPTH);
        options.setCodePointLimit(MAX_BYTES);
        options.setProcessComments(false);
        options.setMergeOnCompose(false);
        TagCheckingParser parser;
        Node root;
        try {
            parser = new TagCheckingParser(new ParserImpl(new StreamReader(new StringReader(text)), options));
        } catch (YAMLException e) {
            throw new ConfigException(name, CANNOT_READ + e.getMessage(), e);
        }
        try {
            root = new Composer(parser, new Resolver(), options).getSingleNode();
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() == null ? "malformed YAML" : e.getProblem();
            if (e.getContext() != null) {
                problem = e.getContext() + ": " + problem;
            }
            throw at(name, mark, SYNTAX_KEY, problem);
        } catch (ReaderException e) {
            int[] position = position(text, e.getPosition());
            throw new ConfigException(name, position[0], position[1], SYNTAX_KEY,
                    String.format("special character U+%04X is not allowed", e.getCodePoint()));
        } catch (YAMLException e) {
            // Limits (aliases, nesting, size) are reported without a mark; the event that tripped them has one.
            throw at(name, parser.lastMark, SYNTAX_KEY, e.getMessage());
        }
        if (root == null) {
            throw new ConfigException(name, 1, 1, SYNTAX_KEY,
                    "the file is empty; expected a mapping such as 'architecture: rnope_swa'");
        }
        if (!(root instanceof MappingNode mapping)) {
            throw at(name, root.getStartMark(), SYNTAX_KEY,
                    "expected a mapping of keys to values at the top level, got " + Value.describeNode(root));
        }
        return new YamlFile(name, mapping);
    }

    static ConfigException at(String file, Mark mark, String keyPath, String problem) {
        if (mark == null) {
            return new ConfigException(file, 1, 1, keyPath, problem);
        }
        return new ConfigException(file, mark.getLine() + 1, mark.getColumn() + 1, keyPath, problem);
    }

    ConfigException error(Node node, String keyPath, String problem) {
        return at(name, node.getStartMark(), keyPath, problem);
    }

    private static String decodeUtf8(String name, byte[] bytes) throws ConfigException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int offset = in.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            throw new ConfigException(name, line, offset - lineStart + 1, SYNTAX_KEY,
                    String.format("the file is not valid UTF-8 (byte 0x%02X)", bytes[offset] & 0xFF));
        }
        decoder.flush(out);
        out.flip();
        return out.toString();
    }

    /** 1-based line and column of a code-point index in text. */
    private static int[] position(String text, int codePointIndex) {
        int line = 1;
        int column = 1;
        int seen = 0;
        for (int i = 0; i < text.length() && seen < codePointIndex; i += Character.charCount(text.codePointAt(i))) {
            if (text.charAt(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
            seen++;
        }
        return new int[] {line, column};
    }

    /** Refuses explicit non-core tags as the events stream by, and remembers where the last event started. */
    private static final class TagCheckingParser implements Parser {
        private final Parser delegate;
        Mark lastMark;

        TagCheckingParser(Parser delegate) {
            this.delegate = delegate;
        }

        @Override
        public boolean checkEvent(Event.ID choice) {
            return delegate.checkEvent(choice);
        }

        @Override
        public Event peekEvent() {
            return delegate.peekEvent();
        }

        @Override
        public Event getEvent() {
            Event event = delegate.getEvent();
            lastMark = event.getStartMark();
            String tag = null;
            if (event instanceof ScalarEvent scalar) {
                tag = scalar.getTag();
            } else if (event instanceof CollectionStartEvent collection) {
                tag = collection.getTag();
            }
            if (tag != null && !ALLOWED_EXPLICIT_TAGS.contains(tag)) {
                throw new RefusedTag(tag, event.getStartMark());
            }
            return event;
        }
    }

    private static final class RefusedTag extends MarkedYAMLException {
        private static final long serialVersionUID = 1L;

        RefusedTag(String tag, Mark mark) {
            super(null, null, "explicit tag '" + shortTag(tag) + "' is not allowed (configs are plain data)", mark);
        }

        private static String shortTag(String tag) {
            return tag.startsWith(Tag.PREFIX) ? "!!" + tag.substring(Tag.PREFIX.length()) : tag;
        }
    }
}
