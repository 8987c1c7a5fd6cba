package chanemb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Where each stored vector came from:
 *
 * <ul>
 *   <li>beside each vector column {@code c} of the target, a column {@code c_run} (uuid) with
 *       the run that last wrote the row's value. A rerun does not touch rows whose vector did not
 *       change, so they keep their run;</li>
 *   <li>{@code upload_runs}, in the target's schema: one row per run with its run id, table,
 *       column, column type, dimension, approach, model id, template hash, the time embed created
 *       the vectors, the input folder and its manifest hash, counts, and start and finish times.</li>
 * </ul>
 *
 * <p>Find the run behind a row with {@code SELECT r.* FROM embeddings.summary_channel_emb t
 * JOIN embeddings.upload_runs r ON r.run_id = t.pooling_mean__e5_small_v2_q_run WHERE t.id = 42}.
 * A run id column costs 16 bytes in a row that is written anyway. A side table with one
 * (column, id, run) row per vector cost 4 to 16 s more per 177,000 rows in a trial on two busy
 * cores.
 */
public final class UploadRuns {
    static final String RUNS = "upload_runs";

    private UploadRuns() {
    }

    /** Facts about one run, stored in upload_runs. */
    record Run(UUID runId, UploadTarget target, VectorType type, int dimension, Dataset.Manifest manifest,
               String input, Instant started, long rows, long written, long withoutVector) {
    }

    /** Creates upload_runs in {@code schema} when missing. */
    static void prepare(Connection connection, String schema) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS " + runs(schema) + " ("
                    + "run_id uuid PRIMARY KEY, table_name text NOT NULL, column_name text NOT NULL,"
                    + " column_type text NOT NULL, dimension int NOT NULL, approach text, model text,"
                    + " template_hash text, embedded_at timestamptz, input text NOT NULL, input_hash text NOT NULL,"
                    + " rows bigint NOT NULL, written bigint NOT NULL, without_vector bigint NOT NULL,"
                    + " started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL)");
        }
    }

    /**
     * The statements that upsert the staged vectors into the target, setting the run id column of
     * every row they change or insert: an UPDATE of existing rows whose vector differs, then an
     * INSERT of new ids. Each takes the run id as its one parameter and returns the rows written.
     *
     * <p>INSERT ... ON CONFLICT does not fit: PostgreSQL checks NOT NULL constraints on the row it
     * would insert before it finds the conflict, so a row that exists with a NOT NULL vector in
     * another column could not be updated. Without ON CONFLICT, the caller must keep other writers
     * out ({@link UploadTarget#lock}).
     */
    static List<String> upsertSql(UploadTarget target, String staging) {
        String table = target.table().sql();
        String column = Sql.quote(target.column());
        String runColumn = Sql.quote(target.runColumn());
        String update = "UPDATE " + table + " AS t SET " + column + " = s.vector, " + runColumn + " = CAST(? AS uuid)"
                + " FROM " + staging + " AS s WHERE t.id = s.id AND t." + column + " IS DISTINCT FROM s.vector";
        String insert = "INSERT INTO " + table + " (id, " + column + ", " + runColumn + ")"
                + " SELECT s.id, s.vector, CAST(? AS uuid) FROM " + staging + " AS s"
                + " WHERE NOT EXISTS (SELECT 1 FROM " + table + " AS t WHERE t.id = s.id)";
        return List.of(update, insert);
    }

    /** Inserts the run's row; runs in the upload's transaction, so only committed runs are recorded. */
    static void record(Connection connection, Run run) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + runs(run.target().table().schema())
                + " (run_id, table_name, column_name, column_type, dimension, approach, model, template_hash,"
                + " embedded_at, input, input_hash, rows, written, without_vector, started_at, finished_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, clock_timestamp())")) {
            Dataset.Manifest manifest = run.manifest();
            insert.setObject(1, run.runId());
            insert.setString(2, run.target().table().name());
            insert.setString(3, run.target().column());
            insert.setString(4, run.type().sql(run.dimension()));
            insert.setInt(5, run.dimension());
            insert.setString(6, param(manifest, "approach"));
            insert.setString(7, param(manifest, "model"));
            insert.setString(8, param(manifest, "template_hash"));
            insert.setTimestamp(9, manifest.created() == null ? null : Timestamp.from(Instant.parse(manifest.created())));
            insert.setString(10, run.input());
            insert.setString(11, manifest.contentHash());
            insert.setLong(12, run.rows());
            insert.setLong(13, run.written());
            insert.setLong(14, run.withoutVector());
            insert.setTimestamp(15, Timestamp.from(run.started()));
            insert.executeUpdate();
        }
    }

    private static String param(Dataset.Manifest manifest, String key) {
        Object value = manifest.params().get(key);
        return value == null ? null : value.toString();
    }

    static String runs(String schema) {
        return Sql.quote(schema) + "." + Sql.quote(RUNS);
    }
}
