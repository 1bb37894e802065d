package org.attentionlab.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.TrainingConfig;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.spec.TrainSpec;
import org.attentionlab.model.tasks.Batch;
import org.attentionlab.model.tasks.Task;
import org.attentionlab.model.weights.SafeTensors;
import org.attentionlab.model.weights.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * Training against PyTorch autograd and {@code torch.optim.AdamW}: each fixture of src/test/resources/training/ (made by
 * scripts/torch_models.py --train-fixture, see scripts/goldens/training.py) holds the weights the PyTorch twin drew, the
 * batches of 20 steps as the Java task generator draws them, the twin's loss and every parameter's gradient on the first
 * micro-batch, and the twin's loss, learning rate and gradient norm at each of 20 AdamW steps from those weights. The
 * model loads the same weights, and
 * <ul>
 * <li>a gradient graph ({@link TrainingGraph#forGradients}) on the first micro-batch gives the loss within 1e-5 relative
 * and every parameter's gradient within 1e-4 relative, per tensor and relative to its largest magnitude:
 * {@code max_i |g_i - t_i| <= 1e-4 max(max_i |t_i|, 1e-3 T)}, with {@code T} the largest |gradient| of the whole
 * model. An element-wise relative bound is meaningless for the many elements that are sums cancelling to nearly nothing,
 * whose float32 rounding error is set by the size of the terms (which the tensor's scale measures), not by the small
 * result. The floor {@code 1e-7 T} is for tensors whose true gradient is zero, where both frameworks return rounding
 * noise alone: the key projection's bias (softmax does not change when every key of a query gains the same score
 * {@code q.b}), whose noise is of order 1e-8 where T is of order 1;</li>
 * <li>the step graph of {@code scripts/run train} ({@link TrainingGraph#forTraining} with {@link Trainer}'s optimizer
 * settings) run on the 20 steps' batches gives each step's loss within 1e-3 relative, and the learning rate within
 * 1e-5 relative (the schedule, in float32 on the device).</li>
 * </ul>
 * Both run with dropout on, as scripts/run train does (the gradient graph with the masks of the first update's first
 * micro-batch). The fixtures' configs have no hidden dropout (the twin does not model it); rnope-swa-attention-dropout
 * has attention dropout, whose masks the twin draws as the Java kernels do (scripts/torch_models.py, AttentionDropout).
 * Every architecture has a fixture: the transformers on token and feature tasks, the LSTM hybrids on delayed recall
 * (mean squared error through the score head) and ape on a token task (its embedded QKV, class logits).
 */
public class TrainingTwinsTest {

    /** Where the fixtures and their configs are, from the model module (where Maven runs the tests). */
    public static final Path TRAINING = Path.of("src", "test", "resources", "training");
    public static final double GRADIENT_TOLERANCE = 1e-4;
    /** A tensor's scale is at least this fraction of the model's largest |gradient| (see the class comment). */
    public static final double MODEL_SCALE_FLOOR = 1e-3;
    public static final double FIRST_LOSS_TOLERANCE = 1e-5;
    public static final double STEP_LOSS_TOLERANCE = 1e-3;
    public static final double LEARNING_RATE_TOLERANCE = 1e-5;

    /** Every fixture of {@link #TRAINING}, for this test and its device twin (TrainingTwinsOnDeviceIT). */
    public static List<String> fixtures() {
        return List.of("rnope-swa", "rnope-swa-ablations", "multiscale-swa", "multihead-sliding-window", "multihead-edifice-bidirectional", "rnope-swa-hybrid-parallel",
                "rnope-swa-hybrid-prenorm", "rnope-swa-geglu", "multihead-geglu-tokens", "cohere2", "mistral", "rnope-swa-recall", "rnope-swa-passkey",
                "rnope-swa-text", "hybrid-lstm-attention", "hybrid-lstm-attention-mlp", "ape", "rnope-swa-attention-dropout");
    }

    private static final List<String> NOT_WEIGHTS = List.of("batches.", "gradients.", "steps.");

    /** One fixture: its config, the twin's weights, batches and results. */
    public record Fixture(String name, TrainingConfig config, Map<String, Tensor> weights, Map<String, Tensor> tensors) {

        public static Fixture read(String name) {
            try {
                Map<String, Tensor> tensors = SafeTensors.read(TRAINING.resolve(name + ".safetensors"));
                Map<String, Tensor> weights = new LinkedHashMap<>(tensors);
                weights.keySet().removeIf(n -> n.equals("loss") || NOT_WEIGHTS.stream().anyMatch(n::startsWith));
                return new Fixture(name, ConfigLoader.loadTraining(TRAINING.resolve(name + ".yaml"), List.of()), weights, tensors);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        TrainSpec train() {
            return config.train();
        }

        /** The model with the twin's weights. */
        Model model() {
            Model model = Model.build(config.model());
            model.parameters().loadFrom(name, weights);
            return model;
        }

        /** Micro-batch {@code index} of the fixture (row {@code (s - 1) k + m} for micro-batch m of step s). */
        Batch batch(int index) {
            Tensor input = tensors.get("batches.input");
            int batch = train().batchSize();
            int seqLen = train().seqLen();
            int positions = batch * seqLen;
            if (!input.isFloatingPoint()) {
                return new Batch.Tokens(batch, seqLen, slice(input.ints(), index, positions), slice(tensors.get("batches.target").ints(), index, positions));
            }
            int width = input.shape()[3];
            int targetWidth = tensors.get("batches.target").shape()[3];
            return new Batch.Features(batch, seqLen, width, targetWidth, slice(input.floats(), index, positions * width),
                    slice(tensors.get("batches.target").floats(), index, positions * targetWidth), slice(tensors.get("batches.counted").ints(), index, positions));
        }

        float[] values(String tensor) {
            return tensors.get(tensor).floats();
        }
    }

    private static int[] slice(int[] all, int index, int size) {
        return java.util.Arrays.copyOfRange(all, index * size, (index + 1) * size);
    }

    private static float[] slice(float[] all, int index, int size) {
        return java.util.Arrays.copyOfRange(all, index * size, (index + 1) * size);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void gradientsMatchAutograd(String name) {
        checkGradients(name, null);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void twentyAdamWStepsMatchTorch(String name) {
        checkSteps(name, null);
    }

    /** The fixture's batches are the ones scripts/run train draws for its steps. */
    @ParameterizedTest
    @ValueSource(strings = { "rnope-swa-recall", "rnope-swa-text", "mistral", "rnope-swa-ablations", "multiscale-swa" })
    void theFixturesBatchesAreTheTrainersBatches(String name) {
        Fixture fixture = Fixture.read(name);
        Task task = TrainTask.create(fixture.config(), java.util.Optional.empty());
        int k = fixture.train().gradAccumulation();
        for (int step = 0; step < fixture.train().steps(); step++) {
            for (int micro = 0; micro < k; micro++) {
                assertEquals(describe(TrainTask.trainingBatch(task, fixture.train(), step, micro)), describe(fixture.batch(step * k + micro)),
                        name + ": step " + (step + 1) + ", micro-batch " + micro);
            }
        }
    }

    private static String describe(Batch batch) {
        return switch (batch) {
        case Batch.Tokens t -> java.util.Arrays.toString(t.inputs()) + java.util.Arrays.toString(t.targets());
        case Batch.Features f -> java.util.Arrays.toString(f.inputs()) + java.util.Arrays.toString(f.targets()) + java.util.Arrays.toString(f.counted());
        };
    }

    /** Loss and every gradient of the first micro-batch, on {@code device} (null: TornadoVM's default device). */
    public static void checkGradients(String name, TornadoDevice device) {
        checkGradients(name, device, MODEL_SCALE_FLOOR);
    }

    /** As {@link #checkGradients(String, TornadoDevice)}, a tensor's scale being at least {@code modelScaleFloor} T. */
    public static void checkGradients(String name, TornadoDevice device, double modelScaleFloor) {
        Fixture fixture = Fixture.read(name);
        Model model = fixture.model();
        Batch batch = fixture.batch(0);
        TrainingGraph.StepResult result;
        Map<String, float[]> gradients;
        try (TrainingGraph graph = TrainingGraph.forGradients(model, new RunShape(batch.batchSize(), batch.seqLen(), true, Trainer.dropoutSeed(fixture.train())),
                TrainTask.objective(fixture.config()), device)) {
            result = graph.run(List.of(batch));
            gradients = graph.gradients();
        }
        double expectedLoss = fixture.values("loss")[0];
        assertRelative(name + ": loss of the first micro-batch", expectedLoss, result.loss(), FIRST_LOSS_TOLERANCE);
        List<String> expectedNames = new ArrayList<>();
        fixture.tensors().keySet().stream().filter(n -> n.startsWith("gradients.")).forEach(n -> expectedNames.add(n.substring("gradients.".length())));
        assertEquals(expectedNames.stream().sorted().toList(), gradients.keySet().stream().sorted().toList(), name + ": the parameters with a gradient");
        double modelScale = 0;
        for (String parameter : expectedNames) {
            modelScale = Math.max(modelScale, largest(fixture.values("gradients." + parameter)));
        }
        double worst = 0;
        String worstName = null;
        double worstAboveFloor = 0;
        for (String parameter : expectedNames) {
            float[] expected = fixture.values("gradients." + parameter);
            double ratio = errorOverScale(name + ": gradient of " + parameter, expected, gradients.get(parameter), modelScaleFloor * modelScale);
            if (ratio > worst) {
                worst = ratio;
                worstName = parameter;
            }
            if (largest(expected) > modelScaleFloor * modelScale) {
                worstAboveFloor = Math.max(worstAboveFloor, ratio);
            }
        }
        System.out.printf(Locale.ROOT, "max |gradient - torch| / scale %s: %.2e (%s); %.2e over the tensors above the floor%n", name, worst, worstName,
                worstAboveFloor);
    }

    /** Each of the fixture's AdamW steps through the step graph of scripts/run train, on {@code device} (null: the default). */
    public static void checkSteps(String name, TornadoDevice device) {
        Fixture fixture = Fixture.read(name);
        TrainSpec train = fixture.train();
        Model model = fixture.model();
        OptimizerState optimizer = new OptimizerState(model.parameters(), Trainer.optimizerSettings(train));
        float[] losses = fixture.values("steps.loss");
        float[] rates = fixture.values("steps.learning_rate");
        int k = train.gradAccumulation();
        StringBuilder table = new StringBuilder(name + ": step, loss (Java, torch), learning rate (Java, torch)\n");
        double worst = 0;
        try (TrainingGraph graph = TrainingGraph.forTraining(model, new RunShape(train.batchSize(), train.seqLen(), true, Trainer.dropoutSeed(train)),
                TrainTask.objective(fixture.config()), optimizer, k, device)) {
            for (int step = 0; step < losses.length; step++) {
                List<Batch> batches = new ArrayList<>();
                for (int micro = 0; micro < k; micro++) {
                    batches.add(fixture.batch(step * k + micro));
                }
                TrainingGraph.StepResult result = graph.run(batches);
                table.append(String.format(Locale.ROOT, "%3d %.6f %.6f %.6e %.6e%n", step + 1, result.loss(), losses[step], result.learningRate(), rates[step]));
                double error = Math.abs(result.loss() - losses[step]) / Math.abs(losses[step]);
                worst = Math.max(worst, error);
                if (!(error <= STEP_LOSS_TOLERANCE) || !(Math.abs(result.learningRate() - rates[step]) <= LEARNING_RATE_TOLERANCE * rates[step])) {
                    throw new AssertionError(name + ": step " + (step + 1) + " is off (loss within " + STEP_LOSS_TOLERANCE + " relative, learning rate within "
                            + LEARNING_RATE_TOLERANCE + "):\n" + table);
                }
            }
        }
        System.out.printf(Locale.ROOT, "max |loss - torch| / torch over %d AdamW steps %s: %.2e%n", losses.length, name, worst);
    }

    private static void assertRelative(String what, double expected, double actual, double tolerance) {
        if (!(Math.abs(actual - expected) <= tolerance * Math.abs(expected))) {
            throw new AssertionError(what + ": " + actual + ", torch says " + expected + " (beyond " + tolerance + " relative)");
        }
    }

    private static double largest(float[] values) {
        double largest = 0;
        for (float v : values) {
            largest = Math.max(largest, Math.abs(v));
        }
        return largest;
    }

    /** {@code max |actual - expected| / max(max |expected|, floor)}, failing beyond {@link #GRADIENT_TOLERANCE}. */
    private static double errorOverScale(String what, float[] expected, float[] actual, double floor) {
        assertEquals(expected.length, actual.length, what + ": size");
        double scale = Math.max(largest(expected), floor);
        double worst = 0;
        int worstAt = 0;
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs((double) actual[i] - expected[i]);
            if (!(error <= worst)) {
                worst = error;
                worstAt = i;
            }
        }
        if (!(worst <= GRADIENT_TOLERANCE * scale)) {
            throw new AssertionError(what + ": element " + worstAt + " is " + actual[worstAt] + ", torch says " + expected[worstAt] + " (error " + worst
                    + " > " + GRADIENT_TOLERANCE + " x " + scale + ", the larger of the tensor's largest |gradient| and the floor " + floor + ")");
        }
        return worst / scale;
    }
}
