package org.attentionlab.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.attentionlab.kernels.reference.AdamWReference;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.TrainingConfig;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.spec.TrainSpec;
import org.attentionlab.model.tasks.Batch;
import org.attentionlab.model.tasks.Task;
import org.attentionlab.model.weights.Parameters.Parameter;
import org.junit.jupiter.api.Test;

/**
 * The step graph's optimizer against float64 AdamW ({@code AdamWReference}, written from torch.optim.AdamW and
 * clip_grad_norm_) fed with the same gradients: the train: block's settings reach the kernels (learning rate, warm-up
 * and cosine, betas, eps, clipping that engages, the average of two micro-batches) and weight decay falls on the
 * tensors of two or more dimensions only. The gradients of each micro-batch come from a gradient graph at the step
 * graph's current parameters.
 *
 * <p>Tolerance: AdamW's own kernel test allows {@code 2e-6 |p| + 1e-5 lr t}; decaying the wrong tensors would be off
 * by {@code lr · weight_decay · |p|} (1e-4 here), a wrong schedule or clip factor by a sizeable part of {@code lr}.
 */
public class OptimizerStepTest {

    @Test
    void threeStepsAreFloat64AdamWOnTheSameGradients() {
        checkThreeSteps(2e-6, 1e-5);
    }

    /**
     * Three steps on TornadoVM's default device (the JVM implementation here) against float64 AdamW, parameters within
     * {@code relative |p| + absolute lr t}.
     */
    public static void checkThreeSteps(double relative, double absolute) {
        TrainingConfig config = ConfigLoader.parseTraining(TrainerTest.CONFIG.replace("dropout: 0.2", "dropout: 0").replace("grad_clip: 0.5", "grad_clip: 0.05")
                + "  weight_decay: 0.1\n  betas: [0.8, 0.99]\n  adam_epsilon: 0.000001\n", Path.of("small.yaml"), List.of());
        TrainSpec train = config.train();
        Task task = TrainTask.create(config, java.util.Optional.empty());
        Objective.Kind objective = TrainTask.objective(config);
        Model model = Model.build(config.model());
        Model probe = Model.build(config.model());
        AdamWSettings settings = Trainer.optimizerSettings(train);
        OptimizerState optimizer = new OptimizerState(model.parameters(), settings);
        List<Parameter> parameters = model.parameters().all();
        double[][] start = new double[parameters.size()][];
        double[] decays = new double[parameters.size()];
        for (int b = 0; b < parameters.size(); b++) {
            start[b] = wide(parameters.get(b).data().toHeapArray());
            decays[b] = parameters.get(b).shape().length >= 2 ? train.weightDecay() : 0;
        }
        AdamWReference.State reference = new AdamWReference.State(start);
        AdamWReference.Hyperparameters h = new AdamWReference.Hyperparameters(train.learningRate(), train.beta1(), train.beta2(), train.adamEpsilon(),
                train.gradClip(), train.warmupSteps(), train.steps(), train.minLearningRate() / train.learningRate(), 1.0 / train.gradAccumulation());
        RunShape shape = new RunShape(train.batchSize(), train.seqLen(), false, 0);
        try (TrainingGraph step = TrainingGraph.forTraining(model, shape, objective, optimizer, train.gradAccumulation(), null);
                TrainingGraph gradients = TrainingGraph.forGradients(probe, shape, objective, null)) {
            for (int t = 1; t <= 3; t++) {
                List<Batch> batches = new ArrayList<>();
                double[][] summed = new double[parameters.size()][];
                for (int micro = 0; micro < train.gradAccumulation(); micro++) {
                    Batch batch = task.draw(train.dataSeed(), (t - 1L) * train.gradAccumulation() + micro, train.batchSize(), train.seqLen());
                    batches.add(batch);
                    copyParameters(model, probe);
                    gradients.run(List.of(batch));
                    Map<String, float[]> g = gradients.gradients();
                    for (int b = 0; b < parameters.size(); b++) {
                        double[] add = wide(g.get(parameters.get(b).name()));
                        summed[b] = summed[b] == null ? add : sum(summed[b], add);
                    }
                }
                TrainingGraph.StepResult result = step.run(batches);
                step.readBack();
                AdamWReference.step(reference, summed, h, decays);
                assertEquals(reference.lastLearningRate, result.learningRate(), 1e-6 * reference.lastLearningRate, "learning rate at step " + t);
                assertEquals(reference.lastGradientNorm, result.gradientNorm(), 10 * absolute * reference.lastGradientNorm, "gradient norm at step " + t);
                assertTrue(reference.lastGradientNorm > train.gradClip(), "clipping must engage: norm " + reference.lastGradientNorm);
                for (int b = 0; b < parameters.size(); b++) {
                    float[] actual = parameters.get(b).data().toHeapArray();
                    for (int i = 0; i < actual.length; i++) {
                        double expected = reference.parameters[b][i];
                        double allowed = relative * Math.abs(expected) + absolute * train.learningRate() * t;
                        assertEquals(expected, actual[i], allowed, parameters.get(b).name() + "[" + i + "] after step " + t);
                    }
                }
            }
        }
    }

    private static void copyParameters(Model from, Model to) {
        List<Parameter> source = from.parameters().all();
        List<Parameter> target = to.parameters().all();
        for (int b = 0; b < source.size(); b++) {
            for (int i = 0; i < source.get(b).data().getSize(); i++) {
                target.get(b).data().set(i, source.get(b).data().get(i));
            }
        }
    }

    private static double[] wide(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    private static double[] sum(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }
}
