package org.attentionlab.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.attentionlab.model.arch.Architecture;
import org.attentionlab.model.arch.Architectures;
import org.attentionlab.model.config.Key.Default;
import org.junit.jupiter.api.Test;

/** The key table and the architectures' declarations fit together. */
class KeysTest {

    @Test
    void namesAndAliasesAreUniqueAndNeverAKeyName() {
        Set<String> names = new HashSet<>();
        Set<String> aliases = new HashSet<>();
        for (Key<?> key : Keys.all()) {
            assertTrue(key.name().matches("[a-z][a-z_]*"), key.name());
            assertTrue(names.add(key.name()), "two keys named " + key.name());
            for (String alias : key.aliases()) {
                assertTrue(aliases.add(alias), "alias " + alias + " given twice");
            }
            assertFalse(key.doc().isBlank(), key.name());
        }
        for (String alias : aliases) {
            assertFalse(names.contains(alias), alias + " is both a key and an alias");
        }
        assertEquals(Keys.all().stream().filter(Key::topLevel).map(Key::name).toList(), Keys.TOP_LEVEL);
        assertEquals(List.of("layer_type", "sliding_window", "position_embedding", "rope_theta", "attention_algorithm", "chunk_size", "qk_norm"),
                Keys.PER_LAYER);
    }

    @Test
    void architecturesDeclareOnlyWhatTheyRead() {
        for (Architecture architecture : Architectures.all()) {
            String name = architecture.yamlName();
            for (Key<?> own : architecture.ownKeys()) {
                assertTrue(own.specific(), name + " lists " + own + ", which every architecture reads");
            }
            for (Key<?> replaced : architecture.defaults().replacedKeys()) {
                assertTrue(architecture.accepts(replaced), name + " gives a default for " + replaced + ", which it does not read");
            }
            boolean fixedHidden = architecture.defaults().of(Keys.HIDDEN_SIZE) instanceof Default.Fixed;
            boolean fixedHeadDim = architecture.defaults().of(Keys.HEAD_DIM) instanceof Default.Fixed;
            assertTrue(fixedHidden != fixedHeadDim, name + ": exactly one of hidden_size and head_dim has a fixed default, the other follows");
            assertTrue(architecture.accepts(Keys.EMBED_DIM) || architecture.accepts(Keys.VOCAB_SIZE), name + " reads features or token ids");
        }
        for (Key<?> key : Keys.all()) {
            if (key.specific()) {
                assertTrue(Architectures.all().stream().anyMatch(a -> a.accepts(key)), key + " is read by no architecture");
            }
        }
    }

    /** Derived defaults are computed by the resolver, one place each; a new one must be added there too. */
    @Test
    void everyDerivedDefaultIsOneTheResolverComputes() {
        Set<Key<?>> computed = Set.of(Keys.HIDDEN_SIZE, Keys.HEAD_DIM, Keys.NUM_KEY_VALUE_HEADS, Keys.INTERMEDIATE_SIZE, Keys.LAYER_TYPES, Keys.LAYER_TYPE,
                Keys.HIDDEN_ACT, Keys.MIN_LEARNING_RATE, Keys.EVAL_LENGTHS);
        for (Key<?> key : Keys.all()) {
            for (Architecture architecture : Architectures.all()) {
                Default<?> value = architecture.defaults().of(key);
                if (value instanceof Default.Derived) {
                    assertTrue(computed.contains(key), key + " has a derived default for " + architecture.yamlName());
                    if (key == Keys.INTERMEDIATE_SIZE) {
                        assertTrue(value == Keys.FOUR_TIMES_HIDDEN, "intermediate_size's one derived default is 4 x hidden");
                    }
                }
            }
        }
    }
}
