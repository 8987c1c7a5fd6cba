package chanemb.evaluate;

import chanemb.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * Writes the evaluation as a Markdown report ({@code report.md}) with PNG charts and one CSV
 * file per table, all in one folder. The tables are Tablesaw tables; the CSV files hold the same
 * figures at full precision.
 */
public final class Report {
    /** Approaches of the embed step; one that no run used appears in the cost table as "not run". */
    static final List<String> APPROACHES = List.of("profile", "pooling-mean", "pooling-recency", "summary", "long");
    static final String NOT_RUN = "not run";

    private Report() {
    }

    /**
     * What the report describes besides the results.
     *
     * @param target     target column of the downstream metric, or null when none was given
     * @param ignoredLabels post labels that do not count as topics
     * @param topicNote  why the topic metric is missing, or null
     * @param costs      cost of each run, by run name
     * @param summaries  the summarize step's figures, or null when its output was not found
     * @param command    the command line, shown so the report can be reproduced
     */
    public record Context(String target, List<String> ignoredLabels, String topicNote, Map<String, Costs.Cost> costs,
                          Costs.Llm summaries,
                          String command, Evaluation.Settings settings) {
    }

    /** Writes report.md, the CSV files and the charts into {@code dir} and returns the report's path. */
    public static Path write(Path dir, Evaluation.Results results, Context context) {
        try {
            Files.createDirectories(dir);
            clear(dir);
            Tables tables = Tables.of(results, context);
            for (Table table : tables.all()) {
                table.write().csv(dir.resolve(table.name() + ".csv").toFile());
            }
            Charts.write(dir, results);
            Path report = dir.resolve("report.md");
            Path tmp = dir.resolve("report.md.tmp");
            Files.writeString(tmp, markdown(results, context, tables), StandardCharsets.UTF_8);
            Files.move(tmp, report, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return report;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the report into " + dir, e);
        }
    }

    /** Removes the files an earlier report left, so a chart that is not drawn this time does not stay. */
    private static void clear(Path dir) throws IOException {
        for (String name : List.of("report.md", "runs.csv", "identity.csv", "topic.csv", "stability.csv",
                "downstream.csv", "downstream_folds.csv", "cost.csv", "identity.png", "topic.png", "stability.png",
                "downstream.png")) {
            Files.deleteIfExists(dir.resolve(name));
        }
    }

    static String markdown(Evaluation.Results results, Context context, Tables tables) {
        Evaluation.Settings settings = context.settings();
        StringBuilder md = new StringBuilder();
        md.append("# Channel vectors compared\n\n");
        md.append(String.format(Locale.ROOT, "%d ad posts in the windows; %d have a vector in every run, and every metric"
                + " uses only those.%n%n", results.adPosts(), results.common()));
        md.append(markdownTable(tables.runs())).append('\n');
        if (results.runs().stream().anyMatch(r -> "profile".equals(r.run().approach()))) {
            md.append("A profile vector is made from the channel's title and description alone, so it is the same for"
                    + " every ad post of a channel. Its stability is 1 by construction, and so is its identity unless two"
                    + " channels have the same vector. Compare it on topic and downstream.\n\n");
        }

        md.append("## Channel identity\n\n");
        md.append(String.format(Locale.ROOT, "For each query ad post, all other ad posts are ranked by cosine similarity."
                + " MRR is the mean of 1 / rank of the first ad post of the same channel; recall@%d is the share of the"
                + " channel's other ad posts among the first %d (out of at most %d). Ties rank other channels first."
                + " Queries: ad posts whose channel has another ad post, at most %d.%n%n", settings.recallAt(),
                settings.recallAt(), settings.recallAt(), settings.maxQueries()));
        md.append(markdownTable(tables.identity())).append("\n![Channel identity](identity.png)\n\n");

        md.append("## Topic\n\n");
        if (context.topicNote() != null) {
            md.append(context.topicNote()).append("\n\n");
        } else {
            md.append(String.format(Locale.ROOT, "A channel's topic is the most frequent label of its posts; %s."
                    + " Each query's channel topic is predicted by a %d-nearest-neighbour vote (cosine) over ad posts of"
                    + " other channels only: channels are split into at most %d folds, and a fold's ad posts are"
                    + " classified by the ad posts of the other folds. %d of the %d ad posts belong to a channel with a"
                    + " topic. Channels by topic: %s.%n%n", ignoredText(context.ignoredLabels()), settings.neighbours(),
                    settings.topicFolds(), results.withTopic(), results.common(), topicsText(results.channelsPerTopic())));
            md.append(markdownTable(tables.topic())).append("\n![Topic](topic.png)\n\n");
        }

        md.append("## Stability\n\n");
        md.append("Cosine between each ad post and the previous ad post of the same channel, overall and by the time"
                + " between them.\n\n");
        md.append(markdownTable(tables.stability())).append("\n![Stability](stability.png)\n\n");

        md.append("## Usefulness downstream\n\n");
        if (context.target() == null) {
            md.append("Not run: no target column was given (--target).\n\n");
        } else if (tables.downstream().rowCount() == 0) {
            md.append(String.format(Locale.ROOT, "Not run: %d of the %d ad posts have a value of `%s`; %d folds need at"
                    + " least %d.%n%n", results.withTarget(), results.common(), context.target(), settings.folds(),
                    Downstream.minimumAdPosts(settings.folds())));
        } else {
            md.append(String.format(Locale.ROOT, "Target: `%s` of the ad-post table, %d of the %d ad posts have a value."
                    + " R² of a ridge regression on the vectors for later ad posts: the ad posts are cut in date order"
                    + " into %d blocks, and fold f trains on the blocks before block f and tests on block f."
                    + " The regularization is chosen on the training blocks alone. The baseline predicts the training"
                    + " mean and uses no vector. Spread: the standard deviation across folds.%n%n", context.target(),
                    results.withTarget(), results.common(), settings.folds() + 1));
            md.append(markdownTable(tables.downstream())).append("\n![Usefulness downstream](downstream.png)\n\n");
        }

        md.append("## Cost\n\n");
        md.append("Read from the step outputs: the embed manifest of each run and the summarize step's records."
                + " Inputs taken from the cache cost the run nothing; their cost is in the run that embedded them."
                + " Money is counted for LLM calls only, from the prices given to evaluate.\n\n");
        md.append(markdownTable(tables.cost())).append('\n');

        md.append("## Reproduce\n\n```\n").append(context.command()).append("\n```\n");
        return md.toString();
    }

    private static String ignoredText(List<String> ignored) {
        return ignored.isEmpty() ? "every label counts" : "these labels do not count: " + String.join(", ", ignored);
    }

    private static String topicsText(Map<String, Integer> channelsPerTopic) {
        List<String> parts = new ArrayList<>();
        channelsPerTopic.forEach((topic, channels) -> parts.add(topic + " " + channels));
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    /** Formats a table as Markdown: numbers to three decimals, missing values as "-". */
    static String markdownTable(Table table) {
        StringBuilder md = new StringBuilder("|");
        List<Column<?>> columns = table.columns();
        for (Column<?> column : columns) {
            md.append(' ').append(column.name()).append(" |");
        }
        md.append("\n|");
        for (Column<?> column : columns) {
            md.append(column instanceof StringColumn ? "---|" : "---:|");
        }
        md.append('\n');
        for (int row = 0; row < table.rowCount(); row++) {
            md.append('|');
            for (Column<?> column : columns) {
                md.append(' ').append(cell(column, row)).append(" |");
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static String cell(Column<?> column, int row) {
        if (column.isMissing(row)) {
            return "-";
        }
        if (column instanceof DoubleColumn doubles) {
            return String.format(Locale.ROOT, "%.3f", doubles.getDouble(row));
        }
        if (column instanceof IntColumn ints) {
            return String.format(Locale.ROOT, "%,d", ints.getInt(row));
        }
        return column.getString(row).replace("|", "\\|");
    }

    /** The report's tables, each written to a CSV file of its name. */
    record Tables(Table runs, Table identity, Table topic, Table stability, Table downstream, Table folds, Table cost) {
        List<Table> all() {
            List<Table> all = new ArrayList<>(List.of(runs, identity, stability, cost));
            if (topic.rowCount() > 0) {
                all.add(topic);
            }
            if (downstream.rowCount() > 0) {
                all.add(downstream);
                all.add(folds);
            }
            return all;
        }

        static Tables of(Evaluation.Results results, Context context) {
            return new Tables(runs(results), identity(results), topic(results), stability(results),
                    downstream(results), folds(results), cost(results, context));
        }

        private static Table runs(Evaluation.Results results) {
            Table table = Table.create("runs", StringColumn.create("run"), StringColumn.create("approach"),
                    IntColumn.create("dimension"), IntColumn.create("ad posts with a vector"),
                    IntColumn.create("vectors dropped"));
            for (Evaluation.RunResult result : results.runs()) {
                VectorRun run = result.run();
                table.stringColumn(0).append(run.name());
                table.stringColumn(1).append(run.approach() == null ? "-" : run.approach());
                table.intColumn(2).append(run.dimension());
                table.intColumn(3).append(results.coverage().get(run.name()));
                table.intColumn(4).append((int) run.dropped());
            }
            return table;
        }

        private static Table identity(Evaluation.Results results) {
            int k = results.runs().isEmpty() ? 10 : results.runs().get(0).identity().k();
            Table table = Table.create("identity", StringColumn.create("run"), IntColumn.create("queries"),
                    DoubleColumn.create("MRR"), DoubleColumn.create("recall@" + k));
            for (Evaluation.RunResult result : results.runs()) {
                table.stringColumn(0).append(result.run().name());
                table.intColumn(1).append(result.identity().queries());
                table.doubleColumn(2).append(result.identity().meanReciprocalRank());
                table.doubleColumn(3).append(result.identity().recallAtK());
            }
            return table;
        }

        private static Table topic(Evaluation.Results results) {
            Table table = Table.create("topic", StringColumn.create("run"), IntColumn.create("queries"),
                    IntColumn.create("channels"), IntColumn.create("topics"), DoubleColumn.create("accuracy"),
                    DoubleColumn.create("macro F1"));
            for (Evaluation.RunResult result : results.runs()) {
                if (result.topic() == null) {
                    continue;
                }
                table.stringColumn(0).append(result.run().name());
                table.intColumn(1).append(result.topic().queries());
                table.intColumn(2).append(result.topic().channels());
                table.intColumn(3).append(result.topic().topics());
                table.doubleColumn(4).append(result.topic().accuracy());
                table.doubleColumn(5).append(result.topic().macroF1());
            }
            return table;
        }

        private static Table stability(Evaluation.Results results) {
            Table table = Table.create("stability", StringColumn.create("run"), IntColumn.create("pairs"),
                    DoubleColumn.create("mean cosine"), DoubleColumn.create("median cosine"));
            for (String bucket : Stability.BUCKETS) {
                table.addColumns(DoubleColumn.create("mean " + bucket), IntColumn.create("pairs " + bucket));
            }
            for (Evaluation.RunResult result : results.runs()) {
                Stability.Result stability = result.stability();
                table.stringColumn(0).append(result.run().name());
                table.intColumn(1).append(stability.pairs());
                table.doubleColumn(2).append(stability.meanCosine());
                table.doubleColumn(3).append(stability.medianCosine());
                for (int b = 0; b < stability.buckets().size(); b++) {
                    table.doubleColumn(4 + 2 * b).append(stability.buckets().get(b).meanCosine());
                    table.intColumn(5 + 2 * b).append(stability.buckets().get(b).pairs());
                }
            }
            return table;
        }

        private static Table downstream(Evaluation.Results results) {
            Table table = Table.create("downstream", StringColumn.create("run"), IntColumn.create("folds"),
                    DoubleColumn.create("R² mean"), DoubleColumn.create("R² std"), DoubleColumn.create("R² min"),
                    DoubleColumn.create("R² max"));
            Downstream.Result baseline = null;
            for (Evaluation.RunResult result : results.runs()) {
                Downstream.Result downstream = result.downstream();
                if (downstream == null || downstream.folds().isEmpty()) {
                    continue;
                }
                baseline = downstream;
                double[] r2 = downstream.folds().stream().mapToDouble(Downstream.Fold::r2).toArray();
                appendR2(table, result.run().name(), r2);
            }
            if (baseline != null) {
                // The baseline ignores the vectors, so every run gives it the same folds and figures.
                appendR2(table, "no vector (training mean)",
                        baseline.folds().stream().mapToDouble(Downstream.Fold::baselineR2).toArray());
            }
            return table;
        }

        private static void appendR2(Table table, String name, double[] r2) {
            table.stringColumn(0).append(name);
            table.intColumn(1).append(r2.length);
            table.doubleColumn(2).append(java.util.Arrays.stream(r2).average().orElse(Double.NaN));
            table.doubleColumn(3).append(Downstream.std(r2));
            table.doubleColumn(4).append(java.util.Arrays.stream(r2).min().orElse(Double.NaN));
            table.doubleColumn(5).append(java.util.Arrays.stream(r2).max().orElse(Double.NaN));
        }

        private static Table folds(Evaluation.Results results) {
            Table table = Table.create("downstream_folds", StringColumn.create("run"), IntColumn.create("fold"),
                    IntColumn.create("train"), IntColumn.create("test"), DoubleColumn.create("R²"),
                    DoubleColumn.create("baseline R²"), DoubleColumn.create("C"));
            for (Evaluation.RunResult result : results.runs()) {
                if (result.downstream() == null) {
                    continue;
                }
                for (Downstream.Fold fold : result.downstream().folds()) {
                    table.stringColumn(0).append(result.run().name());
                    table.intColumn(1).append(fold.fold());
                    table.intColumn(2).append(fold.train());
                    table.intColumn(3).append(fold.test());
                    table.doubleColumn(4).append(fold.r2());
                    table.doubleColumn(5).append(fold.baselineR2());
                    table.doubleColumn(6).append(fold.cost());
                }
            }
            return table;
        }

        private static Table cost(Evaluation.Results results, Context context) {
            Table table = Table.create("cost", StringColumn.create("run"), StringColumn.create("inputs embedded"),
                    StringColumn.create("inputs from cache"), StringColumn.create("tokens embedded"),
                    StringColumn.create("encoder time"), StringColumn.create("LLM calls"),
                    StringColumn.create("LLM tokens in / out"), StringColumn.create("LLM time"),
                    StringColumn.create("LLM cost (USD)"));
            List<String> seen = new ArrayList<>();
            for (Evaluation.RunResult result : results.runs()) {
                VectorRun run = result.run();
                seen.add(run.approach());
                Costs.Cost cost = context.costs().get(run.name());
                boolean summary = "summary".equals(run.approach());
                Costs.Llm llm = cost == null ? null : cost.llm();
                table.stringColumn(0).append(run.name());
                table.stringColumn(1).append(count(cost == null ? null : cost.inputsEmbedded()));
                table.stringColumn(2).append(count(cost == null ? null : cost.inputsFromCache()));
                table.stringColumn(3).append(count(cost == null ? null : cost.tokensEmbedded()));
                table.stringColumn(4).append(cost == null || cost.encoderSeconds() == null ? "-"
                        : Progress.formatDuration(cost.encoderSeconds()));
                appendLlm(table, llm, summary ? NOT_RUN : "-");
            }
            for (String approach : APPROACHES) {
                if (seen.contains(approach)) {
                    continue;
                }
                table.stringColumn(0).append(approach);
                for (int c = 1; c <= 4; c++) {
                    table.stringColumn(c).append(NOT_RUN);
                }
                // Summaries may exist before their vectors do; their cost is known all the same.
                appendLlm(table, approach.equals("summary") ? context.summaries() : null, NOT_RUN);
            }
            return table;
        }

        private static void appendLlm(Table table, Costs.Llm llm, String missing) {
            table.stringColumn(5).append(llm == null ? missing : count(llm.calls()));
            table.stringColumn(6).append(llm == null ? missing : count(llm.tokensIn()) + " / " + count(llm.tokensOut()));
            table.stringColumn(7).append(llm == null || llm.wallSeconds() == null ? missing
                    : Progress.formatDuration(llm.wallSeconds()));
            table.stringColumn(8).append(llm == null ? missing : llm.usd() == null ? "no prices given"
                    : String.format(Locale.ROOT, "%.2f", llm.usd()));
        }

        private static String count(Long value) {
            return value == null ? "-" : String.format(Locale.ROOT, "%,d", value);
        }
    }
}
