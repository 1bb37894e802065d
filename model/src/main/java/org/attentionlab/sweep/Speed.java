package org.attentionlab.sweep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.config.YamlNode;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.exec.SyntheticInput;

import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Forward-pass speed of a cell's model on its device at each length: median and p90 latency over timed runs after
 * warm-up, tokens/s, TornadoVM's profiler breakdown (kernel, transfer and compile time; the JVM implementation of
 * the API measures kernel and transfer time and compiles nothing), and the checksum of the output, which tells
 * whether devices agree. The input is {@code scripts/run}'s seeded input (seed 0), so the checksum equals
 * {@code scripts/run CONFIG --json --seq-len L --batch B}'s.
 */
public final class Speed {

    private Speed() {
    }

    /** What {@code speed:} asks for. */
    public record Settings(List<Integer> lengths, int batch, int iterations, int warmup) {

        static Settings read(YamlNode node) throws ConfigException {
            var fields = SweepFile.block(node, List.of("lengths", "batch", "iterations", "warmup"));
            if (!fields.containsKey("lengths")) {
                throw node.errorAs(node.path() + ".lengths", "required: the sequence lengths to time, e.g. [128, 512]");
            }
            int batch = fields.containsKey("batch") ? fields.get("batch").integer(1, 4096) : 1;
            int iterations = fields.containsKey("iterations") ? fields.get("iterations").integer(1, 10_000) : 5;
            int warmup = fields.containsKey("warmup") ? fields.get("warmup").integer(0, 10_000) : 1;
            return new Settings(SweepFile.lengths(fields.get("lengths")), batch, iterations, warmup);
        }

        String identity() {
            return lengths + " batch " + batch + " iterations " + iterations + " warmup " + warmup;
        }
    }

    /** The fields of a speed entry that are measured times (they differ between runs of the same cell). */
    public static final List<String> TIMING_FIELDS = List.of("median_ms", "p90_ms", "tokens_per_s", "first_run", "steady");

    /** One entry per length: {@code length, batch, median_ms, p90_ms, tokens_per_s, checksum, first_run, steady}. */
    public static List<Map<String, Object>> measure(Model model, Settings settings, TornadoDevice device) {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (int length : settings.lengths()) {
            entries.add(measure(model, settings, length, device));
        }
        return entries;
    }

    private static Map<String, Object> measure(Model model, Settings settings, int length, TornadoDevice device) {
        RunShape shape = RunShape.inference(settings.batch(), length);
        double[] millis = new double[settings.iterations()];
        ModelExecution.Profile first;
        ModelExecution.Profile steady = ModelExecution.Profile.NONE;
        List<ModelExecution.Profile> timed = new ArrayList<>();
        FloatArray output = null;
        try (ModelExecution execution = model.prepare(shape, device)) {
            execution.withProfiler();
            SyntheticInput.fill(execution, execution.tokenInput() != null ? model.vocabSize() : 0, 0);
            long start = System.nanoTime();
            first = execution.runProfiled();
            double firstMillis = (System.nanoTime() - start) / 1e6;
            for (int i = 1; i < settings.warmup(); i++) {
                execution.run();
            }
            for (int i = 0; i < millis.length; i++) {
                start = System.nanoTime();
                timed.add(execution.runProfiled());
                millis[i] = (System.nanoTime() - start) / 1e6;
            }
            output = execution.run();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("length", length);
            entry.put("batch", settings.batch());
            double[] sorted = millis.clone();
            Arrays.sort(sorted);
            double median = percentile(sorted, 50);
            entry.put("median_ms", median);
            entry.put("p90_ms", percentile(sorted, 90));
            entry.put("tokens_per_s", shape.rows() / (median / 1000.0));
            entry.put("checksum", SyntheticInput.checksum(output));
            entry.put("flops_per_token", (double) model.flops(shape.batch(), shape.seqLen()) / shape.rows());
            Map<String, Object> firstRun = profile(first);
            firstRun.put("wall_ms", firstMillis);
            entry.put("first_run", firstRun);
            for (ModelExecution.Profile p : timed) {
                steady = steady.plus(p);
            }
            entry.put("steady", profile(steady.dividedBy(timed.size())));
            return entry;
        }
    }

    /** A profile in milliseconds (mean per run for {@code steady}). */
    private static Map<String, Object> profile(ModelExecution.Profile p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total_ms", p.totalNanos() / 1e6);
        m.put("kernel_ms", p.kernelNanos() / 1e6);
        m.put("transfer_ms", p.transferNanos() / 1e6);
        m.put("compile_ms", p.compileNanos() / 1e6);
        m.put("bytes_transferred", p.bytesTransferred());
        return m;
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
