package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** {@code --set KEY=VALUE} at its edges: one key per override, each mistake one line that says what to write instead. */
class SetOverridesTest {

    static final Path RNOPE = Path.of("..", "configs", "rnope-swa.yaml");

    private static String refusal(String... overrides) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(RNOPE, List.of(overrides))).getMessage();
    }

    @Test
    void extendsIsNotCalledAnUnknownKey() {
        assertEquals("--set extends=base.yaml:1:1: extends: cannot be set with --set (what a config extends belongs to the file): write extends:"
                + " in the config file", refusal("extends=base.yaml"));
    }

    @Test
    void perLayerKeysAreShownHowToBeSet() {
        assertEquals("--set layers.0.sliding_window=3: per-layer keys are set as a mapping: --set 'layers={0: {sliding_window: 64}}'",
                refusal("layers.0.sliding_window=3"));
        assertEquals("--set layers={0:{sliding_window:3}}:1:13: layers.0.sliding_window:3: unknown per-layer key (YAML reads 'sliding_window:3' as one"
                + " key: put a space after the colon, sliding_window: 3)", refusal("layers={0:{sliding_window:3}}"));
        assertEquals(3, assertDoesNotThrow("layers={0: {sliding_window: 3}}").blocks().get(0).window());
    }

    @Test
    void aValueCannotSetASecondKeyOnANewLine() {
        assertEquals("--set sliding_window=3 embed_dim: 9:2:1: embed_dim: a --set sets one key, but its value starts another on a new line: give each"
                + " key its own --set", refusal("sliding_window=3\nembed_dim: 9"));
    }

    @Test
    void longOverridesAreNotEchoedInFull() {
        String key = "x".repeat(5000);
        String message = refusal(key + "=1");
        assertEquals("--set " + "x".repeat(80) + "... (5002 characters): unknown key (5000 characters long)", message);
        String digits = "9".repeat(500);
        message = refusal("sliding_window=" + digits);
        assertTrue(message.length() < 300, message);
        assertTrue(message.endsWith("sliding_window: integer " + "9".repeat(20) + "... (500 characters) is too large"), message);
    }

    @Test
    void anEqualsSignInTheValueIsPartOfTheValue() {
        assertEquals("--set seed=1=2:1:7: seed: expected an integer, got '1=2'", refusal("seed=1=2"));
        assertEquals("--set sliding_window=:1:16: sliding_window: expected an integer, got nothing", refusal("sliding_window="));
    }

    private static ModelSpec assertDoesNotThrow(String override) {
        try {
            return ConfigLoader.load(RNOPE, List.of(override));
        } catch (ConfigException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }
}
