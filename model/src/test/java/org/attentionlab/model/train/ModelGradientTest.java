package org.attentionlab.model.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.attentionlab.kernels.reference.FiniteDifferences;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.exec.TrainableLayer;
import org.attentionlab.model.reference.ModelReference;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.tasks.Batch;
import org.attentionlab.model.tasks.DelayedRecall;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The whole model's gradient, as one training graph computes it (forward, loss, backward through every layer), against
 * central finite differences of the mean loss computed by a float64 model written separately ({@link ModelReference}
 * composed here). Tolerance as the block test's: 1e-5 of each tensor's largest gradient.
 */
public class ModelGradientTest {

    static final int BATCH = 2;
    static final int SEQ = 6;

    /** Token ids, two layers, a tied and scaled lm_head: next-token cross-entropy with ignored positions. */
    public static final String TIED_LM_HEAD = """
                architecture: rnope_swa
                vocab_size: 13
                hidden_size: 8
                num_attention_heads: 2
                num_hidden_layers: 2
                intermediate_size: 12
                sliding_window: 3
                dropout: 0
                output: logits
                tie_word_embeddings: true
                logit_scale: 0.5
                layers:
                  1: {position_embedding: rope}
                """;

    /** Token ids, post-norm blocks, the last position classified by a score head. */
    public static final String CLASSIFICATION = """
                architecture: multihead_sliding_window
                vocab_size: 11
                num_attention_heads: 2
                head_dim: 4
                num_hidden_layers: 2
                intermediate_size: 10
                sliding_window: 4
                dropout: 0
                output: last
                num_labels: 11
                ffn_type: geglu
                """;

    /** Features through an input projection, regression of every position through a score head. */
    public static final String REGRESSION = """
                architecture: rnope_swa_hybrid
                embed_dim: 5
                hidden_size: 8
                num_attention_heads: 2
                num_key_value_heads: 1
                num_hidden_layers: 2
                sliding_window: 3
                intermediate_size: 8
                dropout: 0
                norm: rmsnorm
                norm_position: parallel
                output: all
                num_labels: 3
                """;

    /** Features through input_proj and the sinusoidal encoding (Edifice's), post-norm blocks, regression at every position. */
    public static final String SINUSOIDAL_INPUT = """
            architecture: multihead_sliding_window
            embed_dim: 5
            num_attention_heads: 2
            head_dim: 4
            num_hidden_layers: 1
            intermediate_size: 6
            sliding_window: 3
            sinusoidal_variant: edifice
            dropout: 0
            output: all
            num_labels: 3
            """;

    /**
     * Edifice's hybrid: a two-layer LSTM over the features, its states projected to two heads by the attention block
     * (post-norm, with a feed-forward block here), regression of every position through a score head: delayed recall.
     */
    public static final String HYBRID_REGRESSION = """
            architecture: hybrid_lstm_attention
            embed_dim: 5
            lstm_hidden_size: 6
            lstm_layers: 2
            num_attention_heads: 2
            head_dim: 3
            intermediate_size: 7
            dropout: 0
            output: all
            num_labels: 3
            """;

    /** The hybrid with its MLP head (GELU) on every position, RoPE in the attention, regression through a score head. */
    public static final String HYBRID_MLP_REGRESSION = """
            architecture: hybrid_lstm_attention_mlp
            embed_dim: 4
            lstm_hidden_size: 6
            num_attention_heads: 2
            head_dim: 2
            position_embedding: rope
            mlp_sizes: [7, 5]
            hidden_act: gelu
            dropout: 0
            output: all
            num_labels: 3
            """;

    /** The APE notebook's model with a score head: every position's next token as a class (copying, recall). */
    public static final String APE_TOKENS = """
            architecture: ape
            vocab_size: 11
            hidden_size: 8
            num_attention_heads: 2
            output: all
            num_labels: 11
            """;

    @Test
    void hybridLstmAttentionRegression() {
        check(HYBRID_REGRESSION, "REGRESSION", 1e-5);
    }

    @Test
    void hybridLstmAttentionMlpRegression() {
        check(HYBRID_MLP_REGRESSION, "REGRESSION", 1e-5);
    }

    @Test
    void apeNextTokenClassification() {
        check(APE_TOKENS, "NEXT_TOKEN", 1e-5);
    }

    /** ape returning its last position only, classified by the score head. */
    @Test
    void apeLastPositionClassification() {
        check(APE_TOKENS.replace("output: all", "output: last"), "LAST_TOKEN", 1e-5);
    }

    /**
     * The hybrids' default output, the last position (through the MLP head): no training task pairs feature input with
     * class targets, so the whole model's chain of layers is differentiated for a given gradient of its output instead
     * of a loss's, {@code L = sum(dOut * model(x))}.
     */
    @Test
    void hybridMlpLastPosition() {
        checkOutputGradient(HYBRID_MLP_REGRESSION.replace("output: all", "output: last").replace("num_labels: 3\n", ""), 1e-5);
    }

    @Test
    void tokenModelWithTiedLanguageModelHead() {
        check(TIED_LM_HEAD, "NEXT_TOKEN", 1e-5);
    }

    @Test
    void classificationOfTheLastPosition() {
        check(CLASSIFICATION, "LAST_TOKEN", 1e-5);
    }

    @Test
    void regressionOfFeatures() {
        check(REGRESSION, "REGRESSION", 1e-5);
    }

    @Test
    void sinusoidalInputEncodingAndProjection() {
        check(SINUSOIDAL_INPUT, "REGRESSION", 1e-5);
    }

    /** The mean over positions (its backward spreads the gradient evenly), classified by the score head. */
    @Test
    void classificationOfTheMeanOverPositions() {
        check(CLASSIFICATION.replace("output: last", "output: mean"), "LAST_TOKEN", 1e-5);
    }

    /**
     * Every parameter's gradient from a gradient graph on TornadoVM's default device (the JVM implementation here)
     * against the float64 finite differences, within {@code tolerance} of each tensor's largest gradient.
     */
    public static void check(String yaml, String objectiveKind, double tolerance) {
        Objective.Kind objective = Objective.Kind.valueOf(objectiveKind);
        ModelSpec spec = ConfigLoader.parse(yaml, Path.of("model.yaml"));
        Model model = Model.build(spec);
        LayerTrainingRun.randomizeParameters(model, 21);
        Batch batch = batch(spec, model);
        Map<String, float[]> gradients;
        try (TrainingGraph graph = TrainingGraph.forGradients(model, new RunShape(BATCH, SEQ, false, 0), objective, null)) {
            graph.run(List.of(batch));
            gradients = graph.gradients();
        }
        Map<String, double[]> parameters = LayerTrainingRun.parameters(model);
        for (String name : parameters.keySet()) {
            double[] original = parameters.get(name);
            double[] expected = FiniteDifferences.gradientOfScalar(values -> {
                parameters.put(name, values);
                double loss = loss(spec, parameters, batch);
                parameters.put(name, original);
                return loss;
            }, original);
            TransformerBlockGradientTest.Closeness.assertClose(name, expected, gradients.get(name), tolerance);
        }
    }

    /** Token ids with about a third of the targets ignored, or delayed-recall features. */
    private static Batch batch(ModelSpec spec, Model model) {
        if (spec.input() instanceof InputSpec.Features features) {
            // Without a score head nothing is regressed: the targets are drawn but not used.
            int targetWidth = spec.settings().find(Keys.NUM_LABELS).orElse(features.embedDim());
            return new DelayedRecall(2, features.embedDim(), targetWidth).draw(3, 0, BATCH, SEQ);
        }
        int vocab = model.vocabSize();
        int[] inputs = new int[BATCH * SEQ];
        int[] targets = new int[BATCH * SEQ];
        java.util.SplittableRandom random = new java.util.SplittableRandom(4);
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = random.nextInt(vocab);
            targets[i] = random.nextDouble() < 0.3 && (i + 1) % SEQ != 0 ? Batch.IGNORED : random.nextInt(vocab);
        }
        return new Batch.Tokens(BATCH, SEQ, inputs, targets);
    }

    /**
     * Every parameter's gradient of {@code sum(dOut * model(x))} for a random {@code dOut}, from the model's layers
     * chained as a training step chains them, against the float64 finite differences of the same sum.
     */
    public static void checkOutputGradient(String yaml, double tolerance) {
        ModelSpec spec = ConfigLoader.parse(yaml, Path.of("model.yaml"));
        Model model = Model.build(spec);
        LayerTrainingRun.randomizeParameters(model, 22);
        Batch batch = batch(spec, model);
        Object input = batch instanceof Batch.Features features ? FloatArray.fromArray(features.inputs())
                : IntArray.fromArray(((Batch.Tokens) batch).inputs());
        int[] shape = model.outputShape(BATCH, SEQ);
        float[] dOut = LayerTrainingRun.random(java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b), 23);
        List<TrainableLayer> layers = model.layers().stream().map(layer -> (TrainableLayer) layer).toList();
        LayerTrainingRun.Result result = LayerTrainingRun.run(model, layers, BATCH, SEQ, input, dOut, LayerTrainingRun.Dropout.OFF);
        Map<String, double[]> parameters = LayerTrainingRun.parameters(model);
        double[] dOutWide = TransformerBlockGradientTest.widen(dOut);
        TransformerBlockGradientTest.Closeness.assertClose("output", output(spec, parameters, batch), result.output(), tolerance);
        for (String name : parameters.keySet()) {
            double[] original = parameters.get(name);
            double[] expected = FiniteDifferences.gradientOfScalar(values -> {
                parameters.put(name, values);
                double sum = FiniteDifferences.dot(output(spec, parameters, batch), dOutWide);
                parameters.put(name, original);
                return sum;
            }, original);
            TransformerBlockGradientTest.Closeness.assertClose(name, expected, result.gradients().get(name), tolerance);
        }
    }

    /** The mean loss of the model on the batch, in float64 from the definitions. */
    static double loss(ModelSpec spec, Map<String, double[]> p, Batch batch) {
        double[] out = output(spec, p, batch);
        int rows = spec.output() == OutputMode.LAST || spec.output() == OutputMode.MEAN ? BATCH : BATCH * SEQ;
        int width = out.length / rows;
        return switch (batch) {
        case Batch.Tokens tokens -> {
            int[] targets = rows == BATCH * SEQ ? tokens.targets() : new int[] { tokens.targets()[SEQ - 1], tokens.targets()[2 * SEQ - 1] };
            yield ModelReference.crossEntropy(out, targets, width);
        }
        case Batch.Features features -> {
            double total = 0;
            int counted = 0;
            for (int r = 0; r < rows; r++) {
                if (features.counted()[r] == 0) {
                    continue;
                }
                counted++;
                for (int j = 0; j < width; j++) {
                    double d = out[r * width + j] - features.targets()[r * width + j];
                    total += d * d;
                }
            }
            yield total / (counted * (double) width);
        }
        };
    }

    /** The model's output on the batch's input, in float64, laid out as the architecture's layers lay it out. */
    static double[] output(ModelSpec spec, Map<String, double[]> p, Batch batch) {
        ModelReference reference = new ModelReference(p, BATCH, SEQ, ModelReference.DropoutMask.NONE);
        double[] out = switch (spec.architecture().yamlName()) {
        case "ape" -> {
            // embedded q, k, v and the attention, then the positions asked for; no norm, no head of its own
            int width = spec.hiddenSize();
            double[] attended = reference.embeddedQkvAttention(spec.blocks().get(0), ((Batch.Tokens) batch).inputs(), width);
            yield reference.head(Optional.empty(), spec.output(), width, attended);
        }
        case "hybrid_lstm_attention", "hybrid_lstm_attention_mlp" -> hybrid(spec, reference, (Batch.Features) batch);
        default -> transformer(spec, p, reference, batch);
        };
        if (spec.settings().find(Keys.NUM_LABELS).isPresent()) {
            int rows = spec.output() == OutputMode.LAST || spec.output() == OutputMode.MEAN ? BATCH : BATCH * SEQ;
            out = reference.linear("score", out, rows, out.length / rows);
        }
        return out;
    }

    /** The LSTM over the features, the attention blocks on its states, the positions asked for (no final norm), the MLP head. */
    private static double[] hybrid(ModelSpec spec, ModelReference reference, Batch.Features features) {
        int width = spec.settings().get(Keys.LSTM_HIDDEN_SIZE);
        double[] x = reference.lstm(TransformerBlockGradientTest.widen(features.inputs()), features.width(), width, spec.settings().get(Keys.LSTM_LAYERS));
        for (BlockSpec block : spec.blocks()) {
            x = reference.block(block, width, x);
        }
        double[] out = reference.head(Optional.empty(), spec.output(), width, x);
        if (spec.architecture().accepts(Keys.MLP_SIZES)) {
            int rows = spec.output() == OutputMode.ALL ? BATCH * SEQ : BATCH;
            out = reference.denseStack(out, rows, width, spec.settings().get(Keys.MLP_SIZES).size(), spec.settings().get(Keys.HIDDEN_ACT));
        }
        return out;
    }

    /** Token embedding or input projection, the blocks, the final norm and the positions, the language-model head. */
    private static double[] transformer(ModelSpec spec, Map<String, double[]> p, ModelReference reference, Batch batch) {
        int hidden = spec.hiddenSize();
        double[] x;
        if (batch instanceof Batch.Tokens tokens) {
            double[] table = p.get("embed_tokens.weight");
            x = new double[BATCH * SEQ * hidden];
            for (int t = 0; t < tokens.inputs().length; t++) {
                System.arraycopy(table, tokens.inputs()[t] * hidden, x, t * hidden, hidden);
            }
        } else {
            Batch.Features features = (Batch.Features) batch;
            double[] in = TransformerBlockGradientTest.widen(features.inputs());
            x = p.containsKey("input_proj.weight") ? reference.linear("input_proj", in, BATCH * SEQ, features.width()) : in;
        }
        if (spec.input().sinusoidal().isPresent()) {
            x = ModelReference.addSinusoidal(x, BATCH, SEQ, hidden, spec.input().sinusoidal().get());
        }
        for (BlockSpec block : spec.blocks()) {
            x = reference.block(block, hidden, x);
        }
        boolean finalNorm = spec.normPosition() != NormPosition.POST && spec.norm().kind() != Norm.NONE;
        OutputMode pooling = spec.output() == OutputMode.LOGITS ? OutputMode.ALL : spec.output();
        double[] out = reference.head(finalNorm ? Optional.of(spec.norm()) : Optional.empty(), pooling, hidden, x);
        if (spec.lmHead().isEmpty()) {
            return out;
        }
        int rows = out.length / hidden;
        String head = spec.lmHead().get().tied() ? "embed_tokens" : "lm_head";
        int vocab = spec.lmHead().get().vocabSize();
        double[] logits = new double[rows * vocab];
        double[] w = p.get(head + ".weight");
        for (int r = 0; r < rows; r++) {
            for (int v = 0; v < vocab; v++) {
                double sum = 0;
                for (int j = 0; j < hidden; j++) {
                    sum += out[r * hidden + j] * w[v * hidden + j];
                }
                logits[r * vocab + v] = sum * spec.lmHead().get().logitScale();
            }
        }
        return logits;
    }
}
