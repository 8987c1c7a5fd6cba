package chanemb;

import static chanemb.TestEmbeddings.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upload step with pgvector columns, and both column types side by side. Skipped when the
 * test server has no pgvector, unless CHANEMB_REQUIRE_PGVECTOR=true.
 */
class UploadPgvectorTest {
    private static final Sql.Table TABLE = new Sql.Table("embeddings", "summary_channel_emb");
    private static final UploadTarget VECTOR = new UploadTarget(TABLE, "v", VectorType.VECTOR);
    private static final UploadTarget ARRAY = new UploadTarget(TABLE, "a", VectorType.ARRAY);

    /** Values whose text form is easy to get wrong: subnormals, extremes, -0, long fractions. */
    private static final float[] AWKWARD = {Float.MIN_VALUE, -Float.MIN_NORMAL, Float.MAX_VALUE, -0.0f, 0.1f,
        1f / 3, 1e-38f, 123456.79f, -2.5e-7f, 7f};

    @TempDir
    Path dir;

    @BeforeEach
    void requirePgvector() {
        TestDatabase.assumePgvector();
    }

    @Test
    void bothTypesAndFormatsReadBackEqual() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            List<TestEmbeddings.Row> rows = List.of(row(1, AWKWARD), row(2, reversed(AWKWARD)));
            Path input = TestEmbeddings.write(dir.resolve("a"), rows);

            for (VectorCopy.Format format : VectorCopy.Format.values()) {
                for (VectorType type : VectorType.values()) {
                    String column = type.name().toLowerCase() + "_" + format.name().toLowerCase();
                    UploadTarget target = new UploadTarget(TABLE, column, type);

                    Upload.Result result = Upload.run(db, input, target, new Upload.Options(format, 10, 2, false));

                    assertThat(result.written()).as(column).isEqualTo(2);
                    assertThat(result.probes()).as(column).isEqualTo(type == VectorType.VECTOR ? 2 : 0);
                    Map<Long, float[]> stored = TestEmbeddings.stored(db, TABLE, column);
                    assertThat(stored.get(1L)).as(column).containsExactly(AWKWARD);
                    assertThat(stored.get(2L)).as(column).containsExactly(reversed(AWKWARD));
                    assertThat(bitsOf(stored.get(1L))).as(column + " keeps -0").isEqualTo(bitsOf(AWKWARD));
                    assertThat(equalsLiteral(db, column, type, AWKWARD)).as(column).isTrue();
                }
            }
            assertThat(columnType(db, "vector_binary")).isEqualTo("vector(10)");
            assertThat(columnType(db, "array_text")).isEqualTo("real[]");
        }
    }

    @Test
    void literalFormatPerType() {
        float[] vector = {0.5f, -1f, 1e-5f};

        assertThat(VectorCopy.literal(VectorType.ARRAY, vector)).isEqualTo("{0.5,-1.0,1.0E-5}");
        assertThat(VectorCopy.literal(VectorType.VECTOR, vector)).isEqualTo("[0.5,-1.0,1.0E-5]");
        assertThat(VectorCopy.parse("[0.5,-1,1e-05]")).containsExactly(vector);
        assertThat(VectorCopy.parse("{0.5,-1,1e-05}")).containsExactly(vector);
    }

    @Test
    void rerunIntoVectorColumnWritesNothing() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Path input = TestEmbeddings.write(dir.resolve("a"), TestEmbeddings.random(300, 16, 1));

            Upload.Result first = Upload.run(db, input, VECTOR, Upload.Options.defaults());
            Upload.Result second = Upload.run(db, input, VECTOR, Upload.Options.defaults());

            assertThat(first.written()).isEqualTo(300);
            assertThat(first.probes()).isEqualTo(3);
            assertThat(first.sampled()).isEqualTo(100);
            assertThat(second.written()).isZero();
            assertThat(TestEmbeddings.queryValue(db, "SELECT count(DISTINCT v_run) FROM embeddings.summary_channel_emb"))
                    .as("rows keep the first run").isEqualTo(1L);
        }
    }

    @Test
    void vectorColumnOfOtherDimensionStopsTheCheck() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            TestEmbeddings.execute(db, "CREATE EXTENSION IF NOT EXISTS vector", "CREATE SCHEMA embeddings",
                    "CREATE TABLE embeddings.summary_channel_emb (id bigint PRIMARY KEY, v vector(1024) NOT NULL)");
            Path input = TestEmbeddings.write(dir.resolve("a"), TestEmbeddings.random(5, 384, 1));

            assertThatThrownBy(() -> VECTOR.check(db, 384))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("1,024 dimensions")
                    .hasMessageContaining("have 384");
            assertThatThrownBy(() -> Upload.run(db, input, VECTOR, Upload.Options.defaults()))
                    .hasMessageContaining("1,024 dimensions");
            assertThat(Upload.countRows(db, TABLE, "v")).isZero();
            assertThat(db.tableExists(new Sql.Table("embeddings", "upload_runs"))).isFalse();
        }
    }

    @Test
    void autoFollowsTheExistingColumnElsePicksVector() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Path input = TestEmbeddings.write(dir.resolve("a"), List.of(row(1, 0.6f, 0.8f)));
            Upload.run(db, input, ARRAY, Upload.Options.defaults());

            Upload.Result existing = Upload.run(db, input, new UploadTarget(TABLE, "a", null), Upload.Options.defaults());
            Upload.Result created = Upload.run(db, input, new UploadTarget(TABLE, "b", null), Upload.Options.defaults());

            assertThat(existing.type()).isEqualTo(VectorType.ARRAY);
            assertThat(created.type()).isEqualTo(VectorType.VECTOR);
            assertThat(columnType(db, "b")).isEqualTo("vector(2)");
            assertThat(columnType(db, "b_run")).isEqualTo("uuid");
        }
    }

    @Test
    void requestedTypeMustMatchTheExistingColumn() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Path input = TestEmbeddings.write(dir.resolve("a"), List.of(row(1, 0.6f, 0.8f)));
            Upload.run(db, input, VECTOR, Upload.Options.defaults());

            assertThatThrownBy(() -> new UploadTarget(TABLE, "v", VectorType.ARRAY).check(db, 2))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("has type vector(2), but float4[] was requested");
        }
    }

    @Test
    void indexOnVectorColumnsOnly() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Path input = TestEmbeddings.write(dir.resolve("a"), TestEmbeddings.random(200, 8, 3));
            Upload.Options withIndex = new Upload.Options(VectorCopy.Format.BINARY, 10, 3, true);

            Upload.Result first = Upload.run(db, input, VECTOR, withIndex);
            Upload.Result second = Upload.run(db, input, VECTOR, withIndex);

            assertThat(first.indexed()).isTrue();
            assertThat(second.indexed()).as("exists").isFalse();
            assertThat(second.probes()).as("probes ignore the approximate index").isEqualTo(3);
            assertThat(TestEmbeddings.queryValue(db, "SELECT indexdef FROM pg_indexes"
                    + " WHERE indexname = 'summary_channel_emb_v_hnsw'")).asString()
                    .contains("USING hnsw (v vector_cosine_ops)");
            assertThatThrownBy(() -> Upload.run(db, input, ARRAY, withIndex))
                    .hasMessageContaining("An HNSW index needs a pgvector column");
            assertThat(TestEmbeddings.queryValue(db, "SELECT count(*) FROM pg_attribute"
                    + " WHERE attrelid = 'embeddings.summary_channel_emb'::regclass AND attname = 'a'"))
                    .as("column a was rolled back").isEqualTo(0L);
        }
    }

    @Test
    void nearestNeighbourCheckDetectsAWrongRow() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Upload.run(db, TestEmbeddings.write(dir.resolve("a"), List.of(row(1, 1f, 0f), row(2, 0f, 1f))), VECTOR,
                    Upload.Options.defaults());
            UploadVerification.Sample closerToTwo = new UploadVerification.Sample(1);
            closerToTwo.offer(1, new float[] {0.1f, 0.9f});

            try (Connection connection = db.connect()) {
                connection.setAutoCommit(false);
                assertThatThrownBy(() -> UploadVerification.checkNearest(connection, VECTOR, closerToTwo, 1))
                        .isInstanceOf(UserException.class)
                        .hasMessageContaining("nearest neighbour of the vector of ad post 1 is ad post 2");
                connection.rollback();
            }
        }
    }

    private static float[] reversed(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[values.length - 1 - i];
        }
        return out;
    }

    private static int[] bitsOf(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }

    /** Compares the stored value of ad post 1 with a literal, in SQL. */
    private static boolean equalsLiteral(Database db, String column, VectorType type, float[] vector) throws Exception {
        try (Connection c = db.connect(); PreparedStatement query = c.prepareStatement("SELECT " + Sql.quote(column)
                + " = CAST(? AS " + (type == VectorType.ARRAY ? "float4[]" : "vector") + ") FROM " + TABLE.sql()
                + " WHERE id = 1")) {
            query.setString(1, VectorCopy.literal(type, vector));
            try (ResultSet rs = query.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static String columnType(Database db, String column) throws Exception {
        return String.valueOf(TestEmbeddings.queryValue(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = 'embeddings.summary_channel_emb'::regclass AND attname = '" + column + "'"));
    }
}
