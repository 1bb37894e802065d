package org.attentionlab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.attentionlab.sweep.ResultsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** report.html holds every plot inline as a PNG that decodes and is not blank; the PNG files are the same plots. */
class ReportTest {

    @TempDir
    Path dir;

    static Map<String, Object> row(String cell, String pe, String device, double tokensPerS, double checksum, List<List<Double>> distance) {
        return Map.of("cell", cell, "variant", pe, "status", "ok", "sweep", "t", "repeat", 0L, "device", device, "axes", Map.of("position_embedding", pe),
                "speed", List.of(Map.of("length", 16L, "batch", 1L, "median_ms", 1.0, "p90_ms", 1.0, "tokens_per_s", tokensPerS, "checksum", checksum),
                        Map.of("length", 64L, "batch", 1L, "median_ms", 2.0, "p90_ms", 2.0, "tokens_per_s", tokensPerS * 2, "checksum", checksum * 3)),
                "analyses", Map.of("attention_distance", Map.of("unit", "positions", "per_head", distance)));
    }

    @Test
    void everyPlotIsInlineDecodesAndIsNotBlank() throws IOException {
        try (ResultsFile results = ResultsFile.open(ResultsFile.fileFor(dir, 0, 1))) {
            results.append(row("a", "none", "jvm", 100, 1.5, List.of(List.of(1.0, 2.0), List.of(3.0, 4.0))));
            results.append(row("b", "rope", "jvm", 150, 2.5, List.of(List.of(2.0, 2.0), List.of(1.0, 1.0))));
            results.append(row("c", "rope", "tornado:0:0", 900, 2.5000001, List.of()));
            results.append(Map.of("cell", "d", "status", "failed", "sweep", "t", "device", "jvm", "error", "<boom> & more"));
        }
        Path html = Report.write(dir);
        String text = Files.readString(html);
        Matcher images = Pattern.compile("<img alt=\"([a-z_]+)\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\">").matcher(text);
        List<String> names = new ArrayList<>();
        while (images.find()) {
            names.add(images.group(1));
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(images.group(2))));
            assertTrue(image.getWidth() >= 600 && image.getHeight() >= 300, images.group(1));
            Set<Integer> colours = new HashSet<>();
            for (int y = 0; y < image.getHeight(); y += 7) {
                for (int x = 0; x < image.getWidth(); x += 7) {
                    colours.add(image.getRGB(x, y));
                }
            }
            assertTrue(colours.size() > 5, images.group(1) + " is blank");
            assertTrue(Files.isRegularFile(dir.resolve("plots").resolve(images.group(1) + ".png")));
        }
        assertEquals(List.of("attention_distance", "tokens_per_s", "latency_ms"), names);
        assertFalse(text.contains("http:") || text.contains("https:") || text.contains("src=\"plots/"), "the report needs nothing but itself");
        assertTrue(text.contains("&lt;boom&gt; &amp; more"), "errors are escaped");
        assertTrue(text.contains("<td>yes</td>"), "the device whose checksum is within 1e-4 agrees");
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
    }

    @Test
    void oneLossCurvePerTrainingAndEvaluationPerDevice() throws IOException {
        Map<String, Object> train = Map.of("seq_len", 64L, "folder", "train/abc", "loss_curve", List.of(List.of(1L, 4.0), List.of(2L, 3.5)));
        List<Object> eval = List.of(Map.of("length", 64L, "loss", 3.4, "accuracy", 0.5), Map.of("length", 128L, "loss", 3.6, "accuracy", 0.25));
        try (ResultsFile results = ResultsFile.open(ResultsFile.fileFor(dir, 0, 1))) {
            for (String device : List.of("jvm", "tornado:0:0")) {
                results.append(Map.of("cell", device, "variant", "v", "status", "ok", "sweep", "t", "repeat", 0L, "device", device, "axes", Map.of("pe", "none"),
                        "train", train, "eval", eval));
            }
        }
        String text = Files.readString(Report.write(dir));
        for (String plot : List.of("accuracy_vs_length", "loss_vs_length", "loss_curves")) {
            assertTrue(text.contains("<img alt=\"" + plot + "\""), plot);
        }
    }

    @Test
    void checksumsAgreeWithinTheToleranceOnly() {
        assertTrue(Report.agree(100.0, 100.009));
        assertFalse(Report.agree(100.0, 100.02));
        assertFalse(Report.agree(Double.NaN, Double.NaN));
        assertTrue(Report.agree(0.0, 5e-5));
    }

    @Test
    void aDirectoryWithoutResultsIsAnError() {
        IOException e = assertThrows(IOException.class, () -> Report.write(dir));
        assertTrue(e.getMessage().contains("holds no results"), e.getMessage());
    }
}
