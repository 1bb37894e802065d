package org.attentionlab.model.config;

import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

import org.attentionlab.model.spec.Numbers;
import org.attentionlab.model.spec.YamlName;

/**
 * One config key, declared once in {@link Keys}: its YAML name, the section of the docs it is in, where it may be
 * written, how its value is read and checked, its default unless an architecture gives one ({@code fallback}),
 * whether only the architectures that list it read it ({@code specific}), its one-line documentation, and the names
 * other libraries give it ({@code aliases}: "did you mean" points from them to it). The loader, the per-layer
 * overrides, the suggestions and configs/README.md's tables all come from these declarations.
 */
public record Key<T>(String name, Section section, Scope scope, Type<T> type, Default<T> fallback, boolean specific, String doc,
        List<String> aliases) {

    /** Where a key may be written. */
    public enum Scope {
        /** At the top level only. */
        MODEL,
        /** At the top level (for every layer) and in a {@code layers:} entry (for the layers it selects). */
        LAYER,
        /** In a {@code layers:} entry only. */
        LAYER_ONLY,
        /** In the {@code train:} block only. */
        TRAIN
    }

    /** The part of configs/README.md's key table a key is listed in. */
    public enum Section {
        SHAPE("Model shape"), LAYERS("Layers and windows"), ATTENTION("Attention"), POSITION("Positional information"), BLOCKS("Blocks"),
        RUNNING("Output and running"), TRAINING("Training (the train: block)");

        final String title;

        Section(String title) {
            this.title = title;
        }
    }

    /** What a key is when the config leaves it out. */
    public sealed interface Default<T> {

        /** This value. */
        record Fixed<T>(T value) implements Default<T> {
            public Fixed {
                Objects.requireNonNull(value, "value");
            }
        }

        /** No value: the config must give one; {@code what} says what it is, for the error message. */
        record Required<T>(String what) implements Default<T> {
        }

        /** Computed from other keys during resolution, as {@code rule} says (the resolver holds the computation). */
        record Derived<T>(String rule) implements Default<T> {
        }

        /** No value, and none is needed: what the key would switch on is off. */
        record Unset<T>() implements Default<T> {
        }
    }

    /**
     * How a value is read from YAML and checked (each failure is one {@link ConfigException}), and how the docs name
     * the type, its range and a value.
     */
    record Type<T>(String name, Supplier<String> range, Reader<T> reader, Function<? super T, String> show) {

        Type(String name, String range, Reader<T> reader) {
            this(name, () -> range, reader, Type::plain);
        }

        Type(String name, String range, Reader<T> reader, Function<? super T, String> show) {
            this(name, () -> range, reader, show);
        }

        T read(Value value) throws ConfigException {
            return reader.read(value);
        }

        /** Enums by their YAML name, numbers without a trailing ".0" or an exponent. */
        static String plain(Object value) {
            return switch (value) {
            case YamlName name -> name.yamlName();
            case Double number when number != 0 && Math.abs(number) < 1e-3 -> BigDecimal.valueOf(number).stripTrailingZeros().toPlainString();
            case Double number -> Numbers.plain(number);
            default -> String.valueOf(value);
            };
        }
    }

    /** Reads a value from a YAML node. */
    @FunctionalInterface
    interface Reader<T> {
        T read(Value value) throws ConfigException;
    }

    public Key {
        aliases = List.copyOf(aliases);
    }

    /** Whether the key may be written at the top level. */
    public boolean topLevel() {
        return scope == Scope.MODEL || scope == Scope.LAYER;
    }

    /** Whether the key may be written in a {@code layers:} entry. */
    public boolean perLayer() {
        return scope == Scope.LAYER || scope == Scope.LAYER_ONLY;
    }

    /** Whether the key is written in the {@code train:} block. */
    public boolean inTrainBlock() {
        return scope == Scope.TRAIN;
    }

    /** A value of this key as the docs write it. */
    public String show(T value) {
        return type.show().apply(value);
    }

    /** The documentation of a default, as configs/README.md writes it. */
    public String describe(Default<T> value) {
        return switch (value) {
        case Default.Fixed<T> fixed -> show(fixed.value());
        case Default.Required<T> required -> "required";
        case Default.Derived<T> derived -> derived.rule();
        case Default.Unset<T> unset -> "none";
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
