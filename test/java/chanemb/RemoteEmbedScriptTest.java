package chanemb;

import static org.assertj.core.api.Assertions.assertThat;

import chanemb.embed.Encoder;
import chanemb.embed.FakeEmbeddingServer;
import chanemb.embed.PostVectors;
import chanemb.embed.TestModels;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embed script with --remote against a local embedding server that runs the bundled model,
 * compared with the same script embedding locally.
 */
class RemoteEmbedScriptTest {
    private static final String API_KEY = "sk-e2e-secret-value";

    @TempDir
    Path dir;

    /** One output row: the pooled vector with its counts. */
    private record Row(float[] vector, int inputs, int tokens, int truncated, String reason) {
    }

    @Test
    void remoteEmbedMatchesLocalEmbed() throws Exception {
        Path windows = dir.resolve("windows");
        Path texts = dir.resolve("texts");
        long micros = PrevPosts.toMicros(Instant.parse("2024-11-01T10:00:00Z"));
        PrevPosts.write(windows, List.of(
                new Windows.Window(100, 1, micros, new long[] {1, 2, 3}),
                new Windows.Window(101, 1, micros, new long[] {2, 4}),
                new Windows.Window(102, 2, micros, new long[0])), Map.of(), Map.of());
        writeTexts(texts, Map.of(
                1L, "Скидки на ноутбуки до конца недели",
                2L, "Погода в Москве: завтра снег 💵",
                3L, "Длинный пост про рекламу и аудиторию канала. ".repeat(30),
                4L, "short english post"));
        String model = TestModels.bundled().dir().toAbsolutePath().toString();

        ScriptRunner.Run local;
        ScriptRunner.Run remote;
        List<FakeEmbeddingServer.Seen> requests;
        try (Encoder serverModel = Encoder.load(TestModels.bundled());
             FakeEmbeddingServer server = new FakeEmbeddingServer(serverModel)) {
            // A budget of 1 token puts every input in a batch of its own, locally and on the
            // server, so the quantized model cannot shift vectors by batching them differently.
            local = ScriptRunner.jbang(Map.of(), "embed", "--windows", windows.toString(), "--texts", texts.toString(),
                    "--data-dir", dir.resolve("local").toString(), "--model", model, "--max-batch-tokens", "1");
            remote = ScriptRunner.jbang(Map.of("CHANEMB_EMBED_API_KEY", API_KEY), "embed", "--windows", windows.toString(),
                    "--texts", texts.toString(), "--data-dir", dir.resolve("remote").toString(), "--model", model,
                    "--max-batch-tokens", "1", "--remote", server.url(), "--concurrency", "2");
            requests = server.requests();
        }

        assertThat(local.exitCode()).as(local.toString()).isZero();
        assertThat(remote.exitCode()).as(remote.toString()).isZero();
        assertThat(remote.stderr()).contains("Embedding on http://127.0.0.1:").contains("384 dimensions")
                .contains("Embeddings (pooling-mean): 2 of 3 ad posts have a vector").contains("1 cut to the token limit")
                .doesNotContain(API_KEY);
        assertThat(requests).hasSize(5);
        assertThat(requests).allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + API_KEY));
        Map<Long, Row> expected = read(Path.of(local.stdout().strip()));
        Map<Long, Row> got = read(Path.of(remote.stdout().strip()));
        assertThat(got.keySet()).containsExactly(100L, 101L, 102L);
        for (long id : expected.keySet()) {
            Row want = expected.get(id);
            Row have = got.get(id);
            assertThat(have.inputs()).as("inputs of %d", id).isEqualTo(want.inputs());
            assertThat(have.tokens()).as("tokens of %d", id).isEqualTo(want.tokens());
            assertThat(have.truncated()).as("truncated of %d", id).isEqualTo(want.truncated());
            assertThat(have.reason()).as("reason of %d", id).isEqualTo(want.reason());
            if (want.vector() != null) {
                assertThat(TestModels.cosine(have.vector(), want.vector())).as("vector of %d", id).isGreaterThan(0.99999);
            }
        }
        assertThat(got.get(100L).truncated()).isEqualTo(1);
        assertThat(got.get(102L).vector()).isNull();
    }

    private static void writeTexts(Path out, Map<Long, String> texts) throws Exception {
        try (PartWriter writer = new PartWriter(out, LoadTexts.COLUMNS, 0, 1000)) {
            for (Map.Entry<Long, String> text : new java.util.TreeMap<>(texts).entrySet()) {
                var row = writer.row();
                row.append(text.getKey());
                row.append(text.getValue());
                row.append(LoadTexts.OK);
                row.append(text.getValue().length());
                row.appendNull();
                writer.endRow();
            }
            Dataset.complete(out, "load_texts", writer.finish(), Map.of(), Map.of(), Map.of());
        }
    }

    private static Map<Long, Row> read(Path output) throws Exception {
        Map<Long, Row> rows = new LinkedHashMap<>();
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
             ResultSet rs = statement.executeQuery("SELECT ad_post_id, vector, inputs, tokens, truncated, reason FROM read_parquet("
                     + Dataset.glob(output) + ") ORDER BY ad_post_id")) {
            while (rs.next()) {
                rows.put(rs.getLong(1), new Row(PostVectors.floats(rs.getArray(2)), rs.getInt(3), rs.getInt(4), rs.getInt(5),
                        rs.getString(6)));
            }
        }
        return rows;
    }
}
