package chanemb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A connection dropped in the middle of an upload leaves the old rows; a rerun then completes. */
class UploadConnectionDropTest {
    private static final Sql.Table TABLE = new Sql.Table("embeddings", "summary_channel_emb");

    @TempDir
    Path dir;

    @Test
    void droppedConnectionLeavesOldArraysAndRerunCompletes() throws Exception {
        dropThenRerun(new UploadTarget(TABLE, "c", VectorType.ARRAY));
    }

    @Test
    void droppedConnectionLeavesOldVectorsAndRerunCompletes() throws Exception {
        TestDatabase.assumePgvector();
        dropThenRerun(new UploadTarget(TABLE, "c", VectorType.VECTOR));
    }

    private void dropThenRerun(UploadTarget target) throws Exception {
        String url = TestDatabase.freshUrl();
        List<TestEmbeddings.Row> before = TestEmbeddings.random(3000, 64, 1);
        List<TestEmbeddings.Row> after = TestEmbeddings.random(3000, 64, 2);
        Path oldOutput = TestEmbeddings.write(dir.resolve("old"), before, 64, 1000);
        Path newOutput = TestEmbeddings.write(dir.resolve("new"), after, 64, 1000);

        try (Database db = TestDatabase.open(url)) {
            Upload.run(db, oldOutput, target, Upload.Options.defaults());

            // About a quarter of the new vectors get through before the connection drops.
            try (DroppingProxy proxy = new DroppingProxy(url, 200_000);
                 Database throughProxy = TestDatabase.open(proxy.url(url))) {
                assertThatThrownBy(() -> Upload.run(throughProxy, newOutput, target, Upload.Options.defaults()))
                        .isInstanceOf(UserException.class)
                        .hasMessageContaining("failed and was rolled back");
                assertThat(proxy.dropped()).isTrue();
            }

            assertStored(db, before);
            assertThat(TestEmbeddings.queryValue(db, "SELECT count(*) FROM embeddings.upload_runs")).isEqualTo(1L);

            Upload.Result rerun = Upload.run(db, newOutput, target, Upload.Options.defaults());

            assertThat(rerun.written()).isEqualTo(3000);
            assertStored(db, after);
            assertThat(TestEmbeddings.queryValue(db, "SELECT count(*) FROM embeddings.upload_runs")).isEqualTo(2L);
        }
    }

    private static void assertStored(Database db, List<TestEmbeddings.Row> expected) throws Exception {
        Map<Long, float[]> stored = TestEmbeddings.stored(db, TABLE, "c");
        assertThat(stored).hasSize(expected.size());
        for (TestEmbeddings.Row row : expected) {
            assertThat(stored.get(row.id())).as("ad post %d", row.id()).containsExactly(row.vector());
        }
    }
}
