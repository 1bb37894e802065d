package org.attentionlab.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.util.List;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Line charts as PNG bytes, drawn headless with XChart. */
final class Figures {

    static final int WIDTH = 900;
    static final int HEIGHT = 520;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Figures() {
    }

    /** One line of a chart. */
    record Line(String name, double[] x, double[] y) {
    }

    /** A chart with one line per entry and, when {@code markX} is positive, a dashed vertical line there. */
    static byte[] lines(String title, String xTitle, String yTitle, List<Line> lines, boolean logX, double markX, String markName) throws IOException {
        return lines(title, xTitle, yTitle, lines, logX, markX, markName, Double.NaN, Double.NaN);
    }

    /** {@link #lines}, with the y axis from {@code yMin} to {@code yMax} where they are not NaN (accuracy: 0 to 1). */
    static byte[] lines(String title, String xTitle, String yTitle, List<Line> lines, boolean logX, double markX, String markName, double yMin, double yMax)
            throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        XYStyler styler = chart.getStyler();
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setXAxisLogarithmic(logX);
        styler.setXAxisLogarithmicDecadeOnly(false);
        chart.getStyler().setXAxisDecimalPattern("#,###.##");
        if (!Double.isNaN(yMin)) {
            styler.setYAxisMin(yMin);
        }
        if (!Double.isNaN(yMax)) {
            styler.setYAxisMax(yMax);
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        java.util.Map<String, Integer> used = new java.util.HashMap<>();
        for (Line line : lines) {
            // XChart refuses two series of one name
            int seen = used.merge(line.name(), 1, Integer::sum);
            XYSeries series = chart.addSeries(seen == 1 ? line.name() : line.name() + " (" + seen + ")", line.x(), line.y());
            series.setMarker(SeriesMarkers.CIRCLE);
            for (double v : line.y()) {
                if (Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        if (!Double.isNaN(yMin)) {
            min = yMin;
        }
        if (!Double.isNaN(yMax)) {
            max = yMax;
        }
        if (markX > 0 && Double.isFinite(min)) {
            XYSeries mark = chart.addSeries(markName, new double[] { markX, markX }, new double[] { min, max });
            mark.setMarker(SeriesMarkers.NONE);
            mark.setLineColor(Color.DARK_GRAY);
            mark.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] { 6f, 4f }, 0f));
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
    }
}
