package chanemb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** analyze_lengths as a command-line program, after the real steps that feed it. */
class AnalyzeLengthsScriptTest {
    @TempDir
    Path dir;

    @Test
    void stepsFeedAnalyzeLengths() throws Exception {
        String url = TestDatabase.freshUrl();
        String data = dir.resolve("data").toString();
        ScriptRunner.jbang(Map.of(), "import", "--db-url", url, "test/resources/import/news_channel.json",
                "test/resources/import/desktop_channel.json");
        ScriptRunner.jbang(Map.of(), "find_prev_posts", "--db-url", url, "--data-dir", data);
        ScriptRunner.jbang(Map.of(), "load_texts", "--db-url", url, "--data-dir", data);

        ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), "analyze_lengths", "--db-url", url, "--data-dir", data,
                "--token-limit", "100");
        ScriptRunner.Run again = ScriptRunner.jbang(Map.of(), "analyze_lengths", "--db-url", url, "--data-dir", data,
                "--token-limit", "100", "--lang", "ru");

        Path lengths = Path.of(data, "lengths");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.stdout().strip()).isEqualTo(lengths.resolve("report.md").toString());
        assertThat(run.stderr()).contains("Lengths: 4 ad posts, 4 with text; 5 posts (5 counted in this run)")
                .contains("Post counts of e5-small-v2-q: words");
        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.stderr()).contains("5 постов (0 посчитаны в этом запуске)");
        String report = Files.readString(lengths.resolve("report.md"));
        // --token-limit replaces the default limits; the model's own 512 stays.
        assertThat(report).contains("| post | e5-small-v2-q | 100 | --token-limit |")
                .contains("| post | e5-small-v2-q | 512 | e5-small-v2-q |").doesNotContain("8,192")
                .contains("./jbang analyze_lengths --db-url JDBC_URL --data-dir");
        assertThat(report).doesNotContain(url);
        assertThat(lengths.resolve("post_tokens__e5-small-v2-q.png")).isNotEmptyFile();
        assertThat(Dataset.require(lengths.resolve("posts"), "analyze_lengths").rows()).isEqualTo(5);
    }

    @Test
    void invalidLimitNamesTheOption() throws Exception {
        ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), "analyze_lengths", "--no-channel-profiles", "--data-dir",
                dir.toString(), "--token-limit", "512,0");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains("--token-limit").contains("0");
    }
}
