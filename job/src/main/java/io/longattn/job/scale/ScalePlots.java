package io.longattn.job.scale;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The two PNG plots of an experiment (XChart): time against executors on log-log axes, and efficiency beside the
 * ideal 1.0 and, when probed, the machine's ceiling.
 */
final class ScalePlots {
    static final String TIME = "time.png", EFFICIENCY = "efficiency.png";

    private ScalePlots() {
    }

    static void write(Path dir, String title, List<ResultsTable.Point> points, int coresPerExecutor, int slotsPerExecutor,
                      MachineCeiling ceiling) {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        double[] n = points.stream().mapToDouble(ResultsTable.Point::executors).toArray();

        XYChart time = chart(title, "executors (" + coresPerExecutor + (coresPerExecutor == 1 ? " core" : " cores") + " each)",
                "seconds");
        time.getStyler().setYAxisLogarithmic(true).setYAxisLogarithmicDecadeOnly(false);
        line(time.addSeries("job wall (median)", n, points.stream().mapToDouble(ResultsTable.Point::wall).toArray()),
                SeriesLines.SOLID, true);
        line(time.addSeries("ideal (baseline wall x work per executor)", n,
                points.stream().mapToDouble(ResultsTable.Point::idealWall).toArray()), SeriesLines.DASH_DASH, false);
        line(time.addSeries("task time / task slots", n, points.stream()
                .mapToDouble(p -> p.compute() / (p.executors() * (double) slotsPerExecutor)).toArray()), SeriesLines.DOT_DOT, true);
        save(time, dir.resolve(TIME));

        XYChart eff = chart(title, "executors", "efficiency");
        double[] limits = points.stream().mapToDouble(p -> ceiling.atExecutors(p.executors())).toArray();
        double top = Math.max(1.1, points.stream().mapToDouble(ResultsTable.Point::efficiency).max().orElse(1) * 1.05);
        if (ceiling.measured()) top = Math.max(top, java.util.Arrays.stream(limits).max().orElse(1) * 1.05);
        eff.getStyler().setYAxisMin(0.0).setYAxisMax(top).setYAxisDecimalPattern("0.00");
        line(eff.addSeries("efficiency (medians)", n, points.stream().mapToDouble(ResultsTable.Point::efficiency).toArray()),
                SeriesLines.SOLID, true);
        double[] ones = new double[n.length];
        java.util.Arrays.fill(ones, 1.0);
        line(eff.addSeries("ideal", n, ones), SeriesLines.DASH_DASH, false);
        if (ceiling.measured()) {
            line(eff.addSeries("machine ceiling (FMA probe, " + MachineCeiling.FILE + ")", n, limits), SeriesLines.DASH_DASH, true);
        }
        save(eff, dir.resolve(EFFICIENCY));
    }

    private static XYChart chart(String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(800).height(520).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setXAxisLogarithmic(true).setXAxisLogarithmicDecadeOnly(false)
                .setChartBackgroundColor(Color.WHITE).setLegendPosition(Styler.LegendPosition.OutsideS)
                .setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setxAxisTickLabelsFormattingFunction(v -> v == Math.rint(v) ? String.valueOf((long) (double) v) : "");
        return c;
    }

    private static void line(XYSeries s, java.awt.BasicStroke style, boolean markers) {
        s.setLineStyle(style);
        s.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }

    private static void save(XYChart chart, Path file) {
        try {
            byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
            Files.write(tmp, png);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
