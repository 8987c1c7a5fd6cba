package chanemb.lengths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import chanemb.Dataset;
import chanemb.embed.Layouts;
import chanemb.embed.ModelSpec;
import chanemb.embed.TestModels;
import chanemb.llm.TokenEstimate;
import chanemb.llm.WindowPrompt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/** The whole step on small windows and texts files, read back as a user would. */
class LengthAnalysisTest {
    private static final String E5 = "tokens__e5_small_v2_q";

    @TempDir
    Path dir;

    @Test
    void fixtureRunWritesCountsAndReport() throws Exception {
        LengthsFixture fixture = LengthsFixture.standard(dir);
        LengthAnalysis.Result result;
        try (Counting counting = LengthsFixture.counting(null)) {
            result = LengthAnalysis.run(fixture.options(1000), counting, fixture.profiles);
        }
        Lengths lengths = Lengths.load(fixture.output);

        // Posts: the 7 with text; the 2,000-token post is counted whole (K3).
        Table posts = lengths.posts();
        assertThat(result.posts()).isEqualTo(7);
        assertThat(posts.rowCount()).isEqualTo(7);
        assertThat(postValue(posts, 4, E5)).isEqualTo(2000);
        // [CLS] query : п ##р ##и ##в ##е ##т , м ##и ##р ! с ##к ##и ##д ##к ##и 50 % [UNK] д ##о 31 . 12 [SEP]
        assertThat(postValue(posts, 1, E5)).isEqualTo(29);
        assertThat(postValue(posts, 1, "chars")).isEqualTo(34);
        assertThat(postValue(posts, 1, "words")).isEqualTo(7);
        // The LLM count is of the post as the prompt holds it: stripped, "<" and "&" as entities.
        assertThat(postValue(posts, 2, "llm_tokens"))
                .isEqualTo(TokenEstimate.INSTANCE.count("Курс &lt;b&gt;Python&lt;/b&gt; &amp; SQL"));

        // Windows: one row per ad post; without text there is no prompt.
        Table windows = lengths.windows();
        assertThat(windows.rowCount()).isEqualTo(7);
        assertThat(result.windowsWithText()).isEqualTo(5);
        assertThat(windowRow(windows, 103).getInt("posts")).isZero();
        assertThat(windowRow(windows, 104).isMissing("llm_tokens")).isTrue();
        String prompt = WindowPrompt.format(new WindowPrompt.Channel("Скидки дня", "Лучшие предложения & акции"),
                List.of("Привет, мир! Скидки 50% 💵 до 31.12", "Курс <b>Python</b> & SQL", "ёлка и йогурт\n\nвторой абзац"));
        assertThat(windowRow(windows, 100).getInt("llm_tokens")).isEqualTo(TokenEstimate.INSTANCE.count(prompt));
        assertThat(windowRow(windows, 100).getInt("chars")).isEqualTo(TextStats.chars(prompt));
        assertThat(windowRow(windows, 100).getInt("request_tokens"))
                .isEqualTo(TokenEstimate.INSTANCE.count(LengthsFixture.SYSTEM_PROMPT)
                        + TokenEstimate.INSTANCE.count(prompt) + 16);
        ModelSpec spec = TestModels.bundled();
        try (BatchCounter whole = BatchCounter.HuggingFace.load(spec.dir().resolve("tokenizer.json"), true, "x", false)) {
            List<String> inputs = List.of(
                    spec.format(Layouts.window(fixture.profiles.get(10L), List.of("Курс <b>Python</b> & SQL",
                            "ёлка и йогурт\n\nвторой абзац", LengthsFixture.LONG_POST, "🔥🔥 Акция"))),
                    spec.format(Layouts.window(null, List.of("🔥🔥 Акция", "Новый пост про рекламу и маркетинг",
                            "post in English, with words", "Привет, мир! Скидки 50% 💵 до 31.12"))));
            int[] expected = whole.count(inputs);
            assertThat(windowRow(windows, 102).getInt("long_tokens__e5_small_v2_q")).isEqualTo(expected[0]);
            assertThat(windowRow(windows, 106).getInt("long_tokens__e5_small_v2_q")).isEqualTo(expected[1]);
            assertThat(expected[0]).isGreaterThan(2000);
        }

        // Shares over the limits: only window 102 contains the long post, and post 4 alone is over 512.
        Table limits = lengths.limits();
        assertThat(overLimit(limits, LengthReport.LONG, 512)).isEqualTo(1);
        assertThat(overLimit(limits, LengthReport.LONG, 8192)).isZero();
        assertThat(overLimit(limits, LengthReport.POST, 512)).isEqualTo(1);
        assertThat(share(limits, LengthReport.LONG, 512)).isCloseTo(1 / 5.0, within(1e-12));
        // Ad posts 100 and 101 have the same window: one request.
        assertThat(distribution(lengths.distributions(), LengthReport.REQUEST, "tokens").getLong("count")).isEqualTo(4);

        // Percentiles of the report equal a direct computation over the per-post file.
        int[] values = posts.intColumn(E5).asIntArray();
        Arrays.sort(values);
        var row = distribution(lengths.distributions(), LengthReport.POST, "tokens", "e5-small-v2-q");
        assertThat(row.getDouble("p50")).isEqualTo(Distribution.percentile(values, 50)).isEqualTo(values[3]);
        assertThat(row.getDouble("p90")).isCloseTo(values[5] + 0.4 * (values[6] - values[5]), within(1e-9));
        assertThat(row.getDouble("max")).isEqualTo(2000);

        // The report, its CSV tables and non-empty PNG histograms.
        String report = Files.readString(fixture.output.resolve("report.md"));
        assertThat(report).contains("# Input lengths").contains("| long input | e5-small-v2-q | 512 |")
                .contains("![long_tokens__e5-small-v2-q.png](long_tokens__e5-small-v2-q.png)")
                .contains("an estimate, not a tokenizer");
        for (String csv : List.of("distributions.csv", "limits.csv", "budget.csv")) {
            assertThat(fixture.output.resolve(csv)).isNotEmptyFile();
        }
        Path chart = fixture.output.resolve("long_tokens__e5-small-v2-q.png");
        byte[] png = Files.readAllBytes(chart);
        assertThat(png.length).isGreaterThan(5000);
        assertThat(Arrays.copyOf(png, 4)).containsExactly(0x89, 'P', 'N', 'G');
        assertThat(javax.imageio.ImageIO.read(chart.toFile()).getWidth()).isEqualTo(900);
    }

    @Test
    void computedWindowCountsEqualDirect() {
        LengthsFixture fixture = LengthsFixture.standard(dir.resolve("a"));
        Path tokenizer = TestModels.bundled().dir().resolve("tokenizer.json");
        Table checkedAll;
        Table checkedOne;
        try (Counting counting = LengthsFixture.counting(tokenizer)) {
            LengthAnalysis.Result all = LengthAnalysis.run(fixture.options(1000), counting, fixture.profiles);
            assertThat(all.windowCounts().values()).allMatch(how -> how.startsWith("direct"));
            checkedAll = Lengths.load(fixture.output).windows();
        }
        LengthsFixture second = LengthsFixture.standard(dir.resolve("b"));
        try (Counting counting = LengthsFixture.counting(tokenizer)) {
            LengthAnalysis.Result one = LengthAnalysis.run(second.options(1), counting, second.profiles);
            assertThat(one.windowCounts().values()).allMatch(how -> how.startsWith("computed"));
            checkedOne = Lengths.load(second.output).windows();
        }

        assertThat(checkedOne.sortAscendingOn("ad_post_id").printAll())
                .isEqualTo(checkedAll.sortAscendingOn("ad_post_id").printAll());
    }

    @Test
    void rerunReusesCompleteOutputs() {
        LengthsFixture fixture = LengthsFixture.standard(dir);
        try (Counting counting = LengthsFixture.counting(null)) {
            LengthAnalysis.run(fixture.options(1000), counting, fixture.profiles);
            LengthAnalysis.Result again = LengthAnalysis.run(fixture.options(1000), counting, fixture.profiles);

            assertThat(again.postsCounted()).isZero();
            assertThat(again.windowsCounted()).isZero();
            assertThat(again.posts()).isEqualTo(7);
        }
        assertThat(Dataset.isComplete(fixture.output.resolve("posts"))).isTrue();
    }

    private static int postValue(Table posts, long postId, String column) {
        Table row = posts.where(posts.longColumn("post_id").isEqualTo(postId));
        assertThat(row.rowCount()).isEqualTo(1);
        return row.intColumn(column).getInt(0);
    }

    private static tech.tablesaw.api.Row windowRow(Table windows, long adPostId) {
        Table row = windows.where(windows.longColumn("ad_post_id").isEqualTo(adPostId));
        assertThat(row.rowCount()).isEqualTo(1);
        return row.row(0);
    }

    private static long overLimit(Table limits, String input, int limit) {
        return limitRow(limits, input, limit).getLong("over limit");
    }

    private static double share(Table limits, String input, int limit) {
        return limitRow(limits, input, limit).getDouble("share over limit");
    }

    private static tech.tablesaw.api.Row limitRow(Table limits, String input, int limit) {
        Table row = limits.where(limits.stringColumn("input").isEqualTo(input)
                .and(limits.longColumn("limit").isEqualTo(limit))
                .and(limits.stringColumn("tokenizer").isEqualTo("e5-small-v2-q")));
        assertThat(row.rowCount()).as(input + " " + limit).isEqualTo(1);
        return row.row(0);
    }

    private static tech.tablesaw.api.Row distribution(Table distributions, String input, String measure) {
        Table row = distributions.where(distributions.stringColumn("input").isEqualTo(input)
                .and(distributions.stringColumn("measure").isEqualTo(measure)));
        assertThat(row.rowCount()).as(input + " " + measure).isEqualTo(1);
        return row.row(0);
    }

    private static tech.tablesaw.api.Row distribution(Table distributions, String input, String measure,
                                                      String tokenizer) {
        Table row = distributions.where(distributions.stringColumn("input").isEqualTo(input)
                .and(distributions.stringColumn("measure").isEqualTo(measure))
                .and(distributions.stringColumn("tokenizer").isEqualTo(tokenizer)));
        assertThat(row.rowCount()).isEqualTo(1);
        return row.row(0);
    }
}
