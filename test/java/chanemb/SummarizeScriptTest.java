package chanemb;

import static org.assertj.core.api.Assertions.assertThat;

import chanemb.llm.MockLlmServer;
import chanemb.llm.SummaryLog;
import chanemb.llm.SummaryRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** summarize and mock_llm as command-line programs, after the real steps that feed them. */
class SummarizeScriptTest {
    private static final String KEY = "sk-test-do-not-print-4711";

    @TempDir
    Path dir;

    @Test
    void stepsFeedSummarizeAgainstTheMock() throws Exception {
        String url = TestDatabase.freshUrl();
        String data = dir.resolve("data").toString();
        ScriptRunner.jbang(Map.of(), "import", "--db-url", url, "test/resources/import/news_channel.json",
                "test/resources/import/desktop_channel.json");
        ScriptRunner.jbang(Map.of(), "find_prev_posts", "--db-url", url, "--data-dir", data);
        ScriptRunner.jbang(Map.of(), "load_texts", "--db-url", url, "--data-dir", data);

        ScriptRunner.Run run;
        List<MockLlmServer.Seen> seen;
        try (MockLlmServer server = MockLlmServer.start()) {
            run = ScriptRunner.jbang(Map.of("MISTRAL_API_KEY", KEY), "summarize", "--db-url", url, "--data-dir", data,
                    "--base-url", server.baseUrl());
            seen = server.seen();
        }

        Path output = Path.of(data, "summaries", "summaries.jsonl");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.stdout().strip()).isEqualTo(output.toString());
        assertThat(run.stderr()).contains("Estimate: ").contains("Summaries: 4 ad posts, 0 done earlier; this run: 4 ok");
        assertThat(run.stdout() + run.stderr() + Files.readString(output)).doesNotContain(KEY);
        assertThat(seen).isNotEmpty().allSatisfy(s -> assertThat(s.key()).isEqualTo(KEY));
        assertThat(seen).anySatisfy(s -> assertThat(s.userMessage()).contains("<title>Новости теста</title>"));
        List<SummaryRecord> records = new ArrayList<>();
        SummaryLog.read(output, records::add);
        assertThat(records).hasSize(4).allSatisfy(r -> assertThat(r.status()).isEqualTo("ok"));
    }

    @Test
    void missingKeyNamesTheVariable() throws Exception {
        ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), "summarize", "--data-dir", dir.toString(),
                "--no-channel-profiles");

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
        assertThat(run.stderr()).contains("MISTRAL_API_KEY").doesNotContain("Exception");
    }

    @Test
    void mockRejectsUnknownFault() throws Exception {
        ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), "mock_llm", "--fault", "NO_SUCH_FAULT=0.1");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains("Invalid fault \"NO_SUCH_FAULT=0.1\"").contains("SERVER_ERROR");
    }

    @Test
    void mockRejectsUnknownReplies() throws Exception {
        ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), "mock_llm", "--replies", "abstractive");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains("Invalid --replies \"abstractive\"").contains("extractive");
    }
}
