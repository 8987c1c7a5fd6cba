package chanemb;

import static chanemb.TestEmbeddings.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The upload step into float4[] columns, which needs no extension. */
class UploadTest {
    private static final Sql.Table TABLE = new Sql.Table("embeddings", "summary_channel_emb");
    private static final UploadTarget TARGET = new UploadTarget(TABLE, "c", VectorType.ARRAY);

    @TempDir
    Path dir;

    @Test
    void vectorsAreUpsertedAndRerunChangesNothing() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Path input = TestEmbeddings.write(dir.resolve("a"), List.of(row(1, 0.6f, 0.8f), row(2, 1f, 0f), row(3, null)));

            Upload.Result first = Upload.run(db, input, TARGET, Upload.Options.defaults());
            Upload.Result second = Upload.run(db, input, TARGET, Upload.Options.defaults());

            assertThat(first.rows()).isEqualTo(2);
            assertThat(first.written()).isEqualTo(2);
            assertThat(first.withoutVector()).isEqualTo(1);
            assertThat(first.sampled()).isEqualTo(2);
            assertThat(first.probes()).as("no nearest-neighbour probes on float4[]").isZero();
            assertThat(second.written()).isZero();
            assertThat(second.unchanged()).isEqualTo(2);
            assertThat(TestEmbeddings.stored(db, TABLE, "c")).containsOnlyKeys(1L, 2L);
            assertThat(TestEmbeddings.stored(db, TABLE, "c").get(1L)).containsExactly(0.6f, 0.8f);
            assertThat(TestEmbeddings.queryValue(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                    + " WHERE attrelid = 'embeddings.summary_channel_emb'::regclass AND attname = 'c'")).isEqualTo("real[]");
        }
    }

    @Test
    void rowsKeepTheRunThatWroteThem() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Upload.Result first = Upload.run(db, TestEmbeddings.write(dir.resolve("a"),
                    List.of(row(1, 0.6f, 0.8f), row(2, 1f, 0f))), TARGET, Upload.Options.defaults());

            Upload.Result second = Upload.run(db, TestEmbeddings.write(dir.resolve("b"),
                    List.of(row(1, 0.8f, 0.6f), row(2, 1f, 0f))), TARGET, Upload.Options.defaults());

            assertThat(second.written()).isEqualTo(1);
            assertThat(TestEmbeddings.stored(db, TABLE, "c").get(1L)).containsExactly(0.8f, 0.6f);
            assertThat(runOf(db, 1)).isEqualTo(second.runId().toString());
            assertThat(runOf(db, 2)).isEqualTo(first.runId().toString());
            assertThat(TestEmbeddings.queryValue(db, "SELECT count(*) FROM embeddings.upload_runs")).isEqualTo(2L);
            assertThat(TestEmbeddings.queryValue(db, "SELECT approach || ' ' || model || ' ' || template_hash || ' '"
                    + " || column_type || ' ' || dimension || ' ' || rows || ' ' || written FROM embeddings.upload_runs"
                    + " WHERE run_id = '" + second.runId() + "'"))
                    .isEqualTo("pooling-mean test/m 0123456789ab float4[] 2 2 1");
            assertThat(TestEmbeddings.queryValue(db, "SELECT count(*) FROM embeddings.upload_runs"
                    + " WHERE embedded_at IS NOT NULL AND finished_at >= started_at")).isEqualTo(2L);
        }
    }

    @Test
    void secondColumnUpdatesRowsOfTheFirst() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Upload.run(db, TestEmbeddings.write(dir.resolve("a"), List.of(row(1, 0.6f, 0.8f), row(2, 1f, 0f))), TARGET,
                    Upload.Options.defaults());
            UploadTarget second = new UploadTarget(TABLE, "d", VectorType.ARRAY);
            Path newAdPost = TestEmbeddings.write(dir.resolve("c"), List.of(row(2, 0f, 1f), row(3, 0f, 1f)));

            Upload.Result sameAdPosts = Upload.run(db, TestEmbeddings.write(dir.resolve("b"),
                    List.of(row(1, 0f, 1f), row(2, 0f, 1f))), second, Upload.Options.defaults());

            assertThat(sameAdPosts.written()).isEqualTo(2);
            assertThat(TestEmbeddings.stored(db, TABLE, "d")).containsOnlyKeys(1L, 2L);
            assertThatThrownBy(() -> Upload.run(db, newAdPost, second, Upload.Options.defaults()))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("its column c is NOT NULL")
                    .hasMessageContaining("ALTER COLUMN c DROP NOT NULL");
            assertThat(TestEmbeddings.stored(db, TABLE, "d").get(2L)).containsExactly(0f, 1f);
        }
    }

    @Test
    void existingColumnOfOtherDimensionStopsBeforeWriting() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Upload.run(db, TestEmbeddings.write(dir.resolve("a"), List.of(row(1, 0.6f, 0.8f))), TARGET,
                    Upload.Options.defaults());
            Path threeDims = TestEmbeddings.write(dir.resolve("b"), List.of(row(2, 0.6f, 0.8f, 0f)));

            assertThatThrownBy(() -> Upload.run(db, threeDims, TARGET, Upload.Options.defaults()))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("2 dimensions")
                    .hasMessageContaining("have 3");
            assertThat(Upload.countRows(db, TABLE, "c")).isEqualTo(1);
            assertThat(TestEmbeddings.queryValue(db, "SELECT count(*) FROM embeddings.upload_runs")).isEqualTo(1L);
        }
    }

    @Test
    void checkNamesBothSizesOfAnArrayColumn() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            TestEmbeddings.execute(db, "CREATE SCHEMA embeddings",
                    "CREATE TABLE embeddings.summary_channel_emb (id bigint PRIMARY KEY, c float4[] NOT NULL)",
                    "INSERT INTO embeddings.summary_channel_emb SELECT 1, array_fill(0.5::float4, ARRAY[1024])");

            assertThatThrownBy(() -> TARGET.check(db, 384))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("1,024 dimensions")
                    .hasMessageContaining("have 384");
            assertThat(TARGET.check(db, 1024)).isEqualTo(VectorType.ARRAY);
        }
    }

    @Test
    void dimensionLoadedOnlyForExistingColumn() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            AtomicInteger loads = new AtomicInteger();

            VectorType newColumn = TARGET.check(db, () -> {
                loads.incrementAndGet();
                return 2;
            });
            Upload.run(db, TestEmbeddings.write(dir.resolve("a"), List.of(row(1, 0.6f, 0.8f))), TARGET,
                    Upload.Options.defaults());
            VectorType existingColumn = TARGET.check(db, () -> {
                loads.incrementAndGet();
                return 2;
            });

            assertThat(newColumn).isEqualTo(VectorType.ARRAY);
            assertThat(existingColumn).isEqualTo(VectorType.ARRAY);
            assertThat(loads).hasValue(1);
            assertThat(db.tableExists(new Sql.Table("embeddings", "upload_runs"))).isTrue();
        }
    }

    @Test
    void tableWithoutUniqueIdIsRejected() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            TestEmbeddings.execute(db, "CREATE SCHEMA embeddings",
                    "CREATE TABLE embeddings.summary_channel_emb (id bigint, c float4[])");
            Path input = TestEmbeddings.write(dir.resolve("a"), List.of(row(1, 0.6f, 0.8f)));

            assertThatThrownBy(() -> Upload.run(db, input, TARGET, Upload.Options.defaults()))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("no primary key or unique index");
            assertThat(Upload.countRows(db, TABLE, "c")).isZero();
        }
    }

    @Test
    void columnOfAnotherTypeIsRejected() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            TestEmbeddings.execute(db, "CREATE SCHEMA embeddings",
                    "CREATE TABLE embeddings.summary_channel_emb (id bigint PRIMARY KEY, c float8[])");

            assertThatThrownBy(() -> TARGET.check(db, 2))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("has type double precision[]");
        }
    }

    @Test
    void nanVectorIsRejectedBeforeWriting() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Path input = TestEmbeddings.write(dir.resolve("a"), List.of(row(1, 0.6f, 0.8f), row(2, Float.NaN, 1f)));

            assertThatThrownBy(() -> Upload.run(db, input, TARGET, Upload.Options.defaults()))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("ad post 2 ")
                    .hasMessageContaining("NaN");
            assertThat(db.tableExists(TABLE)).as("the transaction that created the table was rolled back").isFalse();
        }
    }

    @Test
    void infiniteZeroAndNullValuesAreRejected() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Upload.run(db, TestEmbeddings.write(dir.resolve("ok"), List.of(row(1, 0.6f, 0.8f))), TARGET,
                    Upload.Options.defaults());
            Path infinite = TestEmbeddings.write(dir.resolve("inf"), List.of(row(1, 1f, 0f),
                    row(7, Float.POSITIVE_INFINITY, 0f)));
            Path zero = TestEmbeddings.write(dir.resolve("zero"), List.of(row(1, 1f, 0f), row(8, 0f, -0f)));
            Path nullValue = writeWithNullValue(dir.resolve("null"));

            assertThatThrownBy(() -> Upload.run(db, infinite, TARGET, Upload.Options.defaults()))
                    .hasMessageContaining("ad post 7 ").hasMessageContaining("infinite");
            assertThatThrownBy(() -> Upload.run(db, zero, TARGET, Upload.Options.defaults()))
                    .hasMessageContaining("ad post 8 ").hasMessageContaining("all zeros");
            assertThatThrownBy(() -> Upload.run(db, nullValue, TARGET, Upload.Options.defaults()))
                    .hasMessageContaining("ad post 9 ").hasMessageContaining("NULL");
            assertThat(TestEmbeddings.stored(db, TABLE, "c").get(1L)).as("unchanged").containsExactly(0.6f, 0.8f);
        }
    }

    @Test
    void largeIdsAppearWithoutGroupingInMessages() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Path input = TestEmbeddings.write(dir.resolve("a"), List.of(row(1001000724666L, Float.NaN, 1f)));

            assertThatThrownBy(() -> Upload.run(db, input, TARGET, Upload.Options.defaults()))
                    .hasMessageContaining("ad post 1001000724666 ");
        }
    }

    @Test
    void everyPartIsRead() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            List<TestEmbeddings.Row> rows = TestEmbeddings.random(2500, 33, 7);
            Path input = TestEmbeddings.write(dir.resolve("a"), rows, 33, 1000);

            Upload.Result result = Upload.run(db, input, TARGET, new Upload.Options(VectorCopy.Format.BINARY, 2500, 0,
                    false));

            assertThat(Dataset.parts(input)).hasSize(3);
            assertThat(result.rows()).isEqualTo(2500);
            assertThat(result.sampled()).isEqualTo(2500);
            Map<Long, float[]> stored = TestEmbeddings.stored(db, TABLE, "c");
            assertThat(stored).hasSize(2500);
            for (TestEmbeddings.Row row : rows) {
                assertThat(stored.get(row.id())).as("ad post %d", row.id()).containsExactly(row.vector());
            }
        }
    }

    @Test
    void verificationDetectsAVectorThatDiffers() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Upload.run(db, TestEmbeddings.write(dir.resolve("a"), List.of(row(1, 0.6f, 0.8f))), TARGET,
                    Upload.Options.defaults());
            UploadVerification.Sample sample = new UploadVerification.Sample(10);
            sample.offer(1, new float[] {0.6f, Math.nextUp(0.8f)});

            try (var connection = db.connect()) {
                assertThatThrownBy(() -> UploadVerification.verify(connection, TARGET, VectorType.ARRAY,
                        TABLE.sql(), 1, sample, 0))
                        .isInstanceOf(UserException.class)
                        .hasMessageContaining("ad post 1 read back differs")
                        .hasMessageContaining("[1]");
            }
        }
    }

    @Test
    void verificationDetectsAMissingRow() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Upload.run(db, TestEmbeddings.write(dir.resolve("a"), List.of(row(1, 0.6f, 0.8f))), TARGET,
                    Upload.Options.defaults());

            try (var connection = db.connect()) {
                assertThatThrownBy(() -> UploadVerification.verify(connection, TARGET, VectorType.ARRAY,
                        TABLE.sql(), 2, new UploadVerification.Sample(1), 0))
                        .isInstanceOf(UserException.class)
                        .hasMessageContaining("2 vectors were read from the file");
            }
        }
    }

    @Test
    void columnNameComesFromApproachAndModel() {
        assertThat(Upload.columnNameForModel("pooling-mean", "intfloat/multilingual-e5-large-instruct"))
                .isEqualTo("pooling_mean__multilingual_e5_large_instruct");
        assertThat(Upload.columnNameForModel("summary", "e5-small-v2-q")).isEqualTo("summary__e5_small_v2_q");
        assertThat(Upload.columnName("1x", "m")).isEqualTo("v_1x__m");
        assertThat(Upload.columnName("pooling-recency", "x".repeat(80))).hasSize(63);
    }

    @Test
    void runColumnNamesFitPostgresLimit() {
        assertThat(TARGET.runColumn()).isEqualTo("c_run");
        assertThat(new UploadTarget(TABLE, "x".repeat(63), null).runColumn()).hasSize(63).endsWith("_run");
    }

    @Test
    void indexNamesFitPostgresLimit() {
        UploadTarget longNames = new UploadTarget(new Sql.Table("e", "t".repeat(40)), "c".repeat(40), null);

        assertThat(Upload.indexName(TARGET)).isEqualTo("summary_channel_emb_c_hnsw");
        assertThat(Upload.indexName(longNames)).hasSize(63).endsWith("_hnsw");
    }

    private static String runOf(Database db, long id) throws Exception {
        return String.valueOf(TestEmbeddings.queryValue(db, "SELECT c_run FROM embeddings.summary_channel_emb"
                + " WHERE id = " + id));
    }

    /** Writes an output whose vector of ad post 9 has a NULL value, which PartWriter cannot append. */
    private Path writeWithNullValue(Path out) throws Exception {
        Path source = TestEmbeddings.write(dir.resolve("null-source"), List.of(row(1, 1f, 0f), row(9, 1f, 0f)));
        java.nio.file.Files.createDirectories(out);
        try (var duck = Duck.open(); var statement = duck.createStatement()) {
            statement.execute("COPY (SELECT * REPLACE (CASE WHEN ad_post_id = 9 THEN [NULL, 1]::FLOAT[] ELSE vector END"
                    + " AS vector) FROM read_parquet(" + Dataset.glob(source) + ")) TO "
                    + Duck.literal(Dataset.partPath(out, 0)) + " (FORMAT parquet)");
        }
        Dataset.Manifest manifest = Dataset.require(source, "embed");
        Dataset.complete(out, "embed", List.of(new Dataset.Part("part-00000.parquet", 2, "-")), manifest.params(),
                Map.of(), Map.of());
        return out;
    }
}
