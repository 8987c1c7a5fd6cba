package chanemb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every script as a command-line program: exit code, standard output, standard error. */
class ScriptsTest {
    private static final List<String> SCRIPTS = List.of("import_posts", "find_prev_posts", "load_texts", "embed", "upload",
            "pipeline", "sql", "download_model", "evaluate", "summarize", "mock_llm", "analyze_lengths");

    @TempDir
    Path dir;

    @Test
    void everyScriptPrintsHelpInBothLanguages() throws Exception {
        for (String script : SCRIPTS) {
            ScriptRunner.Run english = ScriptRunner.jbang(Map.of(), "scripts/" + script + ".java", "--help");
            ScriptRunner.Run russian = ScriptRunner.jbang(Map.of(), "scripts/" + script + ".java", "--help", "--lang", "ru");

            assertThat(english.exitCode()).as(english.toString()).isZero();
            assertThat(english.stdout()).as(script).startsWith("Usage: ").contains("--db-url").contains("--help");
            assertThat(russian.exitCode()).as(russian.toString()).isZero();
            assertThat(russian.stdout()).as(script).startsWith("Использование: ").contains("Показать эту справку");
        }
    }

    @Test
    void benchmarkScriptsCompileAndPrintHelp() throws Exception {
        for (Path script : DepsConsistencyTest.scripts()) {
            if (!script.startsWith("bench")) {
                continue;
            }
            ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), script.toString(), "--help");

            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(run.stdout()).as(script.toString()).startsWith("Usage: ");
        }
    }

    @Test
    void catalogAliasesRunTheScripts() throws Exception {
        ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), "find_prev_posts", "--help");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.stdout()).startsWith("Usage: find_prev_posts");
    }

    @Test
    void malformedImportFileFailsWithItsPosition() throws Exception {
        String url = TestDatabase.freshUrl();

        ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), "import", "--db-url", url,
                "test/resources/import/news_channel.json", "test/resources/import/truncated.json");

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr()).contains("[ERROR]").contains("truncated.json").contains("line 3")
                .doesNotContain("Exception");
        try (Database db = TestDatabase.open(url)) {
            assertThat(db.tableExists(new Sql.Table("parse", "posts_metadata"))).isFalse();
        }
    }

    @Test
    void invalidOptionNamesValueAndFix() throws Exception {
        ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), "find_prev_posts", "--db-url", TestDatabase.freshUrl(),
                "--window-size", "0");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr()).contains("Invalid window size 0: give at least 1.");
    }

    @Test
    void stepsRunAloneAndAsPipeline() throws Exception {
        String url = TestDatabase.freshUrl();
        String data = dir.resolve("data").toString();

        ScriptRunner.Run imported = ScriptRunner.jbang(Map.of(), "import", "--db-url", url,
                "test/resources/import/news_channel.json", "test/resources/import/desktop_channel.json");
        ScriptRunner.Run windows = ScriptRunner.jbang(Map.of(), "find_prev_posts", "--db-url", url, "--data-dir", data);
        ScriptRunner.Run texts = ScriptRunner.jbang(Map.of(), "load_texts", "--db-url", url, "--data-dir", data);
        ScriptRunner.Run vectors = ScriptRunner.jbang(Map.of(), "embed", "--db-url", url, "--data-dir", data);
        ScriptRunner.Run uploaded = ScriptRunner.jbang(Map.of(), "upload", "--db-url", url, "--data-dir", data);
        ScriptRunner.Run pipeline = ScriptRunner.jbang(Map.of(), "pipeline", "--db-url", url, "--data-dir", data);

        assertThat(imported.exitCode()).as(imported.toString()).isZero();
        assertThat(imported.stderr()).contains("Imported 2 files: 2 channels, 8 posts");
        assertThat(windows.exitCode()).as(windows.toString()).isZero();
        assertThat(windows.stdout().strip()).isEqualTo(Path.of(data, "windows").toString());
        assertThat(windows.stderr()).contains("Windows: 4 ad posts, 0 empty, 4 shorter than N; 7 previous posts, 5 distinct");
        assertThat(texts.exitCode()).as(texts.toString()).isZero();
        assertThat(texts.stdout().strip()).isEqualTo(Path.of(data, "texts").toString());
        assertThat(vectors.exitCode()).as(vectors.toString()).isZero();
        assertThat(vectors.stdout().strip()).isEqualTo(Path.of(data, "embeddings", "pooling-mean__e5-small-v2-q").toString());
        assertThat(vectors.stderr()).contains("Embeddings (pooling-mean): 4 of 4 ad posts have a vector, 0 have none");
        assertThat(uploaded.exitCode()).as(uploaded.toString()).isZero();
        assertThat(uploaded.stdout().strip()).isEqualTo("embeddings.summary_channel_emb.pooling_mean__e5_small_v2_q");
        assertThat(pipeline.exitCode()).as(pipeline.toString()).isZero();
        assertThat(pipeline.stdout()).contains("Vectors are in embeddings.summary_channel_emb.pooling_mean__e5_small_v2_q")
                .contains("SELECT id, left(pooling_mean__e5_small_v2_q::text, 60)");
        // Every step ran alone first, so the pipeline finds each output current and redoes nothing.
        assertThat(pipeline.stderr()).contains("find_prev_posts: skipped").contains("embed pooling-mean: skipped")
                .contains("upload pooling-mean: skipped");
        assertThat(vectorCount(url)).isEqualTo(4);
    }

    @Test
    void readmeFirstCommandRunsOnTheEmbeddedSample() throws Exception {
        Map<String, String> env = Map.of("CHANEMB_DB_EMBEDDED_DIR", dir.resolve("pg").toString(),
                "CHANEMB_DATA_DIR", dir.resolve("data").toString());

        ScriptRunner.Run run = ScriptRunner.jbang(env, "pipeline");
        ScriptRunner.Run query = ScriptRunner.jbang(env, "sql",
                "SELECT count(*) AS vectors FROM embeddings.summary_channel_emb WHERE pooling_mean__e5_small_v2_q IS NOT NULL");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.stderr()).contains("loading the bundled sample").contains("Loaded the bundled sample: 3 channels")
                .contains("Pipeline finished");
        assertThat(run.stdout()).contains("Vectors are in embeddings.summary_channel_emb");
        assertThat(query.exitCode()).as(query.toString()).isZero();
        assertThat(query.stdout()).isEqualTo("vectors\n37\n");
        assertThat(Files.exists(dir.resolve("pg/postmaster.pid"))).as("embedded server stopped").isFalse();
    }

    private static long vectorCount(String url) throws Exception {
        try (Database db = TestDatabase.open(url); Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM embeddings.summary_channel_emb")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
