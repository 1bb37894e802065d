package org.attentionlab.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.attentionlab.analysis.Analyses;
import org.attentionlab.analysis.Analysis;
import org.attentionlab.model.io.OutputFiles;
import org.attentionlab.sweep.ResultsFile;

/**
 * {@code scripts/run report DIR}: the plots of a sweep's results (every shard's file, merged) as PNG files in
 * {@code DIR/plots/}, and {@code DIR/report.html}, which holds the same images inline (data URIs) and opens from
 * disk anywhere. Plots: accuracy and loss against evaluation length, one line per variant, the training length
 * marked; training loss curves; each forward-only analysis per layer; tokens/s per device and length. Sections
 * without data say so.
 */
public final class Report {

    /** Relative difference of checksums within which two devices agree (as scripts/compare has always used). */
    public static final double AGREEMENT = 1e-4;

    private final Path dir;
    private final List<Map<String, Object>> rows;
    private final Map<String, byte[]> plots = new LinkedHashMap<>();
    private final StringBuilder body = new StringBuilder();

    private Report(Path dir, List<Map<String, Object>> rows) {
        this.dir = dir;
        this.rows = rows;
    }

    /** Writes the plots and report.html; returns the report's path. */
    public static Path write(Path dir) throws IOException {
        List<Map<String, Object>> rows = ResultsFile.readAll(dir);
        if (rows.isEmpty()) {
            throw new IOException(dir + " holds no results (no results*.jsonl with a finished cell)");
        }
        Report report = new Report(dir, rows);
        report.build();
        Path plotDir = dir.resolve("plots");
        Files.createDirectories(plotDir);
        for (Map.Entry<String, byte[]> plot : report.plots.entrySet()) {
            writeAtomically(plotDir.resolve(plot.getKey() + ".png"), plot.getValue());
        }
        Path html = dir.resolve("report.html");
        writeAtomically(html, report.html().getBytes(StandardCharsets.UTF_8));
        return html;
    }

    // ---------------------------------------------------------------- sections

    private void build() throws IOException {
        List<Map<String, Object>> ok = rows.stream().filter(r -> "ok".equals(r.get("status"))).toList();
        List<Map<String, Object>> failed = rows.stream().filter(r -> !"ok".equals(r.get("status"))).toList();
        body.append("<p>").append(ok.size()).append(" cell(s) finished, ").append(failed.size()).append(" failed; sweep(s) ")
                .append(escape(String.join(", ", rows.stream().map(r -> String.valueOf(r.get("sweep"))).distinct().toList()))).append(".</p>\n");
        evaluation(ok);
        analyses(ok);
        speed(ok);
        if (!failed.isEmpty()) {
            body.append("<h2>Failed cells</h2>\n<table><tr><th>cell</th><th>variant</th><th>device</th><th>error</th></tr>\n");
            for (Map<String, Object> row : failed) {
                body.append("<tr><td>").append(escape(String.valueOf(row.get("cell")))).append("</td><td>").append(escape(label(row))).append("</td><td>")
                        .append(escape(String.valueOf(row.get("device")))).append("</td><td>").append(escape(String.valueOf(row.get("error"))))
                        .append("</td></tr>\n");
            }
            body.append("</table>\n");
        }
        Map<String, Object> versions = map(rows.get(0).get("versions"));
        body.append("<p class=small>versions: ").append(escape(String.valueOf(versions))).append("</p>\n");
    }

    private void evaluation(List<Map<String, Object>> ok) throws IOException {
        body.append("<h2>Length generalisation</h2>\n");
        List<Map<String, Object>> evaluated = ok.stream().filter(r -> r.get("eval") instanceof List<?>).toList();
        if (evaluated.isEmpty()) {
            body.append("<p>No evaluation in these results (a sweep measures accuracy and loss against length with <code>eval:</code> and a"
                    + " <code>train:</code> block).</p>\n");
            return;
        }
        double trainLength = evaluated.stream().mapToDouble(r -> number(map(r.get("train")).get("seq_len"))).filter(Double::isFinite).max().orElse(0);
        for (String metric : List.of("accuracy", "loss")) {
            Map<String, TreeMap<Double, List<Double>>> byVariant = new LinkedHashMap<>();
            for (Map<String, Object> row : evaluated) {
                for (Object entry : (List<?>) row.get("eval")) {
                    Map<String, Object> e = map(entry);
                    byVariant.computeIfAbsent(label(row) + " on " + row.get("device"), k -> new TreeMap<>())
                            .computeIfAbsent(number(e.get("length")), k -> new ArrayList<>()).add(number(e.get(metric)));
                }
            }
            boolean accuracy = metric.equals("accuracy");
            addPlot(metric + "_vs_length", Figures.lines(metric + " against evaluation length (trained at " + (long) trainLength + ")", "evaluation length",
                    metric, lines(byVariant), true, trainLength, "training length", accuracy ? 0 : Double.NaN, accuracy ? 1 : Double.NaN),
                    metric + " at each evaluation length, one line per variant (mean over repeats); the dashed line is the training length");
        }
        List<Figures.Line> curves = new ArrayList<>();
        java.util.Set<Object> trainings = new java.util.HashSet<>();
        for (Map<String, Object> row : evaluated) {
            Object curve = map(row.get("train")).get("loss_curve");
            // the cells of one variant on several devices share one training (its folder): one curve
            if (curve instanceof List<?> points && !points.isEmpty() && trainings.add(map(row.get("train")).get("folder"))) {
                double[] x = new double[points.size()];
                double[] y = new double[points.size()];
                for (int i = 0; i < points.size(); i++) {
                    List<?> point = (List<?>) points.get(i);
                    x[i] = number(point.get(0));
                    y[i] = number(point.get(1));
                }
                curves.add(new Figures.Line(label(row) + " r" + row.get("repeat"), x, y));
            }
        }
        if (!curves.isEmpty()) {
            addPlot("loss_curves", Figures.lines("training loss", "step", "loss", curves, false, 0, ""), "training loss of every cell");
        }
    }

    private void analyses(List<Map<String, Object>> ok) throws IOException {
        body.append("<h2>Attention per layer</h2>\n");
        boolean any = false;
        for (Analysis analysis : Analyses.all()) {
            Map<String, TreeMap<Double, List<Double>>> byVariant = new LinkedHashMap<>();
            for (Map<String, Object> row : ok) {
                Object entry = map(row.get("analyses")).get(analysis.name());
                if (entry == null) {
                    continue;
                }
                List<?> layers = (List<?>) map(entry).get("per_head");
                for (int layer = 0; layer < layers.size(); layer++) {
                    List<?> heads = (List<?>) layers.get(layer);
                    double mean = heads.stream().mapToDouble(Report::number).average().orElse(Double.NaN);
                    byVariant.computeIfAbsent(label(row), k -> new TreeMap<>()).computeIfAbsent((double) layer, k -> new ArrayList<>()).add(mean);
                }
            }
            if (byVariant.isEmpty()) {
                continue;
            }
            any = true;
            addPlot(analysis.name(), Figures.lines(analysis.name().replace('_', ' ') + " per layer", "layer", analysis.unit(), lines(byVariant), false, 0, ""),
                    analysis.description() + "; mean over heads, one line per variant");
        }
        if (!any) {
            body.append("<p>No forward-only analyses in these results (a sweep asks for them with <code>analyses:</code>).</p>\n");
        }
    }

    private void speed(List<Map<String, Object>> ok) throws IOException {
        body.append("<h2>Speed per device</h2>\n");
        List<Map<String, Object>> timed = ok.stream().filter(r -> r.get("speed") instanceof List<?>).toList();
        if (timed.isEmpty()) {
            body.append("<p>No speed measurements in these results (a sweep times forward passes with <code>speed:</code>).</p>\n");
            return;
        }
        addPlot("tokens_per_s", Figures.lines("forward tokens/s against sequence length", "sequence length", "tokens/s", lines(speedBy(timed, "tokens_per_s")),
                true, 0, ""), "forward-pass throughput, one line per variant and device (median of the timed runs, mean over repeats)");
        addPlot("latency_ms", Figures.lines("forward time against sequence length", "sequence length", "median ms", lines(speedBy(timed, "median_ms")), false, 0,
                ""), "median time of one forward pass: a straight line through the origin is linear in the length (a sliding window), one that bends"
                        + " upwards is not (full attention)");
        body.append("<table><tr><th>variant</th><th>device</th><th>length</th><th>median ms</th><th>tokens/s</th><th>kernel ms</th><th>transfer ms</th>"
                + "<th>first run: compile ms</th><th>checksum</th><th>agrees</th></tr>\n");
        for (Comparison c : compare(timed)) {
            body.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%.3f</td><td>%,.0f</td><td>%.3f</td><td>%.3f</td><td>%.1f</td>"
                    + "<td>%.6f</td><td>%s</td></tr>%n", escape(c.variant()), escape(c.device()), c.length(), c.medianMs(), c.tokensPerS(), c.kernelMs(),
                    c.transferMs(), c.compileMs(), c.checksum(), c.agrees()));
        }
        body.append("</table>\n<p class=small>agrees: the output checksum is within 1e-4")
                .append(" relative of the first device's for the same variant, repeat and length. kernel/transfer ms: TornadoVM's profiler, mean per timed"
                        + " run (the JVM implementation measures its tasks and simulated copies and compiles nothing).</p>\n");
    }

    /** Per variant and device: a speed field at each length, over repeats. */
    private static Map<String, TreeMap<Double, List<Double>>> speedBy(List<Map<String, Object>> timed, String field) {
        Map<String, TreeMap<Double, List<Double>>> byVariant = new LinkedHashMap<>();
        for (Map<String, Object> row : timed) {
            for (Object entry : (List<?>) row.get("speed")) {
                Map<String, Object> e = map(entry);
                byVariant.computeIfAbsent(label(row) + " on " + row.get("device"), k -> new TreeMap<>())
                        .computeIfAbsent(number(e.get("length")), k -> new ArrayList<>()).add(number(e.get(field)));
            }
        }
        return byVariant;
    }

    /** One speed entry of one row, with whether its output agrees with the first device's. */
    public record Comparison(String variant, String device, String deviceName, int length, double medianMs, double p90Ms, double tokensPerS,
            double kernelMs, double transferMs, double compileMs, double checksum, String agrees) {
    }

    /** Every speed entry of {@code rows}, with agreement against the first row of the same variant and repeat. */
    public static List<Comparison> compare(List<Map<String, Object>> rows) {
        Map<String, Double> reference = new LinkedHashMap<>();
        List<Comparison> out = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            if (!(row.get("speed") instanceof List<?> entries)) {
                continue;
            }
            for (Object entry : entries) {
                Map<String, Object> e = map(entry);
                int length = (int) number(e.get("length"));
                double checksum = number(e.get("checksum"));
                String key = row.get("variant") + "|" + row.get("repeat") + "|" + length + "|" + e.get("batch");
                // a non-finite output agrees with nothing, and is no reference for the devices after it
                Double first = Double.isFinite(checksum) ? reference.putIfAbsent(key, checksum) : null;
                String agrees = !Double.isFinite(checksum) ? "NO" : first == null ? "(reference)" : agree(first, checksum) ? "yes" : "NO";
                Map<String, Object> steady = map(e.get("steady"));
                Map<String, Object> firstRun = map(e.get("first_run"));
                out.add(new Comparison(label(row), String.valueOf(row.get("device")), String.valueOf(row.getOrDefault("device_name", row.get("device"))), length,
                        number(e.get("median_ms")), number(e.get("p90_ms")), number(e.get("tokens_per_s")), number(steady.get("kernel_ms")),
                        number(steady.get("transfer_ms")), number(firstRun.get("compile_ms")), checksum, agrees));
            }
        }
        return out;
    }

    /** Whether two checksums agree: within {@link #AGREEMENT} relative (and absolute, near 0); non-finite ones never do. */
    public static boolean agree(double a, double b) {
        return Double.isFinite(a) && Double.isFinite(b) && Math.abs(a - b) <= AGREEMENT * Math.abs(a) + AGREEMENT;
    }

    // ---------------------------------------------------------------- helpers

    private void addPlot(String name, byte[] png, String caption) {
        plots.put(name, png);
        body.append("<figure><img alt=\"").append(escape(name)).append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
                .append("\"><figcaption>").append(escape(caption)).append(" (<code>plots/").append(escape(name)).append(".png</code>)</figcaption></figure>\n");
    }

    private static List<Figures.Line> lines(Map<String, TreeMap<Double, List<Double>>> byVariant) {
        List<Figures.Line> lines = new ArrayList<>();
        byVariant.forEach((name, points) -> {
            double[] x = new double[points.size()];
            double[] y = new double[points.size()];
            int i = 0;
            for (Map.Entry<Double, List<Double>> p : points.entrySet()) {
                x[i] = p.getKey();
                y[i++] = p.getValue().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            }
            lines.add(new Figures.Line(name, x, y));
        });
        return lines;
    }

    /** A row's variant as the plots name it: its axis values, or the sweep's name when it has none. */
    static String label(Map<String, Object> row) {
        Map<String, Object> axes = map(row.get("axes"));
        axes.remove("seed");
        if (axes.isEmpty()) {
            return String.valueOf(row.get("sweep"));
        }
        List<String> parts = new ArrayList<>();
        axes.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(", ", parts);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? new LinkedHashMap<>((Map<String, Object>) m) : new LinkedHashMap<>();
    }

    private static double number(Object value) {
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private String html() {
        return "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>Attention Lab sweep report</title>\n<style>"
                + "body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}"
                + "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}th{background:#eee}td:first-child{text-align:left}"
                + "figure{margin:1.5em 0}img{max-width:100%;border:1px solid #ddd}.small{font-size:12px;color:#555}</style></head>\n<body>\n"
                + "<h1>Sweep report: " + escape(dir.toAbsolutePath().normalize().getFileName().toString()) + "</h1>\n" + body
                + "<p id=render-check class=small>plots decoded: not checked (scripts disabled)</p>\n"
                + "<script>window.addEventListener('load',function(){var all=document.images,ok=0;for(var i=0;i<all.length;i++){"
                + "if(all[i].complete&&all[i].naturalWidth>0){ok++;}}document.getElementById('render-check').textContent="
                + "'plots decoded: '+ok+' of '+all.length;});</script>\n</body></html>\n";
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Writes {@code bytes} to {@code target} through {@link OutputFiles} (never half a file, never over a special file). */
    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        OutputFiles.write(target, out -> out.write(bytes));
    }
}
