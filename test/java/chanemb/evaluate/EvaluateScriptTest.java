package chanemb.evaluate;

import static chanemb.evaluate.EvaluateFixtures.mix;
import static chanemb.evaluate.EvaluateFixtures.randomUnit;
import static org.assertj.core.api.Assertions.assertThat;

import chanemb.Config;
import chanemb.Database;
import chanemb.ScriptRunner;
import chanemb.SourceSchema;
import chanemb.TestDatabase;
import chanemb.bench.SyntheticPosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/**
 * The evaluate script on a synthetic database whose ad posts carry a target planted from the
 * channel topic plus noise, with vectors built to carry topic and channel, random vectors and the
 * topic vectors shuffled across ad posts.
 */
class EvaluateScriptTest {
    private static final int DIMENSION = 64;

    @TempDir
    static Path shared;

    private static String url;
    private static Path data;

    @BeforeAll
    static void generateDatabaseAndRuns() throws Exception {
        url = TestDatabase.freshUrl();
        data = shared.resolve("data");
        // About 300 ad posts in about 45 channels of 5 topics, so that the first training block,
        // a sixth of the ad posts, already holds every topic.
        SyntheticPosts.Plan plan = SyntheticPosts.Plan.realScale(0.0017, 11, 5, true, true);
        List<AdPosts.AdPost> ads = new ArrayList<>();
        List<String> topics = new ArrayList<>();
        try (Database db = TestDatabase.open(url)) {
            SourceSchema schema = SourceSchema.from(Config.defaults(Path.of(""), Map.of()));
            SyntheticPosts.generate(db, schema, plan);
            try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT a.id, a.channel_id, (extract(epoch FROM a.post_date)"
                         + " * 1000)::bigint, p.category FROM ml_house.final_basis_with_metrics_v2 a"
                         + " JOIN parse.posts_metadata p ON p.id = a.id ORDER BY a.post_date, a.id")) {
                while (rs.next()) {
                    ads.add(new AdPosts.AdPost(rs.getLong(1), rs.getLong(2), rs.getLong(3)));
                    topics.add(rs.getString(4));
                }
            }
        }
        EvaluateFixtures.windows(data.resolve("windows"), ads);

        Random random = new Random(12);
        Map<String, float[]> topicDirections = new HashMap<>();
        Map<Long, float[]> channelDirections = new HashMap<>();
        float[][] carrying = new float[ads.size()][];
        float[][] noise = new float[ads.size()][];
        for (int i = 0; i < ads.size(); i++) {
            float[] topic = topicDirections.computeIfAbsent(topics.get(i), t -> randomUnit(random, DIMENSION));
            float[] channel = channelDirections.computeIfAbsent(ads.get(i).channelId(), c -> randomUnit(random, DIMENSION));
            carrying[i] = mix(new double[] {1.0, 0.7, 0.5}, topic, channel, randomUnit(random, DIMENSION));
            noise[i] = randomUnit(random, DIMENSION);
        }
        Path embeddings = data.resolve("embeddings");
        EvaluateFixtures.embedOutput(embeddings.resolve("topic-run"), "pooling-mean", ads, carrying,
                Map.of("inputs_embedded", 3000, "model_calls_saved", 0, "tokens_embedded", 900_000, "seconds", 61.0));
        EvaluateFixtures.embedOutput(embeddings.resolve("random-run"), "long", ads, noise, Map.of());
        EvaluateFixtures.embedOutput(embeddings.resolve("shuffled-run"), "pooling-recency", ads,
                EvaluateFixtures.shuffled(carrying, 13), Map.of());
    }

    @Test
    void reportRanksTopicVectorsAboveRandomAndShuffled() throws Exception {
        Path out = shared.resolve("report");

        ScriptRunner.Run run = evaluate("--db-url", url, "--data-dir", data.toString(), "--target", "target", "--output", out.toString());

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.stdout().strip()).isEqualTo(out.resolve("report.md").toString());
        assertThat(run.stderr()).contains("Evaluated 3 runs on");
        Table downstream = Table.read().csv(out.resolve("downstream.csv").toFile());
        Table identity = Table.read().csv(out.resolve("identity.csv").toFile());
        Table topic = Table.read().csv(out.resolve("topic.csv").toFile());
        assertThat(value(downstream, "topic-run", "R² mean")).isGreaterThan(0.3);
        assertThat(value(downstream, "random-run", "R² mean")).isBetween(-0.3, 0.1);
        assertThat(value(downstream, "no vector (training mean)", "R² mean")).isLessThan(0.1);
        assertThat(value(downstream, "topic-run", "folds")).isEqualTo(5);
        assertThat(value(identity, "topic-run", "MRR")).isGreaterThan(value(identity, "shuffled-run", "MRR") + 0.3);
        assertThat(value(topic, "topic-run", "accuracy")).isGreaterThan(value(topic, "shuffled-run", "accuracy") + 0.3);
        assertThat(value(topic, "topic-run", "macro F1")).isGreaterThan(value(topic, "shuffled-run", "macro F1"));
    }

    @Test
    void reportHoldsEverySectionChartAndCost() throws Exception {
        Path out = shared.resolve("report-sections");

        ScriptRunner.Run run = evaluate("--db-url", url, "--data-dir", data.toString(), "--target", "target", "--output",
                out.toString(), "--llm-price-input", "2", "--llm-price-output", "6");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        String report = Files.readString(out.resolve("report.md"));
        assertThat(report).contains("## Channel identity", "## Topic", "## Stability", "## Usefulness downstream",
                "## Cost", "![Stability](stability.png)", "--db-url JDBC_URL").doesNotContain(url);
        for (String file : List.of("identity.png", "topic.png", "stability.png", "downstream.png", "cost.csv",
                "downstream_folds.csv", "stability.csv", "runs.csv")) {
            assertThat(out.resolve(file)).as(file).isNotEmptyFile();
        }
        Table cost = Table.read().csv(out.resolve("cost.csv").toFile());
        assertThat(cost.stringColumn("run").asList()).contains("topic-run", "summary", "profile");
        assertThat(cell(cost, "topic-run", "inputs embedded")).isEqualTo("3,000");
        assertThat(cell(cost, "topic-run", "encoder time")).isEqualTo("1m 01s");
        assertThat(cell(cost, "summary", "LLM calls")).isEqualTo("not run");
    }

    @Test
    void missingTargetColumnNamesColumnAndTable() throws Exception {
        ScriptRunner.Run run = evaluate("--db-url", url, "--data-dir", data.toString(), "--target", "reactions",
                "--output", shared.resolve("unused").toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains("Target column reactions not found in ml_house.final_basis_with_metrics_v2")
                .doesNotContain("Exception");
        assertThat(run.stdout()).isEmpty();
    }

    private static double value(Table table, String run, String column) {
        int row = table.stringColumn("run").indexOf(run);
        assertThat(row).as(run + " in " + table.name()).isNotNegative();
        return ((Number) table.column(column).get(row)).doubleValue();
    }

    private static String cell(Table table, String run, String column) {
        int row = table.stringColumn("run").indexOf(run);
        assertThat(row).as(run + " in " + table.name()).isNotNegative();
        return table.column(column).getString(row);
    }

    private static ScriptRunner.Run evaluate(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("evaluate"));
        command.addAll(List.of(args));
        return ScriptRunner.jbang(Map.of(), command.toArray(String[]::new));
    }
}
