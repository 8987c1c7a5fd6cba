package chanemb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Streams the (ad post id, vector) rows of an embed output, in file order, with memory bounded
 * by one Parquet row group rather than by the number of rows.
 *
 * <p>DuckDB unnests each vector into one row per value, so the JDBC driver hands over plain
 * floats. Reading FLOAT[] values as JDBC arrays was about twice as slow in one trial (177,000
 * vectors of 1,024 values: 10 s against 21 s on two busy cores). One DuckDB thread keeps the rows in file order
 * and a single row group in memory.
 */
public final class EmbeddingsFile {
    private EmbeddingsFile() {
    }

    /** Receives each row; {@code vector} is null for an ad post without one, and is reused between calls. */
    @FunctionalInterface
    public interface RowHandler {
        void accept(long adPostId, float[] vector) throws SQLException;
    }

    /**
     * Reads every row of the output in {@code dir} and returns how many there were. A vector of
     * another length than {@code dimension} fails with the ad post's id.
     */
    public static long read(Path dir, int dimension, RowHandler handler) throws SQLException {
        if (Dataset.parts(dir).isEmpty()) {
            return 0;
        }
        long rows = 0;
        float[] vector = new float[dimension];
        try (Connection duck = Duck.open(memoryLimit(dir, dimension)); Statement statement = duck.createStatement()) {
            statement.execute("SET threads = 1");
            // A missing or empty vector becomes one NULL value, so every ad post yields at least one row.
            try (ResultSet rs = statement.executeQuery("SELECT ad_post_id, len(vector) AS length,"
                    + " unnest(CASE WHEN len(vector) > 0 THEN vector ELSE [NULL::FLOAT] END)::FLOAT AS value"
                    + " FROM read_parquet(" + Dataset.glob(dir) + ")")) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    int length = rs.getInt(2);
                    boolean missing = rs.wasNull();
                    rows++;
                    if (missing) {
                        handler.accept(id, null);
                        continue;
                    }
                    if (length != dimension) {
                        throw new UserException("upload.file-dimension-mismatch", dir, id, length, dimension);
                    }
                    vector[0] = value(rs, id, dir);
                    for (int d = 1; d < dimension; d++) {
                        if (!rs.next()) {
                            throw new IllegalStateException("DuckDB returned " + d + " values of ad post " + id
                                    + " in " + dir + ", expected " + dimension);
                        }
                        vector[d] = value(rs, id, dir);
                    }
                    // One id check per vector: the values of two ad posts never interleave with one thread.
                    if (rs.getLong(1) != id) {
                        throw new IllegalStateException("DuckDB returned the values of ad post " + id + " out of order in "
                                + dir);
                    }
                    handler.accept(id, vector);
                }
            }
        }
        return rows;
    }

    private static float value(ResultSet rs, long id, Path dir) throws SQLException {
        float value = rs.getFloat(3);
        if (rs.wasNull()) {
            throw new UserException("upload.null-value", id, dir);
        }
        return value;
    }

    /**
     * DuckDB memory for one decoded row group plus working space: at least 1 GB, else three
     * times the decoded size of the largest row group (rows x dimension x 4 bytes).
     */
    static String memoryLimit(Path dir, int dimension) throws SQLException {
        long maxRowGroup;
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
             ResultSet rs = statement.executeQuery("SELECT coalesce(max(row_group_num_rows), 0) FROM parquet_metadata("
                     + Dataset.glob(dir) + ")")) {
            rs.next();
            maxRowGroup = rs.getLong(1);
        }
        // NOTE: the factor 3 is measured, not derived: one row group of 100,000 x 1,024 floats
        // (400 MB decoded) streamed within 1 GB, and failed within 1 GB with two DuckDB threads.
        long megabytes = Math.max(1024, 3 * maxRowGroup * dimension * 4 / (1024 * 1024));
        return megabytes + "MB";
    }
}
