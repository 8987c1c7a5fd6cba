package chanemb.evaluate;

import chanemb.Database;
import chanemb.Dataset;
import chanemb.Duck;
import chanemb.Sql;
import chanemb.UserException;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * The channel vectors of one run, by ad post id: an embed output folder or a vector column of a
 * PostgreSQL table. Vectors are scaled to unit length when read, so a dot product is a cosine.
 *
 * @param name     the run's name in the report: the folder name or the column name
 * @param approach the approach from the embed manifest, or null for a table column
 * @param manifest the embed manifest, or null for a table column
 * @param dropped  vectors left out because they were zero or not finite
 */
public record VectorRun(String name, String approach, Dataset.Manifest manifest, Map<Long, float[]> vectors,
                        int dimension, long dropped) {

    /** Reads the vectors of a complete embed output; rows without a vector are left out. */
    public static VectorRun fromEmbedOutput(Path dir) {
        Dataset.Manifest manifest = Dataset.require(dir, "embed");
        Object approach = manifest.params().get("approach");
        Reader reader = new Reader(dir.toString());
        if (!Dataset.parts(dir).isEmpty()) {
            try (Connection duck = Duck.open("2GB"); Statement statement = duck.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT ad_post_id, vector FROM read_parquet(" + Dataset.glob(dir)
                         + ") WHERE vector IS NOT NULL")) {
                while (rs.next()) {
                    reader.add(rs.getLong(1), rs.getArray(2));
                }
            } catch (SQLException e) {
                throw new IllegalStateException("Cannot read vectors from " + dir + ": " + e.getMessage(), e);
            }
        }
        return reader.run(dir.getFileName().toString(), approach == null ? null : approach.toString(), manifest);
    }

    /**
     * Reads a vector column (float4[], float8[] or pgvector) of a table keyed by ad post id, such as
     * the target table that upload writes.
     */
    public static VectorRun fromColumn(Database db, Sql.Table table, String column, String idColumn) {
        Sql.identifier(column, "--column");
        if (!hasColumn(db, table, column)) {
            throw new UserException("evaluate.column-missing", column, table);
        }
        Reader reader = new Reader(table + "." + column);
        String sql = "SELECT " + Sql.quote(idColumn) + ", CAST(" + Sql.quote(column) + " AS real[]) FROM " + table.sql()
                + " WHERE " + Sql.quote(column) + " IS NOT NULL";
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.setFetchSize(10_000);
            try (ResultSet rs = statement.executeQuery(sql)) {
                while (rs.next()) {
                    reader.add(rs.getLong(1), rs.getArray(2));
                }
            }
            connection.commit();
        } catch (SQLException e) {
            throw new UserException(e, "evaluate.column-invalid", table, column, e.getMessage());
        }
        return reader.run(column, null, null);
    }

    private static boolean hasColumn(Database db, Sql.Table table, String column) {
        try (Connection connection = db.connect(); PreparedStatement statement = connection.prepareStatement(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = ? AND table_name = ?"
                        + " AND column_name = ?")) {
            statement.setString(1, table.schema());
            statement.setString(2, table.name());
            statement.setString(3, column);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read the columns of " + table + ": " + e.getMessage(), e);
        }
    }

    /** Collects vectors, checks that they all have one dimension and scales them to unit length. */
    private static final class Reader {
        private final String source;
        private final Map<Long, float[]> vectors = new HashMap<>();
        private int dimension = -1;
        private long dropped;

        Reader(String source) {
            this.source = source;
        }

        void add(long id, Array array) throws SQLException {
            Object[] values = (Object[]) array.getArray();
            if (dimension < 0) {
                dimension = values.length;
            } else if (values.length != dimension) {
                throw new UserException("evaluate.mixed-dimensions", source, dimension, values.length, id);
            }
            float[] vector = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                vector[i] = values[i] == null ? Float.NaN : ((Number) values[i]).floatValue();
            }
            if (Vectors.normalize(vector)) {
                vectors.put(id, vector);
            } else {
                dropped++;
            }
        }

        VectorRun run(String name, String approach, Dataset.Manifest manifest) {
            return new VectorRun(name, approach, manifest, vectors, Math.max(dimension, 0), dropped);
        }
    }
}
