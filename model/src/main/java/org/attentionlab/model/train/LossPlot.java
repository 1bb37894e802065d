package org.attentionlab.model.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** {@code loss.png}: the training loss of the logged steps and the evaluation loss per length, against the step. */
final class LossPlot {

    static {
        // No display is needed or wanted: the chart is drawn into an image.
        System.setProperty("java.awt.headless", "true");
    }

    private LossPlot() {
    }

    /** Draws the log into {@code file} (written whole, then renamed into place). */
    static void write(Path file, List<LogLine> log, String title) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(540).title(title).xAxisTitle("step").yAxisTitle("loss").build();
        chart.getStyler().setLegendVisible(true);
        List<Double> steps = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        Map<Long, List<double[]>> evaluations = new TreeMap<>();
        for (LogLine line : log) {
            if (!Double.isFinite(line.loss())) {
                continue;
            }
            if (line.isEvaluation()) {
                evaluations.computeIfAbsent(line.evalLength().getAsLong(), k -> new ArrayList<>()).add(new double[] { line.step(), line.loss() });
            } else {
                steps.add((double) line.step());
                losses.add(line.loss());
            }
        }
        if (!steps.isEmpty()) {
            XYSeries train = chart.addSeries("train", steps, losses);
            train.setMarker(SeriesMarkers.NONE);
        }
        for (Map.Entry<Long, List<double[]>> entry : evaluations.entrySet()) {
            List<Double> x = entry.getValue().stream().map(p -> p[0]).toList();
            List<Double> y = entry.getValue().stream().map(p -> p[1]).toList();
            chart.addSeries("eval L=" + entry.getKey(), x, y);
        }
        if (chart.getSeriesMap().isEmpty()) {
            return;
        }
        RunDirectory.writeAtomically(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
