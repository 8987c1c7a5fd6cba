package chanemb;

import static org.assertj.core.api.Assertions.assertThat;

import chanemb.llm.MockLlmServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline run three times on one database: a first run, a rerun with nothing new, and a
 * rerun after new posts, a new ad post and a post inserted into the past. Checks which stages
 * ran and which rows each run recomputed.
 */
class PipelineIncrementalTest {
    private static final Instant DAY0 = Instant.parse("2024-05-01T00:00:00Z");
    private static final String POOLING = "pooling_mean__e5_small_v2_q";
    private static final String SUMMARY = "summary__e5_small_v2_q";

    @TempDir
    Path dir;

    @Test
    void rerunsRecomputeOnlyNewAndChangedWindows() throws Exception {
        String url = TestDatabase.freshUrl();
        try (Database db = TestDatabase.open(url); SourceFixture source = new SourceFixture(db)) {
            for (int i = 1; i <= 6; i++) {
                source.post(100 + i, 1, day(i), "Канал один, пост " + i + ": новости о погоде и городе.");
                if (i <= 5) {
                    source.post(200 + i, 2, day(i), "Канал два, пост " + i + ": обзор игр и железа.");
                }
            }
            source.ad(1001, 1, day(4.5)).ad(2001, 2, day(3.5)).ad(2002, 2, day(5.5));
        }
        String[] args = {"pipeline", "--db-url", url, "--data-dir", dir.resolve("data").toString(),
                "--window-size", "3", "--approaches", "pooling-mean,summary"};

        try (MockLlmServer llm = MockLlmServer.start()) {
            Map<String, String> env = Map.of("MISTRAL_API_KEY", "sk-test", "CHANEMB_LLM_BASE_URL", llm.baseUrl());

            // First run: every stage runs; three windows, three LLM calls, three rows per column.
            ScriptRunner.Run first = ScriptRunner.jbang(env, args);
            assertThat(first.exitCode()).as(first.toString()).isZero();
            assertThat(llm.seen()).hasSize(3);
            assertThat(first.stderr()).containsPattern("summarize: ran, [^,]+, 3 summaries, ");
            assertThat(idsWrittenByLastRun(url, POOLING)).containsExactly(1001L, 2001L, 2002L);
            assertThat(idsWrittenByLastRun(url, SUMMARY)).containsExactly(1001L, 2001L, 2002L);

            // Rerun with nothing new: every stage with a manifest is skipped, no LLM call is made.
            ScriptRunner.Run second = ScriptRunner.jbang(env, args);
            assertThat(second.exitCode()).as(second.toString()).isZero();
            assertThat(second.stderr()).contains("find_prev_posts: skipped").contains("load_texts: skipped")
                    .contains("embed pooling-mean: skipped").contains("upload pooling-mean: skipped")
                    .contains("embed summary: skipped").contains("upload summary: skipped");
            assertThat(llm.seen()).hasSize(3);

            // New data: a post and an ad post after everything in channel 1, and a post inserted
            // before ad post 2002 of channel 2, which changes that window only.
            try (Database db = TestDatabase.open(url); SourceFixture source = new SourceFixture(db)) {
                source.post(107, 1, day(7), "Канал один, пост 7: новости о погоде и городе.");
                source.ad(1002, 1, day(7.5));
                source.post(206, 2, day(5.2), "Канал два, вставленный пост: обзор игр и железа.");
            }
            ScriptRunner.Run third = ScriptRunner.jbang(env, args);
            assertThat(third.exitCode()).as(third.toString()).isZero();
            assertThat(third.stderr()).contains("1 new, 1 changed, 2 unchanged, 0 gone")
                    .contains("4 fetched, ")
                    .contains("4 inputs embedded");
            assertThat(llm.seen()).hasSize(5);
            assertThat(third.stderr()).containsPattern("summarize: ran, [^,]+, 2 summaries, ");
            assertThat(idsWrittenByLastRun(url, POOLING)).containsExactly(1002L, 2002L);
            assertThat(idsWrittenByLastRun(url, SUMMARY)).containsExactly(1002L, 2002L);
            assertThat(rowCount(url)).isEqualTo(4);
        }
    }

    private static Instant day(double days) {
        return DAY0.plus(Duration.ofMinutes(Math.round(days * 24 * 60)));
    }

    /** Ad post ids whose value in the column was written by the column's latest upload run. */
    private static List<Long> idsWrittenByLastRun(String url, String column) throws Exception {
        List<Long> ids = new ArrayList<>();
        try (Database db = TestDatabase.open(url); Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM embeddings.summary_channel_emb WHERE " + column + "_run = ("
                     + "SELECT run_id FROM embeddings.upload_runs WHERE column_name = '" + column + "'"
                     + " ORDER BY finished_at DESC LIMIT 1) ORDER BY id")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    private static long rowCount(String url) throws Exception {
        try (Database db = TestDatabase.open(url); Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM embeddings.summary_channel_emb")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
