package chanemb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The upload script and the pipeline's upload check, as command-line programs. */
class UploadScriptTest {
    @TempDir
    Path dir;

    @Test
    void uploadPrintsTargetAndSummary() throws Exception {
        String url = TestDatabase.freshUrl();
        Path input = TestEmbeddings.write(dir.resolve("embeddings/pooling-mean__m"),
                List.of(TestEmbeddings.row(1, 0.6f, 0.8f), TestEmbeddings.row(2, null)));

        ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), "upload", "--db-url", url, "--data-dir", dir.toString(),
                "--copy-format", "text");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.stdout()).isEqualTo("embeddings.summary_channel_emb.pooling_mean__m\n");
        assertThat(run.stderr()).contains("Uploaded 1 vectors into embeddings.summary_channel_emb.pooling_mean__m"
                + " (float4[]): 1 rows written, 0 unchanged; 1 ad posts without a vector; verified counts,"
                + " 1 vectors read back, 0 nearest-neighbour probes; run ");
        assertThat(input).exists();
    }

    @Test
    void invalidOptionsNameTheValue() throws Exception {
        TestEmbeddings.write(dir.resolve("embeddings/pooling-mean__m"), List.of(TestEmbeddings.row(1, 0.6f, 0.8f)));

        ScriptRunner.Run type = ScriptRunner.jbang(Map.of(), "upload", "--db-url", TestDatabase.freshUrl(),
                "--data-dir", dir.toString(), "--column-type", "halfvec");
        ScriptRunner.Run format = ScriptRunner.jbang(Map.of(), "upload", "--db-url", TestDatabase.freshUrl(),
                "--data-dir", dir.toString(), "--copy-format", "csv");

        assertThat(type.exitCode()).as(type.toString()).isEqualTo(2);
        assertThat(type.stderr()).contains("Invalid column type \"halfvec\"").contains("float4[], vector, auto");
        assertThat(format.exitCode()).as(format.toString()).isEqualTo(2);
        assertThat(format.stderr()).contains("Invalid COPY format \"csv\"");
    }

    @Test
    void pipelineStopsBeforeAnyStepOnADimensionMismatch() throws Exception {
        String url = TestDatabase.freshUrl();
        Path data = dir.resolve("data");
        try (Database db = TestDatabase.open(url)) {
            TestEmbeddings.execute(db, "CREATE SCHEMA embeddings",
                    "CREATE TABLE embeddings.summary_channel_emb (id bigint PRIMARY KEY,"
                            + " pooling_mean__e5_small_v2_q float4[] NOT NULL)",
                    "INSERT INTO embeddings.summary_channel_emb SELECT 1, array_fill(0.5::float4, ARRAY[1024])");
        }
        ScriptRunner.Run imported = ScriptRunner.jbang(Map.of(), "import", "--db-url", url,
                "test/resources/import/news_channel.json");

        ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), "pipeline", "--db-url", url, "--data-dir", data.toString());

        assertThat(imported.exitCode()).as(imported.toString()).isZero();
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
        assertThat(run.stderr()).contains("Checking the upload target embeddings.summary_channel_emb"
                + ".pooling_mean__e5_small_v2_q before embedding")
                .contains("holds vectors of 1,024 dimensions, the vectors to write have 384")
                .doesNotContain("== find_prev_posts").doesNotContain("== embed");
        assertThat(Files.exists(data.resolve("windows"))).isFalse();
        assertThat(Files.exists(data.resolve("embeddings"))).isFalse();
    }
}
