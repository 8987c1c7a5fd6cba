package chanemb;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The load_texts step: fetches the texts of all distinct previous posts of the windows,
 * keyed by post id, and writes them with their ids.
 *
 * <p>The sorted distinct ids are cut into parts of {@code rowsPerPart}; part k always holds ids
 * k*P to (k+1)*P-1 of that list, so a rerun after a kill skips the parts that exist and writes
 * the rest, and every text ends up in the output exactly once. Each part is fetched in batches
 * of {@code batchSize} ids with one array parameter per query ({@code = ANY(?)}), while a
 * second thread writes the previous batch.
 */
public final class LoadTexts {
    public static final String STEP = "load_texts";
    public static final String COLUMNS = "post_id BIGINT, text VARCHAR, status VARCHAR, chars INTEGER, repair VARCHAR";
    private static final String RUN_FILE = "_run.json";

    /** Row status: the text is there ("ok"), empty after repairs ("empty"), or the post is gone ("missing"). */
    public static final String OK = "ok";
    public static final String EMPTY = "empty";
    public static final String MISSING = "missing";

    private LoadTexts() {
    }

    /** Settings of one run. */
    public record Options(int batchSize, int rowsPerPart) {
        public Options {
            if (batchSize < 1 || rowsPerPart < batchSize) {
                throw new IllegalArgumentException("need 1 <= batchSize <= rowsPerPart");
            }
        }

        public static Options defaults() {
            return new Options(10_000, 200_000);
        }
    }

    /** What a run found; counts cover the whole output, resumed parts included. */
    public record Result(long posts, long ok, long empty, long missing, Map<String, Long> repairs, int partsReused,
                         int partsWritten, double seconds) {
    }

    /** Identity of the input, so a resumed run can tell that its parts still fit. */
    record RunState(String windowsHash, int rowsPerPart, long posts) {
    }

    public static Result run(Database db, SourceSchema schema, Path windowsDir, Path outDir, Options options) {
        long start = System.nanoTime();
        Dataset.Manifest windows = Dataset.require(windowsDir, "find_prev_posts");
        long[] ids = distinctPrevPostIds(windowsDir);
        RunState state = new RunState(windows.contentHash(), options.rowsPerPart(), ids.length);
        int partCount = (int) ((ids.length + options.rowsPerPart() - 1) / options.rowsPerPart());

        // A finished output of the same input needs no work; an unfinished one is resumed.
        if (Dataset.isComplete(outDir) && state.equals(readState(outDir))) {
            Log.info("texts.up-to-date", outDir);
            return summarize(outDir, ids.length, 0, 0, start);
        }
        boolean resume = state.equals(readState(outDir));
        if (!resume) {
            Dataset.clear(outDir);
            Json.writeAtomically(outDir.resolve(RUN_FILE), state);
        }
        Dataset.markIncomplete(outDir);
        List<Path> existing = Dataset.parts(outDir);
        int reused = 0;
        boolean[] done = new boolean[partCount];
        for (Path part : existing) {
            int index = Integer.parseInt(part.getFileName().toString().substring(5, 10));
            if (index < partCount) {
                done[index] = true;
                reused++;
            }
        }
        if (reused > 0) {
            Log.info("texts.resuming", reused, partCount, outDir);
        }
        Log.info("texts.start", ids.length, db.describe());

        Texts.Repairs repairs = new Texts.Repairs();
        int written = 0;
        long remaining = 0;
        for (int p = 0; p < partCount; p++) {
            if (!done[p]) {
                remaining += Math.min(ids.length, (long) (p + 1) * options.rowsPerPart()) - (long) p * options.rowsPerPart();
            }
        }
        try (Progress progress = Progress.start(STEP, "texts", remaining);
             Connection connection = db.connect()) {
            for (int p = 0; p < partCount; p++) {
                if (done[p]) {
                    continue;
                }
                int from = p * options.rowsPerPart();
                int to = (int) Math.min(ids.length, (long) from + options.rowsPerPart());
                writePart(connection, schema, ids, from, to, p, outDir, options, repairs, progress);
                written++;
            }
        } catch (SQLException e) {
            throw new UserException(e, "texts.query-failed", db.describe(), e.getMessage());
        }
        Result result = summarize(outDir, ids.length, reused, written, start);
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("posts", result.posts());
        counts.put("ok", result.ok());
        counts.put("empty", result.empty());
        counts.put("missing", result.missing());
        counts.put("repairs", result.repairs());
        Dataset.complete(outDir, STEP, partsOf(outDir), Map.of("rows_per_part", options.rowsPerPart()),
                Map.of("windows", windows.contentHash()), counts);
        return result;
    }

    /** Sorted distinct previous post ids of all windows. */
    public static long[] distinctPrevPostIds(Path windowsDir) {
        if (Dataset.parts(windowsDir).isEmpty()) {
            return new long[0];
        }
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
             ResultSet rs = statement.executeQuery("SELECT DISTINCT unnest(prev_post_ids) AS id FROM read_parquet("
                     + Dataset.glob(windowsDir) + ") ORDER BY id")) {
            long[] ids = new long[1 << 16];
            int n = 0;
            while (rs.next()) {
                if (n == ids.length) {
                    ids = java.util.Arrays.copyOf(ids, n * 2);
                }
                ids[n++] = rs.getLong(1);
            }
            return java.util.Arrays.copyOf(ids, n);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read windows from " + windowsDir + ": " + e.getMessage(), e);
        }
    }

    private static void writePart(Connection connection, SourceSchema s, long[] ids, int from, int to, int partIndex,
                                  Path outDir, Options options, Texts.Repairs repairs, Progress progress)
            throws SQLException {
        String sql = "SELECT " + s.contentId() + "::int8, " + s.contentText() + " FROM " + s.content().sql()
                + " WHERE " + s.contentId() + " = ANY(?)";
        ExecutorService fetcher = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "load_texts-fetch");
            thread.setDaemon(true);
            return thread;
        });
        try (PreparedStatement query = connection.prepareStatement(sql);
             PartWriter out = new PartWriter(outDir, COLUMNS, partIndex, Long.MAX_VALUE)) {
            int batchStart = from;
            // Keep one batch in flight while the previous one is written.
            java.util.ArrayDeque<int[]> ranges = new java.util.ArrayDeque<>();
            for (int b = from; b < to; b += options.batchSize()) {
                ranges.add(new int[] {b, Math.min(to, b + options.batchSize())});
            }
            java.util.ArrayDeque<Future<Map<Long, String>>> inFlight = new java.util.ArrayDeque<>();
            java.util.Iterator<int[]> next = ranges.iterator();
            if (next.hasNext()) {
                int[] r = next.next();
                inFlight.add(fetcher.submit(() -> fetch(query, connection, ids, r[0], r[1])));
            }
            while (!inFlight.isEmpty()) {
                Map<Long, String> texts = await(inFlight.poll());
                if (next.hasNext()) {
                    int[] r = next.next();
                    inFlight.add(fetcher.submit(() -> fetch(query, connection, ids, r[0], r[1])));
                }
                int batchEnd = Math.min(to, batchStart + options.batchSize());
                for (int i = batchStart; i < batchEnd; i++) {
                    appendRow(out, ids[i], texts, repairs);
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

    private static void appendRow(PartWriter out, long id, Map<Long, String> texts, Texts.Repairs repairs)
            throws SQLException {
        var row = out.row();
        row.append(id);
        if (!texts.containsKey(id)) {
            row.appendNull();
            row.append(MISSING);
            row.append(0);
            row.appendNull();
        } else {
            String original = texts.get(id);
            Texts.Repaired repaired = Texts.repairDetailed(original);
            repaired.countInto(repairs);
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

    private static RunState readState(Path outDir) {
        Path file = outDir.resolve(RUN_FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return Json.read(file, RunState.class);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static List<Dataset.Part> partsOf(Path outDir) {
        if (Dataset.parts(outDir).isEmpty()) {
            return List.of();
        }
        try (Connection duck = Duck.open()) {
            List<Dataset.Part> parts = new java.util.ArrayList<>();
            for (Path part : Dataset.parts(outDir)) {
                try (Statement statement = duck.createStatement();
                     ResultSet rs = statement.executeQuery("SELECT count(*) FROM read_parquet(" + Duck.literal(part) + ")")) {
                    rs.next();
                    parts.add(new Dataset.Part(part.getFileName().toString(), rs.getLong(1), Dataset.sha256(part)));
                }
            }
            return parts;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Result summarize(Path outDir, long posts, int reused, int written, long start) {
        Map<String, Long> byStatus = new HashMap<>();
        Map<String, Long> repairs = new LinkedHashMap<>();
        if (Dataset.parts(outDir).isEmpty()) {
            return new Result(posts, 0, 0, 0, repairs, reused, written, (System.nanoTime() - start) / 1e9);
        }
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement()) {
            try (ResultSet rs = statement.executeQuery("SELECT status, count(*) FROM read_parquet("
                    + Dataset.glob(outDir) + ") GROUP BY status")) {
                while (rs.next()) {
                    byStatus.put(rs.getString(1), rs.getLong(2));
                }
            }
            try (ResultSet rs = statement.executeQuery("SELECT kind, count(*) FROM (SELECT unnest(string_split(repair, ','))"
                    + " AS kind FROM read_parquet(" + Dataset.glob(outDir) + ") WHERE repair IS NOT NULL)"
                    + " GROUP BY kind ORDER BY kind")) {
                while (rs.next()) {
                    repairs.put(rs.getString(1), rs.getLong(2));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read " + outDir + ": " + e.getMessage(), e);
        }
        return new Result(posts, byStatus.getOrDefault(OK, 0L), byStatus.getOrDefault(EMPTY, 0L),
                byStatus.getOrDefault(MISSING, 0L), repairs, reused, written, (System.nanoTime() - start) / 1e9);
    }
}
