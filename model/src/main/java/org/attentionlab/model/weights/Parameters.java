package org.attentionlab.model.weights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.attentionlab.model.InputException;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A model's named parameter tensors, in the order the model declares them, with PyTorch's names and layouts
 * (linear weights [out, in]). Every tensor is created with its seeded initial values; {@link #loadFrom} replaces
 * them with a checkpoint's.
 *
 * <p>Initialisation scheme (documented in configs/README.md): each tensor draws from its own generator, seeded
 * from the model seed and the tensor's name, so a tensor's values do not depend on which other tensors exist.
 * Linear weights and biases: U(-1/sqrt(in), 1/sqrt(in)) (torch.nn.Linear's default bound); LSTM tensors:
 * U(-1/sqrt(hidden), 1/sqrt(hidden)) (torch.nn.LSTM's); norm weights 1, norm biases 0; embeddings N(0, 1).
 */
public final class Parameters {

    /** How a tensor's initial values are drawn. */
    public sealed interface Init {
        record Uniform(double bound) implements Init {
        }

        record Normal(double std) implements Init {
        }

        record Constant(float value) implements Init {
        }

        static Init linear(int fanIn) {
            return new Uniform(1.0 / Math.sqrt(fanIn));
        }

        static Init ones() {
            return new Constant(1f);
        }

        static Init zeros() {
            return new Constant(0f);
        }
    }

    /** One parameter: name, shape and values. */
    public record Parameter(String name, int[] shape, FloatArray data) {
        public long numel() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        public String shapeText() {
            return Arrays.toString(shape);
        }
    }

    /** Elements a TornadoVM array holds: it is int-indexed. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE;

    private final long seed;
    private final Map<String, Parameter> tensors = new LinkedHashMap<>();

    public Parameters(long seed) {
        this.seed = seed;
    }

    /** Declares a parameter and returns its (initialised) values. */
    public FloatArray add(String name, Init init, int... shape) {
        if (tensors.containsKey(name)) {
            throw new IllegalStateException("parameter " + name + " declared twice");
        }
        long n = 1;
        for (int d : shape) {
            n *= d;
            if (n > MAX_ELEMENTS) {
                throw new InputException("parameter " + name + " " + Arrays.toString(shape) + " has more than " + MAX_ELEMENTS
                        + " elements, more than a TornadoVM array (int-indexed) holds: make the dimensions that shape it smaller");
            }
        }
        FloatArray data = new FloatArray((int) n);
        initialise(name, init, data);
        tensors.put(name, new Parameter(name, shape.clone(), data));
        return data;
    }

    private void initialise(String name, Init init, FloatArray data) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        switch (init) {
        case Init.Constant c -> data.init(c.value());
        case Init.Uniform u -> {
            for (int i = 0; i < data.getSize(); i++) {
                data.set(i, (float) ((random.nextDouble() * 2 - 1) * u.bound()));
            }
        }
        case Init.Normal nd -> {
            for (int i = 0; i < data.getSize(); i++) {
                // Box-Muller: deterministic given the generator, unlike Random.nextGaussian's caching across calls
                double u1 = 1.0 - random.nextDouble();
                double u2 = random.nextDouble();
                data.set(i, (float) (nd.std() * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)));
            }
        }
        }
    }

    public List<Parameter> all() {
        return Collections.unmodifiableList(new ArrayList<>(tensors.values()));
    }

    public long count() {
        long n = 0;
        for (Parameter t : tensors.values()) {
            n += t.numel();
        }
        return n;
    }

    /**
     * Replaces every parameter's values with the checkpoint's. The checkpoint must hold exactly these names with
     * these shapes; every mismatch is listed in one message.
     */
    public void loadFrom(String file, Map<String, Tensor> checkpoint) {
        List<String> missing = new ArrayList<>();
        List<String> reshaped = new ArrayList<>();
        List<String> wrongType = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        for (Parameter t : tensors.values()) {
            Tensor c = checkpoint.get(t.name());
            if (c == null) {
                missing.add(t.name() + " " + t.shapeText());
            } else if (!Arrays.equals(c.shape(), t.shape())) {
                reshaped.add(t.name() + " has shape " + Arrays.toString(c.shape()) + ", expected " + t.shapeText());
            } else if (!c.isFloatingPoint()) {
                wrongType.add(t.name() + " is " + c.dtype());
            }
        }
        for (String name : checkpoint.keySet()) {
            if (!tensors.containsKey(name)) {
                unexpected.add(name);
            }
        }
        List<String> problems = new ArrayList<>();
        summarise(problems, "missing", missing);
        summarise(problems, "with another shape", reshaped);
        summarise(problems, "not F32/F16/BF16", wrongType);
        summarise(problems, "unexpected", unexpected);
        if (!problems.isEmpty()) {
            throw new InputException(file + ": does not fit this model: " + String.join("; ", problems));
        }
        for (Parameter t : tensors.values()) {
            float[] values = checkpoint.get(t.name()).floats();
            for (int i = 0; i < values.length; i++) {
                t.data().set(i, values[i]);
            }
        }
    }

    /** "3 missing: a [2], b [2], c [4]" or "40 missing: a [2], b [2], c [4] and 37 more". */
    private static void summarise(List<String> problems, String what, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        String shown = String.join(", ", items.subList(0, Math.min(3, items.size())));
        problems.add(items.size() + " " + what + ": " + shown + (items.size() > 3 ? " and " + (items.size() - 3) + " more" : ""));
    }
}
