package chanemb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

class LoadTextsTest {
    private static final SourceSchema SCHEMA = SourceSchema.from(Config.defaults(Path.of(""), Map.of()));

    @TempDir
    Path dir;

    @Test
    void seventyThousandIdsInOneQuery() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            int n = 70_000;
            insertTexts(db, n, id -> "текст " + id);
            Path windows = writeWindows(n, 10);

            LoadTexts.Result result = LoadTexts.run(db, SCHEMA, windows, dir.resolve("texts"), new LoadTexts.Options(n, n));

            assertThat(result.posts()).isEqualTo(n);
            assertThat(result.ok()).isEqualTo(n);
            assertThat(readTexts(dir.resolve("texts"))).hasSize(n).containsEntry(12_345L, "текст 12345");
        }
    }

    @Test
    void missingAndEmptyPostsAreRecorded() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            insertTexts(db, 20, id -> switch ((int) (id % 5)) {
                case 0 -> "\u200B \u2060";
                case 1 -> null;
                default -> "пост " + id;
            });
            Path windows = writeWindows(30, 10);

            LoadTexts.Result result = LoadTexts.run(db, SCHEMA, windows, dir.resolve("texts"), new LoadTexts.Options(7, 14));

            assertThat(result.posts()).isEqualTo(30);
            assertThat(result.fetched()).isEqualTo(30);
            assertThat(result.missing()).as("ids 21..30 have no content row").isEqualTo(10);
            assertThat(result.empty()).as("blank or NULL texts").isEqualTo(8);
            assertThat(result.ok()).isEqualTo(12);
            assertThat(result.repairs()).containsEntry("blank", 4L);
        }
    }

    @Test
    void rerunAfterKillWritesEachTextOnce() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            insertTexts(db, 100, id -> "пост " + id);
            Path windows = writeWindows(100, 10);
            Path out = dir.resolve("texts");
            LoadTexts.Options options = new LoadTexts.Options(10, 25);
            LoadTexts.run(db, SCHEMA, windows, out, options);

            // Simulate a kill while part 2 was written: its file is gone, a half-written temporary
            // file and no manifest are left behind.
            Files.delete(Dataset.partPath(out, 2));
            Files.writeString(out.resolve("part-00004.parquet.tmp"), "PAR1 half");
            Files.delete(Dataset.manifestPath(out));

            LoadTexts.Result result = LoadTexts.run(db, SCHEMA, windows, out, options);

            assertThat(result.reused()).isEqualTo(75);
            assertThat(result.fetched()).isEqualTo(25);
            assertThat(Dataset.isComplete(out)).isTrue();
            assertThat(Files.exists(out.resolve("part-00004.parquet.tmp"))).isFalse();
            assertThat(countRows(out)).isEqualTo(100);
            assertThat(readTexts(out)).hasSize(100);
        }
    }

    @Test
    void newWindowsFetchOnlyNewPosts() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            insertTexts(db, 50, id -> "пост " + id);
            Path out = dir.resolve("texts");
            LoadTexts.run(db, SCHEMA, writeWindows(40, 10), out, new LoadTexts.Options(10, 20));

            LoadTexts.Result result = LoadTexts.run(db, SCHEMA, writeWindows(50, 10), out, new LoadTexts.Options(10, 20));

            assertThat(result.fetched()).isEqualTo(10);
            assertThat(result.reused()).isEqualTo(40);
            assertThat(result.ok()).isEqualTo(50);
            assertThat(countRows(out)).isEqualTo(50);
        }
    }

    @Test
    void unchangedWindowsFetchNothing() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            insertTexts(db, 30, id -> "пост " + id);
            Path out = dir.resolve("texts");
            Path windows = writeWindows(30, 10);
            LoadTexts.run(db, SCHEMA, windows, out, LoadTexts.Options.defaults());

            LoadTexts.Result again = LoadTexts.run(db, SCHEMA, windows, out, LoadTexts.Options.defaults());

            assertThat(again.fetched()).isZero();
            assertThat(again.ok()).isEqualTo(30);
        }
    }

    @Test
    void refreshFetchesEverythingAgain() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            insertTexts(db, 30, id -> "пост " + id);
            Path out = dir.resolve("texts");
            Path windows = writeWindows(30, 10);
            LoadTexts.run(db, SCHEMA, windows, out, LoadTexts.Options.defaults());

            LoadTexts.Result again = LoadTexts.run(db, SCHEMA, windows, out, new LoadTexts.Options(10_000, 200_000, true));

            assertThat(again.fetched()).isEqualTo(30);
            assertThat(countRows(out)).isEqualTo(30);
        }
    }

    /** Inserts posts 1..n with the given texts (null: a NULL text). */
    private static void insertTexts(Database db, int n, java.util.function.LongFunction<String> text) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            Importer.createTables(s, SCHEMA);
            StringBuilder rows = new StringBuilder();
            for (long id = 1; id <= n; id++) {
                String t = text.apply(id);
                rows.append(id).append('\t').append(t == null ? "\\N" : t).append('\n');
            }
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY parse.posts_content (id, raw_text) FROM STDIN",
                    new StringReader(rows.toString()));
        }
    }

    /** Windows over post ids 1..n, {@code size} consecutive ids each. */
    private Path writeWindows(int n, int size) {
        List<Windows.Window> windows = new ArrayList<>();
        for (int start = 1, ad = 1_000_000; start <= n; start += size, ad++) {
            long[] ids = new long[Math.min(size, n - start + 1)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = start + i;
            }
            windows.add(new Windows.Window(ad, 1, 0, ids));
        }
        Path out = dir.resolve("windows-" + n);
        PrevPosts.write(out, windows, Map.of("n", n), Map.of());
        return out;
    }

    static Map<Long, String> readTexts(Path dataset) throws Exception {
        Map<Long, String> texts = new HashMap<>();
        try (Connection duck = Duck.open(); Statement s = duck.createStatement();
             ResultSet rs = s.executeQuery("SELECT post_id, text FROM read_parquet(" + Dataset.glob(dataset) + ")")) {
            while (rs.next()) {
                assertThat(texts.put(rs.getLong(1), rs.getString(2))).as("post %d twice", rs.getLong(1)).isNull();
            }
        }
        return texts;
    }

    static long countRows(Path dataset) throws Exception {
        try (Connection duck = Duck.open(); Statement s = duck.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM read_parquet(" + Dataset.glob(dataset) + ")")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
