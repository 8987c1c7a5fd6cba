package chanemb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * The load_texts step: fetches the texts of all distinct previous posts of the windows, keyed by
 * post id, and writes them with their ids.
 *
 * <p>The output folder is an append-only store: a run fetches only the ids that no part file
 * holds yet, so a rerun after a kill continues where it stopped, a rerun after new ad posts
 * fetches only the new previous posts, and every text is in the store exactly once. Parts are
 * written whole under a temporary name and renamed; leftovers of a killed run are deleted. Ids
 * are fetched in batches with one array parameter per query ({@code = ANY(?)}) while a second
 * thread writes the previous batch. {@code --refresh} empties the store to fetch everything again.
 */
public final class LoadTexts {
    public static final String STEP = "load_texts";
    public static final String COLUMNS = "post_id BIGINT, text VARCHAR, status VARCHAR, chars INTEGER, repair VARCHAR";

    /** Row status: the text is there ("ok"), empty after repairs ("empty"), or the post is gone ("missing"). */
    public static final String OK = "ok";
    public static final String EMPTY = "empty";
    public static final String MISSING = "missing";

    private LoadTexts() {
    }

    /** Settings of one run. */
    public record Options(int batchSize, int rowsPerPart, boolean refresh) {
        public Options {
            if (batchSize < 1 || rowsPerPart < batchSize) {
                throw new IllegalArgumentException("need 1 <= batchSize <= rowsPerPart");
            }
        }

        public Options(int batchSize, int rowsPerPart) {
            this(batchSize, rowsPerPart, false);
        }

        public static Options defaults() {
            return new Options(10_000, 200_000, false);
        }
    }

    /**
     * What a run found. Counts of ok, empty and missing cover the posts the windows need; {@code
     * fetched} is how many this run read from the database, {@code reused} how many the store had.
     */
    public record Result(long posts, long ok, long empty, long missing, Map<String, Long> repairs, long fetched,
                         long reused, double seconds) {
    }

    public static Result run(Database db, SourceSchema schema, Path windowsDir, Path outDir, Options options) {
        long start = System.nanoTime();
        Dataset.Manifest windows = Dataset.require(windowsDir, "find_prev_posts");
        long[] needed = distinctPrevPostIds(windowsDir);
        if (options.refresh()) {
            Dataset.clear(outDir);
        }
        removeLeftovers(outDir);
        long[] present = storedIds(outDir);
        long[] missing = difference(needed, present);
        long reused = needed.length - missing.length;

        if (missing.length == 0 && Dataset.isComplete(outDir)
                && windows.contentHash().equals(Dataset.require(outDir, STEP).inputs().get("windows"))) {
            Log.info("texts.up-to-date", outDir);
            return summarize(outDir, needed, 0, reused, start);
        }
        Dataset.markIncomplete(outDir);
        if (reused > 0) {
            Log.info("texts.reusing", reused, needed.length, outDir);
        }
        Log.info("texts.start", missing.length, db.describe());

        try (Progress progress = Progress.start(STEP, "texts", missing.length);
             Connection connection = db.connect()) {
            fetchAndWrite(connection, schema, missing, outDir, options, progress);
        } catch (SQLException e) {
            throw new UserException(e, "texts.query-failed", db.describe(), e.getMessage());
        }
        Result result = summarize(outDir, needed, missing.length, reused, start);
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("posts", result.posts());
        counts.put("ok", result.ok());
        counts.put("empty", result.empty());
        counts.put("missing", result.missing());
        counts.put("repairs", result.repairs());
        counts.put("fetched", result.fetched());
        counts.put("reused", result.reused());
        Dataset.complete(outDir, STEP, Dataset.describeParts(outDir), Map.of("rows_per_part", options.rowsPerPart()),
                Map.of("windows", windows.contentHash()), counts);
        return result;
    }

    /** Sorted distinct previous post ids of all windows. */
    public static long[] distinctPrevPostIds(Path windowsDir) {
        if (Dataset.parts(windowsDir).isEmpty()) {
            return new long[0];
        }
        return readIds("SELECT DISTINCT unnest(prev_post_ids) AS id FROM read_parquet(" + Dataset.glob(windowsDir)
                + ") ORDER BY id", windowsDir);
    }

    /** Sorted post ids the store holds. */
    static long[] storedIds(Path outDir) {
        if (Dataset.parts(outDir).isEmpty()) {
            return new long[0];
        }
        return readIds("SELECT post_id FROM read_parquet(" + Dataset.glob(outDir) + ") ORDER BY post_id", outDir);
    }

    private static long[] readIds(String sql, Path source) {
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
             ResultSet rs = statement.executeQuery(sql)) {
            long[] ids = new long[1 << 16];
            int n = 0;
            while (rs.next()) {
                if (n == ids.length) {
                    ids = Arrays.copyOf(ids, n * 2);
                }
                ids[n++] = rs.getLong(1);
            }
            return Arrays.copyOf(ids, n);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read ids from " + source + ": " + e.getMessage(), e);
        }
    }

    /** Elements of sorted {@code a} that are not in sorted {@code b}. */
    static long[] difference(long[] a, long[] b) {
        long[] out = new long[a.length];
        int n = 0;
        int j = 0;
        for (long value : a) {
            while (j < b.length && b[j] < value) {
                j++;
            }
            if (j >= b.length || b[j] != value) {
                out[n++] = value;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Deletes temporary files a killed run left behind; complete parts stay. */
    private static void removeLeftovers(Path outDir) {
        if (!Files.isDirectory(outDir)) {
            return;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(outDir, "*.tmp")) {
            for (Path file : stream) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void fetchAndWrite(Connection connection, SourceSchema s, long[] ids, Path outDir, Options options,
                                      Progress progress) throws SQLException {
        if (ids.length == 0) {
            return;
        }
        String sql = "SELECT " + s.contentId() + "::int8, " + s.contentText() + " FROM " + s.content().sql()
                + " WHERE " + s.contentId() + " = ANY(?)";
        ExecutorService fetcher = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "load_texts-fetch");
            thread.setDaemon(true);
            return thread;
        });
        try (PreparedStatement query = connection.prepareStatement(sql);
             PartWriter out = new PartWriter(outDir, COLUMNS, Dataset.nextPartIndex(outDir), options.rowsPerPart())) {
            // One batch is fetched while the previous one is written.
            int batchStart = 0;
            Future<Map<Long, String>> next = fetcher.submit(() -> fetch(query, connection, ids, 0,
                    Math.min(ids.length, options.batchSize())));
            while (next != null) {
                Map<Long, String> texts = await(next);
                int batchEnd = Math.min(ids.length, batchStart + options.batchSize());
                if (batchEnd < ids.length) {
                    int from = batchEnd;
                    int to = Math.min(ids.length, batchEnd + options.batchSize());
                    next = fetcher.submit(() -> fetch(query, connection, ids, from, to));
                } else {
                    next = null;
                }
                for (int i = batchStart; i < batchEnd; i++) {
                    appendRow(out, ids[i], texts);
                }
                progress.advance(batchEnd - batchStart);
                batchStart = batchEnd;
            }
            out.finish();
        } finally {
            fetcher.shutdownNow();
        }
    }

    private static Map<Long, String> fetch(PreparedStatement query, Connection connection, long[] ids, int from, int to)
            throws SQLException {
        Long[] batch = new Long[to - from];
        for (int i = from; i < to; i++) {
            batch[i - from] = ids[i];
        }
        Array array = connection.createArrayOf("bigint", batch);
        query.setArray(1, array);
        Map<Long, String> texts = new HashMap<>(batch.length * 2);
        try (ResultSet rs = query.executeQuery()) {
            while (rs.next()) {
                texts.put(rs.getLong(1), rs.getString(2));
            }
        }
        array.free();
        return texts;
    }

    private static Map<Long, String> await(Future<Map<Long, String>> future) throws SQLException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while fetching texts", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof SQLException sql) {
                throw sql;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static void appendRow(PartWriter out, long id, Map<Long, String> texts) throws SQLException {
        var row = out.row();
        row.append(id);
        if (!texts.containsKey(id)) {
            row.appendNull();
            row.append(MISSING);
            row.append(0);
            row.appendNull();
        } else {
            Texts.Repaired repaired = Texts.repairDetailed(texts.get(id));
            String text = repaired.text() == null ? "" : repaired.text();
            row.append(text);
            row.append(text.isEmpty() ? EMPTY : OK);
            row.append(text.length());
            String kinds = repaired.kinds();
            if (kinds.isEmpty()) {
                row.appendNull();
            } else {
                row.append(kinds);
            }
        }
        out.endRow();
    }

    /** Counts over the posts the windows need, from the store. */
    private static Result summarize(Path outDir, long[] needed, long fetched, long reused, long start) {
        Map<String, Long> byStatus = new HashMap<>();
        Map<String, Long> repairs = new LinkedHashMap<>();
        if (!Dataset.parts(outDir).isEmpty() && needed.length > 0) {
            try (Connection plain = Duck.open(); Statement statement = plain.createStatement()) {
                statement.execute("CREATE TEMP TABLE needed (id BIGINT)");
                try (DuckDBAppender appender = plain.unwrap(DuckDBConnection.class)
                        .createAppender(DuckDBConnection.DEFAULT_SCHEMA, "needed")) {
                    for (long id : needed) {
                        appender.beginRow();
                        appender.append(id);
                        appender.endRow();
                    }
                }
                String rows = "(SELECT t.* FROM read_parquet(" + Dataset.glob(outDir) + ") t SEMI JOIN needed n"
                        + " ON n.id = t.post_id)";
                try (ResultSet rs = statement.executeQuery("SELECT status, count(*) FROM " + rows + " GROUP BY status")) {
                    while (rs.next()) {
                        byStatus.put(rs.getString(1), rs.getLong(2));
                    }
                }
                try (ResultSet rs = statement.executeQuery("SELECT kind, count(*) FROM (SELECT unnest(string_split(repair,"
                        + " ',')) AS kind FROM " + rows + " WHERE repair IS NOT NULL) GROUP BY kind ORDER BY kind")) {
                    while (rs.next()) {
                        repairs.put(rs.getString(1), rs.getLong(2));
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException("Cannot read " + outDir + ": " + e.getMessage(), e);
            }
        }
        return new Result(needed.length, byStatus.getOrDefault(OK, 0L), byStatus.getOrDefault(EMPTY, 0L),
                byStatus.getOrDefault(MISSING, 0L), repairs, fetched, reused, (System.nanoTime() - start) / 1e9);
    }
}
