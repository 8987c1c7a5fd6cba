package chanemb.lengths;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;

/**
 * Histograms of token counts as PNG files, drawn with JFreeChart; they open without a browser
 * or a network. The token axis is logarithmic with 20 bins per power of ten, so posts of a few
 * tokens and windows of thousands fit one chart with the 512- and 8,192-token limits, which are
 * drawn as labelled vertical lines.
 */
final class LengthCharts {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 500;
    private static final int BINS_PER_DECADE = 20;
    private static final Color BARS = new Color(70, 110, 170);
    private static final Color LIMIT = new Color(200, 40, 40);

    private LengthCharts() {
    }

    /** Writes a histogram of {@code values} (token counts, at least one) with a line per limit. */
    static void histogram(Path file, String title, int[] values, List<LengthReport.Limit> limits) throws IOException {
        int max = 1;
        for (int value : values) {
            max = Math.max(max, value);
        }
        long upper = max;
        for (LengthReport.Limit limit : limits) {
            upper = Math.max(upper, limit.tokens());
        }

        // Bin k covers [10^(k/20), 10^((k+1)/20)); counts below 1 token go to the first bin.
        int bins = (int) Math.ceil(Math.log10(upper * 1.2) * BINS_PER_DECADE) + 1;
        long[] counts = new long[bins];
        for (int value : values) {
            counts[bin(value)]++;
        }
        XYIntervalSeries series = new XYIntervalSeries("inputs");
        for (int k = 0; k < bins; k++) {
            if (counts[k] > 0) {
                double low = Math.pow(10, k / (double) BINS_PER_DECADE);
                double high = Math.pow(10, (k + 1) / (double) BINS_PER_DECADE);
                series.add(Math.sqrt(low * high), low, high, counts[k], 0, counts[k]);
            }
        }
        XYIntervalSeriesCollection data = new XYIntervalSeriesCollection();
        data.addSeries(series);

        LogAxis tokens = new LogAxis("tokens (log scale; nothing is cut)");
        tokens.setBase(10);
        tokens.setSmallestValue(1);
        tokens.setRange(1, upper * 1.2);
        tokens.setNumberFormatOverride(new java.text.DecimalFormat("#,##0"));
        NumberAxis inputs = new NumberAxis("inputs");
        inputs.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYBarRenderer renderer = new XYBarRenderer();
        renderer.setBarPainter(new StandardXYBarPainter());
        renderer.setShadowVisible(false);
        renderer.setSeriesPaint(0, BARS);
        renderer.setDrawBarOutline(false);
        XYPlot plot = new XYPlot(data, tokens, inputs, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        for (LengthReport.Limit limit : limits) {
            plot.addDomainMarker(marker(limit));
        }
        String subtitle = String.format(Locale.ROOT, "%s (n = %,d, max %,d)", title, values.length, max);
        JFreeChart chart = new JFreeChart(subtitle, new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }

    private static int bin(int value) {
        return value <= 1 ? 0 : (int) Math.floor(Math.log10(value) * BINS_PER_DECADE);
    }

    private static ValueMarker marker(LengthReport.Limit limit) {
        ValueMarker marker = new ValueMarker(limit.tokens(), LIMIT, new BasicStroke(1.5f, BasicStroke.CAP_BUTT,
                BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        marker.setLabel(String.format(Locale.ROOT, "%,d (%s)", limit.tokens(), limit.name()));
        marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        marker.setLabelPaint(LIMIT);
        marker.setLabelAnchor(RectangleAnchor.TOP_LEFT);
        marker.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
        return marker;
    }
}
