package org.attentionlab.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.attentionlab.model.train.CheckpointEvaluation;
import org.attentionlab.model.weights.Json;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Loss and accuracy of a training checkpoint at several sequence lengths: how well what it learned generalises in length. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a training checkpoint at several sequence lengths.%n"
        + "  scripts/run eval runs/recall/checkpoint-2000.safetensors --lengths 64,128,256,512,1024")
final class EvalCommand implements Callable<Integer> {

    static final int MAX_LENGTHS = 64;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CHECKPOINT", description = "A checkpoint-<step>.safetensors of scripts/run train.")
    private Path checkpoint;

    @Option(names = "--lengths", paramLabel = "L,L,...", required = true, split = ",", description = "Sequence lengths to evaluate at.")
    private List<Integer> lengths = new ArrayList<>();

    @Option(names = "--batches", paramLabel = "N", description = "Batches per length (default: the run's eval_batches).")
    private Integer batches;

    @Option(names = "--batch", paramLabel = "N", description = "Sequences per batch (default: the run's batch_size).")
    private Integer batch;

    @Option(names = "--text", paramLabel = "FILE", description = "The file the text task models, if not the run's own.")
    private Path text;

    @Option(names = "--device", paramLabel = "DEVICE", description = "jvm or tornado:<backend>:<device> (default: jvm).")
    private String device;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    private boolean json;

    @Mixin
    private VerboseOption verbose;

    @Override
    public Integer call() {
        if (lengths.isEmpty() || lengths.size() > MAX_LENGTHS || lengths.stream().anyMatch(l -> l == null || l < 1)) {
            throw new UsageException("--lengths: give 1 to " + MAX_LENGTHS + " sequence lengths of at least 1, e.g. --lengths 64,128,256");
        }
        if ((batches != null && batches < 1) || (batch != null && batch < 1)) {
            throw new UsageException("--batches and --batch must be at least 1");
        }
        var tornadoDevice = (device == null ? DeviceSpec.parse("jvm") : DeviceSpec.parse(device)).resolve();
        CheckpointEvaluation.Report report = CheckpointEvaluation.run(checkpoint, lengths, Optional.ofNullable(batches), Optional.ofNullable(batch),
                Optional.ofNullable(text), tornadoDevice);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("checkpoint", report.checkpoint().toString());
            o.put("step", report.step());
            o.put("model", report.model());
            o.put("task", report.task());
            o.put("batch", report.batchSize());
            o.put("batches", report.batches());
            List<Object> rows = new ArrayList<>();
            for (CheckpointEvaluation.Result r : report.results()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("length", r.length());
                row.put("loss", r.loss());
                row.put("accuracy", r.accuracy());
                row.put("positions", r.positions());
                rows.add(row);
            }
            o.put("results", rows);
            out.println(Json.write(o));
            return Main.EXIT_OK;
        }
        out.println("checkpoint " + report.checkpoint() + " (step " + report.step() + ")");
        out.println("model      " + report.model());
        out.println("task       " + report.task() + "; " + report.batches() + " batches of " + report.batchSize() + " per length");
        out.println();
        out.println(String.format(Locale.ROOT, "%8s  %10s  %9s  %10s", "length", "loss", "accuracy", "positions"));
        for (CheckpointEvaluation.Result r : report.results()) {
            out.println(String.format(Locale.ROOT, "%8d  %10.4f  %9s  %10d", r.length(), r.loss(),
                    Double.isNaN(r.accuracy()) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * r.accuracy()), r.positions()));
        }
        return Main.EXIT_OK;
    }
}
