package org.attentionlab.model.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.attentionlab.model.weights.Json;

/**
 * One line of a run's {@code log.jsonl}: a training step ({@code step}, {@code loss}, {@code accuracy}, {@code lr},
 * {@code grad_norm}, {@code tokens_per_s}, {@code elapsed_s}) or an evaluation ({@code step}, {@code eval_length},
 * {@code eval_loss}, {@code eval_accuracy}). Accuracy is null for regression.
 */
record LogLine(long step, OptionalLong evalLength, double loss, double accuracy, double learningRate, double gradientNorm, double tokensPerSecond,
        double elapsedSeconds) {

    private static final Pattern NUMBER = Pattern.compile("\"([a-z_]+)\": (-?[0-9][0-9.eE+-]*|null)");

    static LogLine training(long step, TrainingGraph.StepResult result, double tokensPerSecond, double elapsedSeconds) {
        return new LogLine(step, OptionalLong.empty(), result.loss(), result.accuracy(), result.learningRate(), result.gradientNorm(), tokensPerSecond,
                elapsedSeconds);
    }

    static LogLine evaluation(long step, int length, TrainingGraph.StepResult result) {
        return new LogLine(step, OptionalLong.of(length), result.loss(), result.accuracy(), Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    boolean isEvaluation() {
        return evalLength.isPresent();
    }

    /** The line as JSON (no newline); non-finite numbers as null. */
    String toJson() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("step", step);
        if (isEvaluation()) {
            fields.put("eval_length", evalLength.getAsLong());
            fields.put("eval_loss", loss);
            fields.put("eval_accuracy", accuracy);
        } else {
            fields.put("loss", loss);
            fields.put("accuracy", accuracy);
            fields.put("lr", learningRate);
            fields.put("grad_norm", gradientNorm);
            fields.put("tokens_per_s", Math.round(tokensPerSecond * 10) / 10.0);
            fields.put("elapsed_s", Math.round(elapsedSeconds * 1000) / 1000.0);
        }
        return Json.write(fields);
    }

    /** A line this class wrote, read back; null for a line that is not one (a torn last line after a kill). */
    static LogLine parse(String line) {
        Map<String, Double> values = new LinkedHashMap<>();
        Matcher m = NUMBER.matcher(line);
        while (m.find()) {
            values.put(m.group(1), m.group(2).equals("null") ? Double.NaN : Double.parseDouble(m.group(2)));
        }
        if (!line.startsWith("{") || !line.endsWith("}") || !values.containsKey("step")) {
            return null;
        }
        long step = values.get("step").longValue();
        if (values.containsKey("eval_length")) {
            return new LogLine(step, OptionalLong.of(values.get("eval_length").longValue()), get(values, "eval_loss"), get(values, "eval_accuracy"),
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        return new LogLine(step, OptionalLong.empty(), get(values, "loss"), get(values, "accuracy"), get(values, "lr"), get(values, "grad_norm"),
                get(values, "tokens_per_s"), get(values, "elapsed_s"));
    }

    private static double get(Map<String, Double> values, String key) {
        return values.getOrDefault(key, Double.NaN);
    }

    /** Accuracy when there is one. */
    OptionalDouble accuracyIfAny() {
        return Double.isNaN(accuracy) ? OptionalDouble.empty() : OptionalDouble.of(accuracy);
    }
}
