package chanemb;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * The upload step: writes the vectors of one embed output into the target table, one row per
 * ad post (id bigint primary key, one float4[] column per approach and model).
 *
 * <p>Vectors go through COPY into a temporary staging table and are then upserted into the
 * target in the same transaction, so a failure leaves the table as it was. Rows whose vector
 * did not change are not rewritten.
 */
public final class Upload {
    private Upload() {
    }

    /** Counts of one upload. */
    public record Result(String runId, String column, long rows, long changed, long withoutVector, double seconds) {
    }

    /** Column name for an approach and model: lower case, non-alphanumerics as '_', at most 63 characters. */
    public static String columnName(String approach, String modelShortName) {
        String name = (approach + "__" + modelShortName).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]+", "_");
        if (!Character.isLetter(name.charAt(0))) {
            name = "v_" + name;
        }
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    /**
     * Uploads {@code embeddingsDir} into {@code table}.{@code column}. The column's dimension is
     * checked against the vectors before anything is written.
     */
    public static Result run(Database db, Path embeddingsDir, Sql.Table table, String column) {
        long start = System.nanoTime();
        Dataset.Manifest manifest = Dataset.require(embeddingsDir, "embed");
        int dimension = ((Number) manifest.params().get("dimension")).intValue();
        String runId = UUID.randomUUID().toString();
        String quotedColumn = Sql.quote(Sql.identifier(column, "--column"));
        try (Connection connection = db.connect()) {
            connection.setAutoCommit(false);
            try {
                prepareTable(connection, table, quotedColumn, dimension);
                try (Statement statement = connection.createStatement()) {
                    statement.execute("CREATE TEMP TABLE upload_staging (id bigint PRIMARY KEY, vector float4[] NOT NULL)"
                            + " ON COMMIT DROP");
                }
                long[] counts = copyVectors(connection, embeddingsDir, dimension);
                long changed;
                try (Statement statement = connection.createStatement()) {
                    changed = statement.executeUpdate("INSERT INTO " + table.sql() + " AS t (id, " + quotedColumn + ")"
                            + " SELECT id, vector FROM upload_staging"
                            + " ON CONFLICT (id) DO UPDATE SET " + quotedColumn + " = EXCLUDED." + quotedColumn
                            + " WHERE t." + quotedColumn + " IS DISTINCT FROM EXCLUDED." + quotedColumn);
                }
                connection.commit();
                return new Result(runId, column, counts[0], changed, counts[1], (System.nanoTime() - start) / 1e9);
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new UserException(e, "upload.failed", table, e.getMessage());
        }
    }

    /** Creates schema, table and column when missing; checks the dimension of an existing column. */
    static void prepareTable(Connection connection, Sql.Table table, String quotedColumn, int dimension)
            throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + Sql.quote(table.schema()));
            statement.execute("CREATE TABLE IF NOT EXISTS " + table.sql() + " (id bigint PRIMARY KEY, " + quotedColumn
                    + " float4[] NOT NULL)");
            // Rows of other approaches have no value here, so an added column allows NULL.
            statement.execute("ALTER TABLE " + table.sql() + " ADD COLUMN IF NOT EXISTS " + quotedColumn + " float4[]");
            try (ResultSet rs = statement.executeQuery("SELECT array_length(" + quotedColumn + ", 1) FROM " + table.sql()
                    + " WHERE " + quotedColumn + " IS NOT NULL LIMIT 1")) {
                if (rs.next() && rs.getInt(1) != dimension) {
                    throw new UserException("upload.dimension-mismatch", table, quotedColumn, rs.getInt(1), dimension);
                }
            }
        }
    }

    /** Streams the vectors into the staging table; returns {rows written, ad posts without vector}. */
    private static long[] copyVectors(Connection connection, Path embeddingsDir, int dimension) throws SQLException {
        long rows = 0;
        long withoutVector = 0;
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY upload_staging (id, vector) FROM STDIN (FORMAT text)");
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
             Writer out = new OutputStreamWriter(new PGCopyOutputStream(copy, 1 << 20), StandardCharsets.UTF_8)) {
            if (!Dataset.parts(embeddingsDir).isEmpty()) {
                try (ResultSet rs = statement.executeQuery("SELECT ad_post_id, vector FROM read_parquet("
                        + Dataset.glob(embeddingsDir) + ")")) {
                    StringBuilder line = new StringBuilder(dimension * 12);
                    while (rs.next()) {
                        long id = rs.getLong(1);
                        java.sql.Array array = rs.getArray(2);
                        if (array == null) {
                            withoutVector++;
                            continue;
                        }
                        Object[] values = (Object[]) array.getArray();
                        if (values.length != dimension) {
                            throw new UserException("upload.dimension-mismatch", "file", embeddingsDir, values.length,
                                    dimension);
                        }
                        line.setLength(0);
                        line.append(id).append("\t{");
                        for (int d = 0; d < values.length; d++) {
                            float v = ((Number) values[d]).floatValue();
                            if (!Float.isFinite(v)) {
                                throw new UserException("upload.not-finite", id, embeddingsDir);
                            }
                            if (d > 0) {
                                line.append(',');
                            }
                            line.append(v);
                        }
                        line.append("}\n");
                        out.write(line.toString());
                        rows++;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new long[] {rows, withoutVector};
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
