package chanemb;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * The upload step: writes the vectors of one embed output into a column of the target table, one
 * row per ad post (id bigint primary key; a float4[] or pgvector vector(d) column per approach and
 * model).
 *
 * <p>Everything happens in one transaction, so a failure at any point, a dropped connection
 * included, leaves the table as it was:
 * <ol>
 *   <li>check the target against the vectors' dimension and create what is missing
 *       ({@link UploadTarget});</li>
 *   <li>stream the vectors from the Parquet files into a temporary staging table with COPY,
 *       rejecting NaN, infinite and all-zero vectors;</li>
 *   <li>upsert the staging rows into the target, rewriting only rows whose vector changed, and
 *       record which run wrote them ({@link UploadRuns});</li>
 *   <li>verify counts, a sample read back, and nearest-neighbour probes
 *       ({@link UploadVerification});</li>
 *   <li>commit; then, if asked, build an HNSW index on a vector column.</li>
 * </ol>
 */
public final class Upload {
    private static final String STAGING = "pg_temp.upload_staging";
    private static final int COPY_BUFFER_BYTES = 1 << 20;
    private static final String NOT_NULL_VIOLATION = "23502";
    /** Largest row that fits in an 8 kB heap page with its headers, rounded down. */
    private static final int MAX_INLINE_BYTES = 8000;

    private Upload() {
    }

    /**
     * How to upload.
     *
     * @param format     COPY format
     * @param sampleSize vectors read back and compared with the file
     * @param probes     nearest-neighbour queries on a vector column, at most {@code sampleSize}
     * @param buildIndex build an HNSW index (cosine distance) on a vector column after the commit
     */
    public record Options(VectorCopy.Format format, int sampleSize, int probes, boolean buildIndex) {
        public static Options defaults() {
            return new Options(VectorCopy.Format.BINARY, 100, 3, false);
        }
    }

    /** Counts of one upload. */
    public record Result(UUID runId, UploadTarget target, VectorType type, long rows, long written,
                         long withoutVector, int sampled, int probes, boolean indexed, double seconds) {
        public long unchanged() {
            return rows - written;
        }
    }

    /** Column name for an approach and model: lower case, non-alphanumerics as '_', at most 63 characters. */
    public static String columnName(String approach, String modelShortName) {
        String name = (approach + "__" + modelShortName).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]+", "_");
        if (!Character.isLetter(name.charAt(0))) {
            name = "v_" + name;
        }
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    /** Returns the column for an embed output, from the approach and model id in its manifest. */
    public static String columnName(Dataset.Manifest manifest) {
        return columnNameForModel(String.valueOf(manifest.params().get("approach")),
                String.valueOf(manifest.params().get("model")));
    }

    /** Returns the column for an approach and a model id such as intfloat/multilingual-e5-large, from the id's last segment. */
    public static String columnNameForModel(String approach, String modelId) {
        return columnName(approach, modelId.substring(modelId.lastIndexOf('/') + 1));
    }

    /** Dimension of the vectors of an embed output, from its manifest. */
    public static int dimension(Dataset.Manifest manifest, Path dir) {
        Object value = manifest.params().get("dimension");
        if (!(value instanceof Number number) || number.intValue() <= 0) {
            throw new UserException("upload.no-dimension", dir);
        }
        return number.intValue();
    }

    /** Uploads the embed output in {@code embeddingsDir} into {@code target}. */
    public static Result run(Database db, Path embeddingsDir, UploadTarget target, Options options) {
        Instant started = Instant.now();
        long startNanos = System.nanoTime();
        Dataset.Manifest manifest = Dataset.require(embeddingsDir, "embed");
        int dimension = dimension(manifest, embeddingsDir);
        UUID runId = UUID.randomUUID();
        Log.info("upload.start", manifest.rows(), dimension, embeddingsDir, target);

        try (Connection connection = db.connect()) {
            connection.setAutoCommit(false);
            VectorType type;
            Copied copied;
            long written;
            UploadVerification.Checked checked;
            try {
                // 1. The target, checked against the vectors before anything is written.
                type = target.prepare(connection, dimension);
                if (options.buildIndex() && type != VectorType.VECTOR) {
                    throw new UserException("upload.index-needs-vector", target, type.sql(dimension));
                }
                target.lock(connection);
                UploadRuns.prepare(connection, target.table().schema());

                // 2. Vectors into the staging table.
                UploadVerification.Sample sample = new UploadVerification.Sample(options.sampleSize());
                copied = copyToStaging(connection, embeddingsDir, manifest.rows(), type, dimension, options.format(),
                        sample);
                Log.debug("Copied {} vectors into the staging table after {} s", copied.vectors(), since(startNanos));

                // 3. Staging into the target, recording the run of every row written.
                Log.info("upload.upserting", copied.vectors(), target);
                written = upsert(connection, target, runId);
                Log.debug("Upserted {} rows after {} s", written, since(startNanos));

                // 4. Checks, then the commit.
                checked = UploadVerification.verify(connection, target, type, STAGING, copied.vectors(), sample,
                        options.probes());
                UploadRuns.record(connection, new UploadRuns.Run(runId, target, type, dimension, manifest,
                        embeddingsDir.toAbsolutePath().toString(), started, copied.vectors(), written,
                        copied.withoutVector()));
                Log.debug("Verified after {} s", since(startNanos));
                connection.commit();
                Log.debug("Committed after {} s", since(startNanos));
            } catch (SQLException | RuntimeException e) {
                rollback(connection, e);
                throw e;
            }

            // 5. The optional index, after the load: building it once is faster than updating it per row.
            boolean indexed = options.buildIndex() && buildIndex(connection, target);
            return new Result(runId, target, type, copied.vectors(), written, copied.withoutVector(),
                    checked.sampled(), checked.probes(), indexed, (System.nanoTime() - startNanos) / 1e9);
        } catch (SQLException e) {
            throw new UserException(e, "upload.failed", target, e.getMessage());
        }
    }

    private static String since(long startNanos) {
        return String.format(Locale.ROOT, "%.1f", (System.nanoTime() - startNanos) / 1e9);
    }

    /** Rows copied into the staging table. */
    private record Copied(long vectors, long withoutVector) {
    }

    /**
     * Streams the file's vectors into a temporary staging table with the target column's type.
     * The staging table has no WAL and is dropped at the end of the transaction.
     */
    private static Copied copyToStaging(Connection connection, Path dir, long totalRows, VectorType type,
                                        int dimension, VectorCopy.Format format, UploadVerification.Sample sample)
            throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TEMP TABLE upload_staging (id bigint PRIMARY KEY, vector "
                    + type.sql(dimension) + " NOT NULL) ON COMMIT DROP");
            // Vectors do not compress, and a staging row of up to about 8,000 bytes fits in a page
            // without TOAST: storing values in line saves splitting each into chunks and indexing them.
            String storage = dimension * 4 + 64 <= MAX_INLINE_BYTES ? "PLAIN" : "EXTERNAL";
            statement.execute("ALTER TABLE " + STAGING + " ALTER COLUMN vector SET STORAGE " + storage);
        }
        VectorCopy encoder = new VectorCopy(format, type, dimension);
        ByteBuffer buffer = ByteBuffer.allocate(Math.max(COPY_BUFFER_BYTES, 2 * encoder.maxRowBytes()));
        long[] counts = new long[2];
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY " + STAGING + " (id, vector) FROM STDIN " + format.copyOptions());
        try (Progress progress = Progress.start("upload", "vectors", totalRows)) {
            encoder.header(buffer);
            EmbeddingsFile.read(dir, dimension, (id, vector) -> {
                progress.advance(1);
                if (vector == null) {
                    counts[1]++;
                    return;
                }
                checkVector(id, vector, dir);
                if (buffer.remaining() < encoder.maxRowBytes()) {
                    flush(copy, buffer);
                }
                encoder.row(buffer, id, vector);
                sample.offer(id, vector);
                counts[0]++;
            });
            encoder.trailer(buffer);
            flush(copy, buffer);
            long copied = copy.endCopy();
            if (copied != counts[0]) {
                throw new IllegalStateException("COPY stored " + copied + " rows, " + counts[0] + " were sent");
            }
        } catch (SQLException | RuntimeException e) {
            cancel(copy, e);
            throw e;
        }
        return new Copied(counts[0], counts[1]);
    }

    /** Runs the upsert statements and returns the rows written; names the column of a NOT NULL violation. */
    private static long upsert(Connection connection, UploadTarget target, UUID runId) throws SQLException {
        long written = 0;
        for (String sql : UploadRuns.upsertSql(target, STAGING)) {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.setObject(1, runId);
                written += statement.executeLargeUpdate();
            } catch (PSQLException e) {
                ServerErrorMessage error = e.getServerErrorMessage();
                if (NOT_NULL_VIOLATION.equals(e.getSQLState()) && error != null && error.getColumn() != null) {
                    throw new UserException(e, "upload.not-null", target.table(), error.getColumn(), target.column());
                }
                throw e;
            }
        }
        return written;
    }

    /** Rejects a vector that must not be stored: NaN or infinite values, or all zeros (nothing to compare). */
    static void checkVector(long id, float[] vector, Path dir) {
        boolean zero = true;
        for (float v : vector) {
            if (!Float.isFinite(v)) {
                throw new UserException("upload.not-finite", id, dir);
            }
            zero &= v == 0f;
        }
        if (zero) {
            throw new UserException("upload.zero-vector", id, dir);
        }
    }

    private static void flush(CopyIn copy, ByteBuffer buffer) throws SQLException {
        if (buffer.position() > 0) {
            copy.writeToCopy(buffer.array(), 0, buffer.position());
            buffer.clear();
        }
    }

    private static void cancel(CopyIn copy, Exception cause) {
        if (copy.isActive()) {
            try {
                copy.cancelCopy();
            } catch (SQLException e) {
                cause.addSuppressed(e);
            }
        }
    }

    private static void rollback(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // A dropped connection cannot roll back; the server discards the transaction itself.
            cause.addSuppressed(e);
        }
    }

    /** Builds the HNSW index of a vector column unless it exists; returns true when it was built now. */
    private static boolean buildIndex(Connection connection, UploadTarget target) throws SQLException {
        String name = indexName(target);
        try (PreparedStatement query = connection.prepareStatement(
                "SELECT to_regclass(?) IS NOT NULL")) {
            query.setString(1, Sql.quote(target.table().schema()) + "." + Sql.quote(name));
            try (ResultSet rs = query.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    Log.info("upload.index-exists", name);
                    return false;
                }
            }
        }
        Log.info("upload.index-start", name, target);
        long start = System.nanoTime();
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE INDEX IF NOT EXISTS " + Sql.quote(name) + " ON " + target.table().sql()
                    + " USING hnsw (" + Sql.quote(target.column()) + " vector_cosine_ops)");
        }
        connection.commit();
        Log.info("upload.index-done", name, Progress.formatDuration((System.nanoTime() - start) / 1e9));
        return true;
    }

    /** Index name {@code <table>_<column>_hnsw}, shortened with a hash to PostgreSQL's 63 characters. */
    static String indexName(UploadTarget target) {
        String name = target.table().name() + "_" + target.column() + "_hnsw";
        if (name.length() <= 63) {
            return name;
        }
        String hash = Dataset.sha256(target.table() + "." + target.column()).substring(0, 8);
        return name.substring(0, 63 - 14) + "_" + hash + "_hnsw";
    }

    /** Counts the rows of {@code table} with a value in {@code column}. */
    public static long countRows(Database db, Sql.Table table, String column) {
        try (Connection connection = db.connect();
             PreparedStatement query = connection.prepareStatement("SELECT count(" + Sql.quote(column) + ") FROM "
                     + table.sql());
             ResultSet rs = query.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new UserException(e, "upload.failed", table, e.getMessage());
        }
    }
}
