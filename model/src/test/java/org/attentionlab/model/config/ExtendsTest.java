package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.LayerType;
import org.attentionlab.model.spec.PositionEmbedding;
import org.attentionlab.model.spec.Window;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code extends:}: key-by-key override of a base config, resolved relative to the extending file. */
class ExtendsTest {

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    @Test
    void childKeysReplaceBaseKeysAndEverythingElseIsInherited() throws IOException, ConfigException {
        write("base.yaml", "architecture: rnope_swa\nembed_dim: 32\nsliding_window: 16\nqk_norm: true\n");
        Path child = write("sweeps/child.yaml", "extends: ../base.yaml\nsliding_window: 8\n");
        ModelSpec config = ConfigLoader.load(child);
        assertEquals(child, config.source());
        assertEquals(32, config.settings().get(Keys.EMBED_DIM));
        assertEquals(new Window.Sliding(8), config.settings().get(Keys.SLIDING_WINDOW));
        assertEquals(true, config.settings().get(Keys.QK_NORM));
        assertEquals(true, config.blocks().get(0).attention().qkNorm());
    }

    @Test
    void extendingWithNothingNewEqualsTheBase() throws IOException, ConfigException {
        Path base = write("base.yaml",
                "architecture: rnope_swa_hybrid\nembed_dim: 32\nlayers:\n  0: {qk_norm: true}\n");
        Path child = write("child.yaml", "extends: base.yaml\n");
        ModelSpec fromBase = ConfigLoader.load(base);
        ModelSpec fromChild = ConfigLoader.load(child);
        assertEquals(fromBase.blocks(), fromChild.blocks());
        assertEquals(fromBase.settings(), fromChild.settings());
        assertEquals(fromBase.oneLine(), fromChild.oneLine());
    }

    @Test
    void layerEntriesOfBothFilesApplyBaseFirst() throws IOException, ConfigException {
        write("base.yaml", """
                architecture: rnope_swa
                embed_dim: 32
                num_hidden_layers: 3
                layers:
                  all: {position_embedding: alibi}
                  0: {qk_norm: true}
                """);
        Path child = write("child.yaml", """
                extends: base.yaml
                layers:
                  0-1: {position_embedding: rope}
                """);
        ModelSpec config = ConfigLoader.load(child);
        assertEquals(List.of(PositionEmbedding.ROPE, PositionEmbedding.ROPE, PositionEmbedding.ALIBI),
                config.blocks().stream().map(BlockSpec::positionEmbedding).toList());
        assertEquals(List.of(true, false, false), config.blocks().stream().map(b -> b.attention().qkNorm()).toList());
    }

    @Test
    void layerTypesInTheChildReplaceTheBasePattern() throws IOException, ConfigException {
        write("base.yaml", "architecture: rnope_swa_hybrid\nembed_dim: 32\nsliding_window_pattern: 2\n");
        Path child = write("child.yaml", "extends: base.yaml\nlayer_types: [full_attention, full_attention]\n");
        assertEquals(List.of(LayerType.FULL, LayerType.FULL), ConfigLoader.load(child).layerTypes());
        Path back = write("back.yaml", "extends: child.yaml\nsliding_window_pattern: SF\nnum_hidden_layers: 4\n");
        assertEquals(List.of(LayerType.SLIDING, LayerType.FULL, LayerType.SLIDING, LayerType.FULL),
                ConfigLoader.load(back).layerTypes());
    }

    @Test
    void chainsResolveEachLinkRelativeToItsOwnFile() throws IOException, ConfigException {
        write("a/root.yaml", "architecture: rnope_swa\nembed_dim: 32\n");
        write("a/b/middle.yaml", "extends: ../root.yaml\nnum_hidden_layers: 2\n");
        Path leaf = write("c/leaf.yaml", "extends: ../a/b/middle.yaml\nsliding_window: 3\n");
        ModelSpec config = ConfigLoader.load(leaf);
        assertEquals(2, config.blocks().size());
        assertEquals(3, config.blocks().get(0).window());
        assertEquals(32, config.settings().get(Keys.EMBED_DIM));
    }

    @Test
    void errorsInsideABaseNameTheBaseFile() throws IOException {
        Path base = write("base.yaml", "architecture: rnope_swa\nembed_dim: 32\nsliding_window: 0\n");
        Path child = write("child.yaml", "extends: base.yaml\n");
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(child));
        assertEquals(base.normalize() + ":3:17: sliding_window: must be at least 1, got 0", error.getMessage());
    }

    @Test
    void crossKeyErrorsPointAtWhicheverFileSetTheKey() throws IOException {
        write("base.yaml", "architecture: rnope_swa\nembed_dim: 32\nhidden_size: 100\n");
        Path child = write("child.yaml", "extends: base.yaml\nnum_attention_heads: 8\n");
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(child));
        assertEquals(child + ":2:1: num_attention_heads: hidden_size 100 is not divisible by num_attention_heads 8",
                error.getMessage());
    }

    @Test
    void tooDeepChainsAreRefused() throws IOException {
        write("f0.yaml", "architecture: rnope_swa\nembed_dim: 32\n");
        for (int i = 1; i <= 9; i++) {
            write("f" + i + ".yaml", "extends: f" + (i - 1) + ".yaml\n");
        }
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("f9.yaml")));
        assertEquals(dir.resolve("f2.yaml") + ":1:10: extends: extends is nested more than 8 files deep",
                error.getMessage());
    }

    @Test
    void selfExtensionIsACycle() throws IOException {
        Path self = write("self.yaml", "extends: ./self.yaml\narchitecture: rnope_swa\n");
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(self));
        assertEquals(self + ":1:10: extends: extends forms a cycle: self.yaml -> self.yaml", error.getMessage());
    }
}
