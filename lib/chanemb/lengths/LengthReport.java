package chanemb.lengths;

import chanemb.Dataset;
import chanemb.Duck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * Reads the step's datasets back and writes {@code report.md}, one PNG histogram per token
 * count, and the report's tables as {@code distributions.csv}, {@code limits.csv} and
 * {@code budget.csv}. Every figure comes from the datasets, so a report made after a resumed run
 * covers the rows of earlier runs too.
 */
public final class LengthReport {
    /** Names of the reference limits in tables and charts. */
    private static final Map<Integer, String> REFERENCE_NAMES = Map.of(512, "e5", 8192, "bge-m3");

    private LengthReport() {
    }

    /**
     * What the report states besides the datasets.
     *
     * @param windowCounts how each tokenizer counted windows, by tokenizer name
     * @param command      the command line, shown so the report can be reproduced
     */
    public record Context(Map<String, String> windowCounts, int checkWindows, long summaries, String command) {
    }

    /** A token limit that matters for an input, and what sets it. */
    record Limit(long tokens, String name) {
    }

    /**
     * One measured column: the input, the measure ("chars", "words", "tokens"), the tokenizer
     * ("-" for characters and words), the query returning its values, and the limits that matter.
     */
    record Measure(String input, String measure, String tokenizer, String sql, List<Limit> limits, String chart) {
    }

    /** The report's tables. */
    public record Tables(Table distributions, Table limits, Table budget) {
    }

    /** Writes the report and its files into {@code dir} and returns the report's path. */
    static Path write(Path dir, Counting counting, Path windowsDir, Context context) {
        try {
            Files.createDirectories(dir);
            clear(dir);
            List<Measure> measures = measures(dir, counting, windowsDir);
            Table distributions = distributionsTable();
            Table limits = limitsTable();
            int[] requestTokens = null;
            List<String> charts = new ArrayList<>();
            try (Connection duck = Duck.open(); Statement statement = duck.createStatement()) {
                for (Measure measure : measures) {
                    int[] values = values(statement, measure.sql());
                    addDistribution(distributions, measure, Distribution.of(values));
                    for (Limit limit : measure.limits()) {
                        addLimit(limits, measure, limit, values);
                    }
                    if (measure.chart() != null && values.length > 0) {
                        LengthCharts.histogram(dir.resolve(measure.chart()), measure.input() + ": " + measure.tokenizer()
                                + " tokens", values, measure.limits());
                        charts.add(measure.chart());
                    }
                    if (measure.input().equals(REQUEST) && measure.measure().equals("tokens")) {
                        requestTokens = values;
                    }
                }
            }
            Table budget = budgetTable(counting, requestTokens == null ? new int[0] : requestTokens);
            Tables tables = new Tables(distributions, limits, budget);
            for (Table table : List.of(distributions, limits, budget)) {
                table.write().csv(dir.resolve(table.name() + ".csv").toFile());
            }
            Path report = dir.resolve("report.md");
            Path tmp = dir.resolve("report.md.tmp");
            Files.writeString(tmp, LengthMarkdown.render(dir, counting, context, tables, charts), StandardCharsets.UTF_8);
            Files.move(tmp, report, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return report;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the report into " + dir, e);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read the lengths in " + dir + ": " + e.getMessage(), e);
        }
    }

    static final String POST = "post";
    static final String WINDOW = "window";
    static final String REQUEST = "request";
    static final String LONG = "long input";
    static final String SUMMARY = "summary input";
    static final String PROFILE = "profile input";

    /** Every measured column, in report order. */
    static List<Measure> measures(Path dir, Counting counting, Path windowsDir) {
        String posts = source(dir.resolve("posts"), "");
        String windows = source(dir.resolve("windows"), " WHERE posts > 0");
        String summaries = source(dir.resolve("windows"), " WHERE summary_chars IS NOT NULL");
        String channels = source(dir.resolve("channels"), "");
        // Identical windows (the same post ids) make one call, so each distinct window is one request.
        String requests = windows == null ? null : "(SELECT l.* FROM read_parquet(" + Dataset.glob(dir.resolve("windows"))
                + ") l JOIN read_parquet(" + Dataset.glob(windowsDir) + ") w ON w.ad_post_id = l.ad_post_id"
                + " WHERE l.posts > 0 QUALIFY row_number() OVER (PARTITION BY w.prev_post_ids ORDER BY l.ad_post_id) = 1)";
        String llm = llmName(counting);
        List<Limit> embeddingLimits = embeddingLimits(counting);
        List<Limit> postLimit = List.of(new Limit(counting.llm().maxPostTokens(), "--max-post-tokens"));
        List<Limit> requestLimit = List.of(new Limit(counting.llm().maxInputTokens(), "--max-input-tokens"));

        List<Measure> measures = new ArrayList<>();
        texts(measures, POST, posts, "chars", "words");
        measures.add(new Measure(POST, "tokens", llm, select("llm_tokens", posts), postLimit, "post_tokens__llm.png"));
        for (Counting.Model model : counting.models()) {
            measures.add(new Measure(POST, "tokens", model.name(), select(model.column("tokens"), posts), embeddingLimits,
                    "post_tokens__" + model.name() + ".png"));
        }
        texts(measures, WINDOW, windows, "chars", "words");
        measures.add(new Measure(WINDOW, "tokens", llm, select("llm_tokens", windows), List.of(), "window_tokens__llm.png"));
        texts(measures, REQUEST, requests, "request_chars", "request_words");
        measures.add(new Measure(REQUEST, "tokens", llm, select("request_tokens", requests), requestLimit,
                "request_tokens__llm.png"));
        texts(measures, LONG, windows, "long_chars", "long_words");
        for (Counting.Model model : counting.models()) {
            measures.add(new Measure(LONG, "tokens", model.name(), select(model.column("long_tokens"), windows),
                    embeddingLimits, "long_tokens__" + model.name() + ".png"));
        }
        texts(measures, SUMMARY, summaries, "summary_chars", "summary_words");
        for (Counting.Model model : counting.models()) {
            measures.add(new Measure(SUMMARY, "tokens", model.name(), select(model.column("summary_tokens"), summaries),
                    embeddingLimits, "summary_tokens__" + model.name() + ".png"));
        }
        texts(measures, PROFILE, channels, "chars", "words");
        for (Counting.Model model : counting.models()) {
            measures.add(new Measure(PROFILE, "tokens", model.name(), select(model.column("tokens"), channels),
                    embeddingLimits, "profile_tokens__" + model.name() + ".png"));
        }
        return measures;
    }

    private static void texts(List<Measure> measures, String input, String from, String chars, String words) {
        measures.add(new Measure(input, "chars", "-", select(chars, from), List.of(), null));
        measures.add(new Measure(input, "words", "-", select(words, from), List.of(), null));
    }

    /** A query's FROM clause over a dataset, or null when it has no rows (DuckDB rejects a glob matching no file). */
    private static String source(Path dataset, String where) {
        return Dataset.parts(dataset).isEmpty() ? null : "read_parquet(" + Dataset.glob(dataset) + ")" + where;
    }

    /** A query of one column, or null when there is nothing to read. */
    private static String select(String column, String from) {
        return from == null ? null : "SELECT " + column + " FROM " + from;
    }

    /** Names the LLM's counter: "LLM (estimate)" or "LLM (tokenizer:…)". */
    static String llmName(Counting counting) {
        return "LLM (" + counting.llm().counter().id() + ")";
    }

    private static List<Limit> embeddingLimits(Counting counting) {
        List<Limit> limits = new ArrayList<>();
        for (int tokens : counting.embeddingLimits()) {
            List<String> names = new ArrayList<>();
            if (counting.referenceLimits().contains(tokens) && REFERENCE_NAMES.containsKey(tokens)) {
                names.add(REFERENCE_NAMES.get(tokens));
            }
            for (Counting.Model model : counting.models()) {
                if (model.spec().maxTokens() == tokens && !names.contains(model.name())) {
                    names.add(model.name());
                }
            }
            limits.add(new Limit(tokens, names.isEmpty() ? "--token-limit" : String.join(", ", names)));
        }
        return limits;
    }

    private static int[] values(Statement statement, String sql) throws SQLException {
        IntList values = new IntList();
        if (sql == null) {
            return values.toArray();
        }
        try (ResultSet rs = statement.executeQuery(sql)) {
            while (rs.next()) {
                int value = rs.getInt(1);
                if (!rs.wasNull()) {
                    values.add(value);
                }
            }
        }
        return values.toArray();
    }

    private static Table distributionsTable() {
        Table table = Table.create("distributions", StringColumn.create("input"), StringColumn.create("measure"),
                StringColumn.create("tokenizer"), LongColumn.create("count"), DoubleColumn.create("mean"),
                DoubleColumn.create("std"), DoubleColumn.create("min"));
        for (double p : Distribution.PERCENTILES) {
            table.addColumns(DoubleColumn.create("p" + (int) p));
        }
        table.addColumns(DoubleColumn.create("max"));
        return table;
    }

    private static void addDistribution(Table table, Measure measure, Distribution d) {
        table.stringColumn("input").append(measure.input());
        table.stringColumn("measure").append(measure.measure());
        table.stringColumn("tokenizer").append(measure.tokenizer());
        table.longColumn("count").append(d.count());
        double[] values = {d.mean(), d.std(), d.min(), d.p25(), d.p50(), d.p75(), d.p90(), d.p95(), d.p99(), d.max()};
        for (int i = 0; i < values.length; i++) {
            DoubleColumn column = (DoubleColumn) table.column(4 + i);
            if (Double.isNaN(values[i])) {
                column.appendMissing();
            } else {
                column.append(values[i]);
            }
        }
    }

    private static Table limitsTable() {
        return Table.create("limits", StringColumn.create("input"), StringColumn.create("tokenizer"),
                IntColumn.create("limit"), StringColumn.create("limit of"), LongColumn.create("inputs"),
                LongColumn.create("over limit"), DoubleColumn.create("share over limit"));
    }

    private static void addLimit(Table table, Measure measure, Limit limit, int[] values) {
        long over = Distribution.countOver(values, limit.tokens());
        table.stringColumn("input").append(measure.input());
        table.stringColumn("tokenizer").append(measure.tokenizer());
        table.intColumn("limit").append((int) limit.tokens());
        table.stringColumn("limit of").append(limit.name());
        table.longColumn("inputs").append(values.length);
        table.longColumn("over limit").append(over);
        if (values.length == 0) {
            table.doubleColumn("share over limit").appendMissing();
        } else {
            table.doubleColumn("share over limit").append(over / (double) values.length);
        }
    }

    /**
     * The whole summarize job at the configured limits: one call per distinct window, input
     * tokens as measured and as packing caps them, output tokens at their budget, and the time
     * and months that the token, request and monthly limits make of them.
     */
    static Table budgetTable(Counting counting, int[] requestTokens) {
        Counting.Llm llm = counting.llm();
        long calls = requestTokens.length;
        long whole = 0;
        long packed = 0;
        for (int tokens : requestTokens) {
            whole += tokens;
            packed += Math.min(tokens, llm.maxInputTokens());
        }
        long output = calls * llm.maxOutputTokens();
        long total = packed + output;
        Table table = Table.create("budget", StringColumn.create("item"), DoubleColumn.create("value"),
                StringColumn.create("unit"));
        addBudget(table, "requests (distinct windows)", calls, "calls");
        addBudget(table, "input tokens, whole windows", whole, "tokens");
        addBudget(table, "input tokens, packed to --max-input-tokens " + llm.maxInputTokens() + " at most", packed,
                "tokens");
        addBudget(table, "output tokens, " + llm.maxOutputTokens() + " per call at most", output, "tokens");
        addBudget(table, "tokens in all, packed input and output", total, "tokens");
        double tpm = llm.limits().tokensPerMinute();
        double rps = llm.limits().requestsPerSecond();
        double month = llm.limits().tokensPerMonth();
        double byTokens = tpm > 0 ? total / tpm / 60 : Double.NaN;
        double byRequests = rps > 0 ? calls / rps / 3600 : Double.NaN;
        addBudget(table, String.format(Locale.ROOT, "hours at %,.0f tokens per minute", tpm), byTokens,
                tpm > 0 ? "hours" : "no limit");
        addBudget(table, String.format(Locale.ROOT, "hours at %s requests per second", trim(rps)), byRequests,
                rps > 0 ? "hours" : "no limit");
        double hours = Double.isNaN(byTokens) ? byRequests : Double.isNaN(byRequests) ? byTokens
                : Math.max(byTokens, byRequests);
        addBudget(table, "hours for the whole job, the slower of the two", hours, Double.isNaN(hours) ? "no limit" : "hours");
        addBudget(table, String.format(Locale.ROOT, "months at %,.0f tokens per month", month),
                month > 0 ? total / month : Double.NaN, month > 0 ? "months" : "no limit");
        return table;
    }

    private static void addBudget(Table table, String item, double value, String unit) {
        table.stringColumn("item").append(item);
        if (Double.isNaN(value)) {
            table.doubleColumn("value").appendMissing();
        } else {
            table.doubleColumn("value").append(value);
        }
        table.stringColumn("unit").append(unit);
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    /** Removes the files an earlier report left, so a chart not drawn this time does not stay. */
    private static void clear(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".png") || name.equals("report.md") || name.equals("distributions.csv")
                        || name.equals("limits.csv") || name.equals("budget.csv")) {
                    Files.delete(file);
                }
            }
        }
    }

    /** Formats a table as Markdown: decimals to two places, large numbers with separators, missing as "-". */
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
            double value = doubles.getDouble(row);
            if (column.name().startsWith("share")) {
                return String.format(Locale.ROOT, "%.2f%%", 100 * value);
            }
            return value == Math.rint(value) && Math.abs(value) < 1e15 ? String.format(Locale.ROOT, "%,d", (long) value)
                    : String.format(Locale.ROOT, "%,.2f", value);
        }
        if (column instanceof IntColumn || column instanceof LongColumn) {
            return String.format(Locale.ROOT, "%,d", ((Number) column.get(row)).longValue());
        }
        return column.getString(row).replace("|", "\\|");
    }

    /** A growable list of ints, so a million values need no boxing. */
    private static final class IntList {
        private int[] values = new int[1024];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }
    }
}
