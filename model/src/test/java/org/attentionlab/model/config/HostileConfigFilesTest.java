package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.attentionlab.model.io.SpecialFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config paths that are not config files: devices that never end, FIFOs that never open, files that are not YAML
 * (whose content an error must not show), as the config itself or through {@code extends}.
 */
class HostileConfigFilesTest {

    private static final String SECRET = "root:x:0:0:secret-content-here";

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static ConfigException refused(Path config) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(ConfigException.class, () -> ConfigLoader.load(config)));
    }

    @Test
    void anEndlessDeviceIsRefusedAtOnceAsConfigAndAsBase() throws Exception {
        Path zero = SpecialFiles.characterDevice(dir.resolve("zero.yaml"), 1, 5);
        assertEquals(zero + ": cannot read the config: it is a character device, not a regular file", refused(zero).getMessage());
        Path child = write("child.yaml", "extends: zero.yaml\n");
        assertEquals(child + ":1:10: extends: cannot read " + zero + ": it is a character device, not a regular file", refused(child).getMessage());
    }

    @Test
    void aFifoWithoutAWriterIsRefusedInsteadOfWaitingForever() throws Exception {
        Path fifo = SpecialFiles.fifo(dir.resolve("pipe.yaml"));
        assertEquals(fifo + ": cannot read the config: it is a FIFO (named pipe), not a regular file", refused(fifo).getMessage());
        Path child = write("child.yaml", "architecture: rnope_swa\nextends: pipe.yaml\n");
        assertEquals(child + ":2:10: extends: cannot read " + fifo + ": it is a FIFO (named pipe), not a regular file", refused(child).getMessage());
    }

    @Test
    void aFileThatIsNotYamlIsNeverQuoted() throws IOException {
        // each of these made the old loader quote the file: a scalar, a syntax error, a key-like line
        for (String content : List.of(SECRET + "\ndaemon:x:1:1\n", SECRET + "\nkey: [unclosed\n", SECRET + ":::\n")) {
            Path secret = write("passwd", content);
            Path child = write("child.yaml", "extends: passwd\n");
            String message = refused(child).getMessage();
            assertEquals(child + ":1:10: extends: cannot use " + secret + ": " + YamlFile.NOT_YAML, message);
            String direct = refused(secret).getMessage();
            assertEquals(secret + ": " + YamlFile.NOT_YAML, direct);
            assertFalse((message + direct).contains("secret-content"), message + direct);
        }
    }

    @Test
    void aYamlNamedLinkToAFileThatIsNotYamlIsNotRead() throws IOException {
        Path secret = write("shadow", SECRET + ":::\n");
        Path link = Files.createSymbolicLink(dir.resolve("innocent.yaml"), secret);
        String message = refused(link).getMessage();
        assertEquals(link + ": " + YamlFile.NOT_YAML, message);
    }

    @Test
    void ymlIsAYamlNameToo() throws IOException, ConfigException {
        Path config = write("small.yml", "architecture: rnope_swa\nembed_dim: 8\nnum_attention_heads: 2\n");
        assertEquals(new org.attentionlab.model.spec.InputSpec.Features(8, java.util.Optional.empty()), ConfigLoader.load(config).input());
    }
}
