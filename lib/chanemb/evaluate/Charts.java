package chanemb.evaluate;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;

/** The report's PNG charts, drawn with JFreeChart. They open without a browser or a network. */
final class Charts {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 500;

    private Charts() {
    }

    static void write(Path dir, Evaluation.Results results) throws IOException {
        identity(dir, results);
        topic(dir, results);
        stability(dir, results);
        downstream(dir, results);
    }

    private static void identity(Path dir, Evaluation.Results results) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Evaluation.RunResult result : results.runs()) {
            Identity.Result identity = result.identity();
            data.addValue(finite(identity.meanReciprocalRank()), "MRR", result.run().name());
            data.addValue(finite(identity.recallAtK()), "recall@" + identity.k(), result.run().name());
        }
        save(dir.resolve("identity.png"), bars("Channel identity", "score (higher is better)", data, 1.0));
    }

    private static void topic(Path dir, Evaluation.Results results) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Evaluation.RunResult result : results.runs()) {
            if (result.topic() != null) {
                data.addValue(finite(result.topic().accuracy()), "accuracy", result.run().name());
                data.addValue(finite(result.topic().macroF1()), "macro F1", result.run().name());
            }
        }
        if (data.getColumnCount() > 0) {
            save(dir.resolve("topic.png"), bars("Topic of the channel, from other channels' ad posts",
                    "score (higher is better)", data, 1.0));
        }
    }

    private static void stability(Path dir, Evaluation.Results results) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Evaluation.RunResult result : results.runs()) {
            for (Stability.Bucket bucket : result.stability().buckets()) {
                data.addValue(finite(bucket.meanCosine()), result.run().name(), bucket.name());
            }
        }
        JFreeChart chart = ChartFactory.createLineChart("Cosine between consecutive ad posts of a channel",
                "time between them", "mean cosine", data, PlotOrientation.VERTICAL, true, false, false);
        style(chart);
        CategoryPlot plot = chart.getCategoryPlot();
        // Cosines of one model lie close together, so an axis from 0 would flatten every line.
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        LineAndShapeRenderer renderer = (LineAndShapeRenderer) plot.getRenderer();
        renderer.setDefaultShapesVisible(true);
        renderer.setDefaultStroke(new BasicStroke(2f));
        renderer.setAutoPopulateSeriesStroke(false);
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.STANDARD);
        save(dir.resolve("stability.png"), chart);
    }

    private static void downstream(Path dir, Evaluation.Results results) throws IOException {
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        Downstream.Result baseline = null;
        for (Evaluation.RunResult result : results.runs()) {
            Downstream.Result downstream = result.downstream();
            if (downstream != null && !downstream.folds().isEmpty()) {
                data.add(downstream.meanR2(), downstream.stdR2(), "R²", result.run().name());
                baseline = downstream;
            }
        }
        if (baseline == null) {
            return;
        }
        data.add(baseline.meanBaselineR2(), baseline.stdBaselineR2(), "R²", "no vector");
        JFreeChart chart = ChartFactory.createBarChart("R² for later ad posts (mean and spread across folds)", null,
                "R²", data, PlotOrientation.VERTICAL, false, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        StatisticalBarRenderer renderer = new StatisticalBarRenderer();
        renderer.setErrorIndicatorPaint(Color.DARK_GRAY);
        plot.setRenderer(renderer);
        style(chart);
        save(dir.resolve("downstream.png"), chart);
    }

    private static JFreeChart bars(String title, String axis, DefaultCategoryDataset data, double upper) {
        JFreeChart chart = ChartFactory.createBarChart(title, null, axis, data, PlotOrientation.VERTICAL, true, false,
                false);
        ((NumberAxis) chart.getCategoryPlot().getRangeAxis()).setRange(0, upper);
        style(chart);
        return chart;
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        CategoryAxis categories = plot.getDomainAxis();
        categories.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        categories.setMaximumCategoryLabelLines(2);
    }

    /** Returns null for NaN, which JFreeChart draws as a gap. */
    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }

    private static void save(Path file, JFreeChart chart) throws IOException {
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }
}
