package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits and strictness of the YAML layer: what a hostile or sloppy file cannot do. */
class LoaderSafetyTest {

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void missingFileNamesTheFile() {
        Path missing = dir.resolve("nope.yaml");
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing));
        assertEquals(missing + ": cannot read the config: no such file", error.getMessage());
        assertEquals(0, error.line());
    }

    @Test
    void directoryIsNotAConfig() {
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir));
        assertEquals(dir + ": cannot read the config: it is a directory, not a regular file", error.getMessage());
    }

    @Test
    void filesOverOneMebibyteAreRefusedBeforeParsing() throws IOException {
        StringBuilder text = new StringBuilder("architecture: rnope_swa\nembed_dim: 8\n");
        while (text.length() <= YamlFile.MAX_BYTES) {
            text.append("# padding padding padding padding padding padding padding padding\n");
        }
        Path file = write("big.yaml", text.toString());
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(file + ": the config is " + Files.size(file) + " bytes; the limit is 1048576",
                error.getMessage());
    }

    @Test
    void fiftyCollectionAliasesAreFineAndTheFiftyFirstIsNot() throws IOException, ConfigException {
        StringBuilder aliased = new StringBuilder("architecture: rnope_swa\nembed_dim: 8\nnum_hidden_layers: 60\n"
                + "layers:\n  0: &on {qk_norm: true}\n");
        for (int i = 1; i <= 50; i++) {
            aliased.append("  ").append(i).append(": *on\n");
        }
        ModelSpec ok = ConfigLoader.load(write("fifty.yaml", aliased.toString()));
        assertEquals(51, ok.blocks().stream().filter(b -> b.attention().qkNorm()).count());
        aliased.append("  51: *on\n");
        Path tooMany = write("fifty-one.yaml", aliased.toString());
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(tooMany));
        assertEquals(tooMany + ":56:7: yaml: Number of aliases for non-scalar nodes exceeds the specified max=50",
                error.getMessage());
    }

    @Test
    void deepNestingIsRefused() throws IOException {
        String deep = "architecture: rnope_swa\nembed_dim: 8\nglobal_tokens: " + "[".repeat(60) + "]".repeat(60)
                + "\n";
        Path file = write("deep.yaml", deep);
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertTrue(error.getMessage().startsWith(file + ":3:"), error.getMessage());
        assertTrue(error.getMessage().contains(": yaml: Nesting Depth exceeded max 20"), error.getMessage());
    }

    @Test
    void coreTagsAreAllowedAndStillTypeChecked() throws IOException, ConfigException {
        ModelSpec config = ConfigLoader.load(write("tags.yaml",
                "architecture: !!str rnope_swa\nembed_dim: !!int 8\ndevice: !!str jvm\n"));
        assertEquals(8, config.settings().get(Keys.EMBED_DIM));
        Path quoted = write("quoted.yaml", "architecture: rnope_swa\nembed_dim: !!str 8\n");
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(quoted));
        assertEquals(quoted + ":2:12: embed_dim: expected an integer, got '8'", error.getMessage());
    }

    @Test
    void customTagsAreRefusedWherever() throws IOException {
        Path file = write("custom.yaml",
                "architecture: rnope_swa\nembed_dim: 8\nlayers:\n  0: !setting {qk_norm: true}\n");
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(file + ":4:6: yaml: explicit tag '!setting' is not allowed (configs are plain data)",
                error.getMessage());
    }

    @Test
    void byteOrderMarkAndWindowsLineEndingsAreAccepted() throws IOException, ConfigException {
        Path file = dir.resolve("bom.yaml");
        Files.write(file, "\uFEFFarchitecture: rnope_swa\r\nembed_dim: 8\r\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(8, ConfigLoader.load(file).settings().get(Keys.EMBED_DIM));
    }

    @Test
    void scalarAliasesResolveToTheirValue() throws IOException, ConfigException {
        ModelSpec config = ConfigLoader.load(write("alias.yaml",
                "architecture: rnope_swa\nembed_dim: &width 96\nhidden_size: *width\nnum_attention_heads: 3\n"));
        assertEquals(96, config.hiddenSize());
    }

    @Test
    void integersTooLargeForALongAreReportedAsSuch() throws IOException {
        Path file = write("huge.yaml", "architecture: rnope_swa\nembed_dim: 8\nseed: 99999999999999999999\n");
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(file + ":3:7: seed: integer 99999999999999999999 is too large", error.getMessage());
    }

    @Test
    void multiLineValuesAreQuotedOnOneLine() throws IOException {
        Path file = write("multiline.yaml", "architecture: rnope_swa\nembed_dim: 8\ndevice: |\n  jvm\n  more\n");
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(file + ":3:9: device: expected jvm or tornado:<backend>:<device> (such as tornado:0:0),"
                + " got 'jvm\\nmore\\n' (a quoted string)", error.getMessage());
    }

    @Test
    void parseNamesTheGivenSourceInMessages() {
        ConfigException error = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("architecture: rnope_swa\nembed_dim: 8\nwindow_size: 4\n",
                        Path.of("inline.yaml")));
        assertEquals("inline.yaml:3:1: window_size: unknown key (did you mean sliding_window?)", error.getMessage());
    }
}
