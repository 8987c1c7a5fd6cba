package chanemb.embed;

import chanemb.Dataset;
import chanemb.Duck;
import chanemb.LoadTexts;
import chanemb.PartWriter;
import chanemb.Progress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A vector cache: one vector per (id, text) for a given model, template and token limit, kept
 * across runs in {@code data/cache/<kind>/<model>__<template hash>__<limit>/}. For the pooling
 * approach the id is a post id, for the others an ad post or channel id.
 *
 * <p>A post shared by many windows is embedded once. An edited text gets a new vector, because
 * rows are matched on the MD5 of the text as well as the id. Part files are only ever added,
 * each written whole, so a killed run loses at most the part in progress.
 */
public final class PostVectors {
    public static final String COLUMNS = "post_id BIGINT, text_md5 VARCHAR, vector FLOAT[], tokens INTEGER, truncated BOOLEAN";

    private static final String NO_INPUTS = "SELECT NULL::BIGINT AS id, NULL::VARCHAR AS text WHERE false";

    /** Columns of an approach's input file: one text per id. */
    public static final String INPUT_COLUMNS = "id BIGINT, text VARCHAR";

    private PostVectors() {
    }

    /** Counts of one cache update. */
    public record Stats(long posts, long reused, long embedded, long truncated, long tokens, long paddedTokens,
                        double seconds) {
    }

    public static Path dir(Path cacheRoot, ModelSpec spec) {
        return dir(cacheRoot, "post-vectors", spec);
    }

    public static Path dir(Path cacheRoot, String kind, ModelSpec spec) {
        return cacheRoot.resolve(kind).resolve(spec.cacheKey());
    }

    /**
     * The inputs of the pooling approach: the posts with text that the windows contain. The texts
     * store may hold more (posts of earlier windows); those are not embedded.
     */
    public static String postInputs(Path textsDir, Path windowsDir) {
        if (Dataset.parts(textsDir).isEmpty() || Dataset.parts(windowsDir).isEmpty()) {
            return NO_INPUTS;
        }
        return "SELECT post_id AS id, text FROM read_parquet(" + Dataset.glob(textsDir) + ") WHERE status = '"
                + LoadTexts.OK + "' AND post_id IN (SELECT unnest(prev_post_ids) FROM read_parquet("
                + Dataset.glob(windowsDir) + "))";
    }

    /** The inputs written by {@link #writeInputs}. */
    public static String fileInputs(Path inputsDir) {
        if (Dataset.parts(inputsDir).isEmpty()) {
            return NO_INPUTS;
        }
        return "SELECT id, text FROM read_parquet(" + Dataset.glob(inputsDir) + ")";
    }

    /** Writes an approach's inputs (id, text) as a dataset, replacing what was there. */
    public static void writeInputs(Path dir, java.util.Map<Long, String> texts) {
        chanemb.Dataset.clear(dir);
        try (PartWriter out = new PartWriter(dir, INPUT_COLUMNS, 0, 500_000)) {
            for (var entry : texts.entrySet()) {
                var row = out.row();
                row.append(entry.getKey());
                row.append(entry.getValue());
                out.endRow();
            }
            Dataset.complete(dir, "embed-inputs", out.finish(), java.util.Map.of(), java.util.Map.of(),
                    java.util.Map.of("inputs", texts.size()));
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot write " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Embeds every post with text in {@code textsDir} that the cache does not hold yet.
     *
     * @param chunkSize   texts tokenized and embedded together (sorted by length inside)
     * @param rowsPerPart vectors per cache part file
     */
    public static Stats update(TextEncoder encoder, Path textsDir, Path windowsDir, Path cacheDir, int maxBatchTokens,
                               int chunkSize, int rowsPerPart, String task) {
        return updateFrom(encoder, postInputs(textsDir, windowsDir), cacheDir, maxBatchTokens, chunkSize, rowsPerPart,
                task);
    }

    /**
     * Embeds every (id, text) row of {@code inputsSql}, a DuckDB query, that the cache lacks.
     * Texts must not be empty: they come from posts with text or from non-empty layouts.
     */
    public static Stats updateFrom(TextEncoder encoder, String inputsSql, Path cacheDir, int maxBatchTokens,
                                   int chunkSize, int rowsPerPart, String task) {
        return updateFrom(encoder, inputsSql, cacheDir, maxBatchTokens, chunkSize, rowsPerPart, task, SLICE_IDS);
    }

    /** As above, reading the texts in id ranges of at most {@code sliceIds} ids. */
    static Stats updateFrom(TextEncoder encoder, String inputsSql, Path cacheDir, int maxBatchTokens,
                            int chunkSize, int rowsPerPart, String task, int sliceIds) {
        long start = System.nanoTime();
        long posts = count(inputsSql);
        // The ids to embed are found on (id, md5) pairs alone, so the anti-join against the cache
        // reads no texts. Joining on the texts themselves ran out of DuckDB's memory limit.
        String missingIds = "SELECT t.id FROM current_inputs t"
                + (Dataset.parts(cacheDir).isEmpty() ? "" : " WHERE NOT EXISTS (SELECT 1 FROM read_parquet("
                + Dataset.glob(cacheDir) + ") c WHERE c.post_id = t.id AND c.text_md5 = t.text_md5)");
        long embedded = 0;
        long[] totals = new long[3]; // tokens, inputs cut to the limit, padded tokens
        int firstPart = Dataset.nextPartIndex(cacheDir);
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement()) {
            createCurrentInputs(statement, inputsSql);
            statement.execute("CREATE TEMP TABLE missing_ids AS " + missingIds);
            long remaining;
            try (ResultSet rs = statement.executeQuery("SELECT count(*) FROM missing_ids")) {
                rs.next();
                remaining = rs.getLong(1);
            }
            if (remaining == 0) {
                return new Stats(posts, posts, 0, 0, 0, 0, (System.nanoTime() - start) / 1e9);
            }
            chanemb.Log.info("embed.posts-start", remaining, posts - remaining, encoder.spec().id());
            // Chunks are embedded on their own threads, as many at once as the encoder allows,
            // while this thread reads the next chunk and writes finished ones in order.
            int inFlight = Math.max(1, encoder.concurrentCalls());
            ExecutorService embedder = Executors.newFixedThreadPool(inFlight, runnable -> {
                Thread thread = new Thread(runnable, "chanemb-embed-chunk");
                thread.setDaemon(true);
                return thread;
            });
            ArrayDeque<Chunk> pending = new ArrayDeque<>();
            try (Progress progress = Progress.start(task, "inputs", remaining);
                 PartWriter out = new PartWriter(cacheDir, COLUMNS, firstPart, rowsPerPart)) {
                List<Long> ids = new ArrayList<>(chunkSize);
                List<String> texts = new ArrayList<>(chunkSize);
                for (long[] slice : slices(statement, sliceIds)) {
                    // The texts are read one id range at a time: a single query over all of them
                    // buffered about 1 GB inside DuckDB and failed at its memory limit at full scale.
                    String todo = "SELECT i.id, i.text FROM (" + inputsSql + ") i WHERE i.id BETWEEN " + slice[0]
                            + " AND " + slice[1] + " AND i.id IN (SELECT id FROM missing_ids WHERE id BETWEEN "
                            + slice[0] + " AND " + slice[1] + ")";
                    try (ResultSet rs = statement.executeQuery(todo)) {
                        while (rs.next()) {
                            ids.add(rs.getLong(1));
                            texts.add(rs.getString(2));
                            if (ids.size() == chunkSize) {
                                embedded += enqueue(pending, inFlight, out, totals,
                                        submit(embedder, encoder, ids, texts, maxBatchTokens, progress));
                                ids = new ArrayList<>(chunkSize);
                                texts = new ArrayList<>(chunkSize);
                            }
                        }
                    }
                }
                if (!ids.isEmpty()) {
                    embedded += enqueue(pending, inFlight, out, totals,
                            submit(embedder, encoder, ids, texts, maxBatchTokens, progress));
                }
                while (!pending.isEmpty()) {
                    write(pending.poll(), out, totals);
                }
                out.finish();
            } finally {
                pending.forEach(chunk -> chunk.result().cancel(true));
                embedder.shutdownNow();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Embedding posts failed: " + e.getMessage(), e);
        }
        return new Stats(posts, posts - embedded, embedded, totals[1], totals[0], totals[2],
                (System.nanoTime() - start) / 1e9);
    }

    /** Texts handed to the encoder together, with their ids and the encoder's pending result. */
    private record Chunk(List<Long> ids, List<String> texts, Future<Encoder.Embedded> result) {
    }

    /** Ids read from the texts per query: at most about 200 MB of text at 4,096 characters each. */
    private static final int SLICE_IDS = 25_000;

    /** Splits the ids of the missing_ids table into ranges of at most {@code sliceIds} ids, in order. */
    private static List<long[]> slices(Statement statement, int sliceIds) throws SQLException {
        List<long[]> slices = new ArrayList<>();
        String sql = "SELECT min(id), max(id) FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) // " + sliceIds
                + " AS slice FROM missing_ids) GROUP BY slice ORDER BY slice";
        try (ResultSet rs = statement.executeQuery(sql)) {
            while (rs.next()) {
                slices.add(new long[] {rs.getLong(1), rs.getLong(2)});
            }
        }
        return slices;
    }

    /** Hands a chunk to the encoder on the embedding threads. */
    private static Chunk submit(ExecutorService embedder, TextEncoder encoder, List<Long> ids, List<String> texts,
                                int maxBatchTokens, Progress progress) {
        return new Chunk(ids, texts, embedder.submit(() -> encoder.embedTexts(texts, maxBatchTokens, progress::advance)));
    }

    /**
     * Queues a submitted chunk, first writing the oldest one when {@code inFlight} are queued
     * already. Returns the chunk's size.
     */
    private static int enqueue(ArrayDeque<Chunk> pending, int inFlight, PartWriter out, long[] totals, Chunk chunk)
            throws SQLException {
        if (pending.size() == inFlight) {
            write(pending.poll(), out, totals);
        }
        pending.add(chunk);
        return chunk.ids().size();
    }

    /** Waits for a chunk's vectors, writes its rows and adds its tokens, cut inputs and padded tokens to {@code totals}. */
    private static void write(Chunk chunk, PartWriter out, long[] totals) throws SQLException {
        Encoder.Embedded result;
        try {
            result = chunk.result().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("Embedding a chunk failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while embedding posts", e);
        }
        for (int i = 0; i < chunk.ids().size(); i++) {
            var row = out.row();
            row.append(chunk.ids().get(i));
            row.append(md5(chunk.texts().get(i)));
            row.append(result.vectors()[i]);
            row.append(result.tokenCounts()[i]);
            row.append(result.truncated()[i]);
            out.endRow();
            totals[0] += result.tokenCounts()[i];
            totals[1] += result.truncated()[i] ? 1 : 0;
        }
        totals[2] += result.paddedTokens();
    }

    /** A cached vector with its token count and truncation flag. */
    public record Entry(long postId, float[] vector, int tokens, boolean truncated) {
    }

    /**
     * Streams the cached vectors of the posts in {@code textsDir} whose text is unchanged, in no
     * particular order. Each post comes once: its texts row is unique and the cache never holds
     * two rows of the same post and text.
     */
    public static void forEach(Path textsDir, Path windowsDir, Path cacheDir, java.util.function.Consumer<Entry> consumer) {
        forEachFrom(postInputs(textsDir, windowsDir), cacheDir, consumer);
    }

    /** Streams the cached vectors of the rows of {@code inputsSql} whose text is unchanged, in no particular order. */
    public static void forEachFrom(String inputsSql, Path cacheDir, java.util.function.Consumer<Entry> consumer) {
        if (Dataset.parts(cacheDir).isEmpty()) {
            return;
        }
        // A semi-join with the (id, md5) pairs: joining the cache with the texts themselves made
        // DuckDB keep the vectors or the texts in a hash table, beyond its memory limit at full scale.
        String sql = "SELECT c.post_id, c.vector, c.tokens, c.truncated FROM read_parquet(" + Dataset.glob(cacheDir)
                + ") c SEMI JOIN current_inputs t ON t.id = c.post_id AND t.text_md5 = c.text_md5";
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement()) {
            createCurrentInputs(statement, inputsSql);
            try (ResultSet rs = statement.executeQuery(sql)) {
                while (rs.next()) {
                    consumer.accept(new Entry(rs.getLong(1), floats(rs.getArray(2)), rs.getInt(3), rs.getBoolean(4)));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Reading the post-vector cache failed: " + e.getMessage(), e);
        }
    }

    /** Creates the temporary table current_inputs: the (id, text_md5) pair of every row of {@code inputsSql}. */
    private static void createCurrentInputs(Statement statement, String inputsSql) throws SQLException {
        statement.execute("CREATE TEMP TABLE current_inputs AS SELECT id, md5(text) AS text_md5 FROM (" + inputsSql + ")");
    }

    /** Reads a DuckDB FLOAT[] value. */
    public static float[] floats(Array array) throws SQLException {
        if (array == null) {
            return null;
        }
        Object[] values = (Object[]) array.getArray();
        float[] vector = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            vector[i] = ((Number) values[i]).floatValue();
        }
        return vector;
    }

    public static String md5(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(String inputsSql) {
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
             ResultSet rs = statement.executeQuery("SELECT count(*) FROM (" + inputsSql + ")")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

}
