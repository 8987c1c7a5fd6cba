package chanemb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Embed outputs for upload tests, written directly with {@link PartWriter} and without embed's
 * unit-length check, so that bad vectors (NaN, zeros, NULL values) can be written too.
 */
final class TestEmbeddings {
    static final String APPROACH = "pooling-mean";
    static final String MODEL = "test/m";
    static final String TEMPLATE_HASH = "0123456789ab";

    private TestEmbeddings() {
    }

    /** One row of an embed output; a null vector is an ad post without one. */
    record Row(long id, float[] vector) {
    }

    static Row row(long id, float... vector) {
        return new Row(id, vector);
    }

    /** Returns {@code count} rows with ids 1..count and random values in [-1, 1), from {@code seed}. */
    static List<Row> random(int count, int dimension, long seed) {
        Random random = new Random(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            float[] vector = new float[dimension];
            for (int d = 0; d < dimension; d++) {
                vector[d] = random.nextFloat() * 2 - 1;
            }
            rows.add(new Row(i, vector));
        }
        return rows;
    }

    /** Writes the rows as a complete embed output in {@code dir}, in part files of {@code rowsPerPart} rows. */
    static Path write(Path dir, List<Row> rows, int dimension, long rowsPerPart) throws Exception {
        try (PartWriter writer = new PartWriter(dir, chanemb.embed.Embeddings.COLUMNS, 0, rowsPerPart)) {
            for (Row r : rows) {
                var appender = writer.row();
                appender.append(r.id());
                if (r.vector() == null) {
                    appender.appendNull();
                } else {
                    appender.append(r.vector());
                }
                appender.append(APPROACH).append(MODEL).append(TEMPLATE_HASH).append(1).append(1).append(0);
                if (r.vector() == null) {
                    appender.append("empty window");
                } else {
                    appender.appendNull();
                }
                writer.endRow();
            }
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("model", MODEL);
            params.put("template_hash", TEMPLATE_HASH);
            params.put("approach", APPROACH);
            params.put("dimension", dimension);
            Dataset.complete(dir, "embed", writer.finish(), params, Map.of(), Map.of());
        }
        return dir;
    }

    static Path write(Path dir, List<Row> rows) throws Exception {
        int dimension = rows.stream().filter(r -> r.vector() != null).findFirst().orElseThrow().vector().length;
        return write(dir, rows, dimension, 1000);
    }

    /** Reads every vector of {@code column} back as text and returns them parsed, by id. */
    static Map<Long, float[]> stored(Database db, Sql.Table table, String column) throws Exception {
        Map<Long, float[]> vectors = new LinkedHashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, " + Sql.quote(column) + "::text FROM " + table.sql()
                     + " WHERE " + Sql.quote(column) + " IS NOT NULL ORDER BY id")) {
            while (rs.next()) {
                vectors.put(rs.getLong(1), VectorCopy.parse(rs.getString(2)));
            }
        }
        return vectors;
    }

    /** Runs one query that returns a single value. */
    static Object queryValue(Database db, String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getObject(1);
        }
    }

    static void execute(Database db, String... statements) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }
}
