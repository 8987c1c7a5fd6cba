package chanemb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadTest {
    private static final Sql.Table TARGET = new Sql.Table("embeddings", "summary_channel_emb");

    @TempDir
    Path dir;

    @Test
    void vectorsAreUpsertedAndRerunChangesNothing() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Path input = writeEmbeddings("a", List.of(row(1, 0.6f, 0.8f), row(2, 1f, 0f), row(3, null)));

            Upload.Result first = Upload.run(db, input, TARGET, "c");
            Upload.Result second = Upload.run(db, input, TARGET, "c");

            assertThat(first.rows()).isEqualTo(2);
            assertThat(first.changed()).isEqualTo(2);
            assertThat(first.withoutVector()).isEqualTo(1);
            assertThat(second.changed()).isZero();
            assertThat(vector(db, 1)).containsExactly(0.6f, 0.8f);
        }
    }

    @Test
    void changedVectorIsRewritten() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Upload.run(db, writeEmbeddings("a", List.of(row(1, 0.6f, 0.8f), row(2, 1f, 0f))), TARGET, "c");

            Upload.Result result = Upload.run(db, writeEmbeddings("b", List.of(row(1, 0.8f, 0.6f), row(2, 1f, 0f))), TARGET, "c");

            assertThat(result.changed()).isEqualTo(1);
            assertThat(vector(db, 1)).containsExactly(0.8f, 0.6f);
        }
    }

    @Test
    void dimensionMismatchWritesNothing() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Upload.run(db, writeEmbeddings("a", List.of(row(1, 0.6f, 0.8f))), TARGET, "c");
            Path threeDims = writeEmbeddings("b", List.of(row(2, 0.6f, 0.8f, 0f)));

            assertThatThrownBy(() -> Upload.run(db, threeDims, TARGET, "c"))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("2 dimensions")
                    .hasMessageContaining("have 3");
            assertThat(Upload.countRows(db, TARGET, "c")).isEqualTo(1);
        }
    }

    @Test
    void nanVectorIsRejectedBeforeWriting() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Path input = writeEmbeddings("a", List.of(row(1, 0.6f, 0.8f), row(2, Float.NaN, 1f)));

            assertThatThrownBy(() -> Upload.run(db, input, TARGET, "c"))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("ad post 2");
            assertThat(db.tableExists(TARGET) ? Upload.countRows(db, TARGET, "c") : 0).isZero();
        }
    }

    private record TestRow(long id, float[] vector) {
    }

    private static TestRow row(long id, float... vector) {
        return new TestRow(id, vector);
    }

    /** Writes an embed output directly, without the unit-length check, so bad vectors can be tested. */
    private Path writeEmbeddings(String name, List<TestRow> rows) throws Exception {
        Path out = dir.resolve(name);
        int dimension = rows.stream().filter(r -> r.vector() != null).findFirst().orElseThrow().vector().length;
        try (PartWriter writer = new PartWriter(out, chanemb.embed.Embeddings.COLUMNS, 0, 1000)) {
            for (TestRow r : rows) {
                var a = writer.row();
                a.append(r.id());
                if (r.vector() == null) {
                    a.appendNull();
                } else {
                    a.append(r.vector());
                }
                a.append("pooling-mean").append("m").append("t").append(1).append(1).append(0);
                if (r.vector() == null) {
                    a.append("empty window");
                } else {
                    a.appendNull();
                }
                writer.endRow();
            }
            Dataset.complete(out, "embed", writer.finish(), Map.of("dimension", dimension, "approach", "pooling-mean",
                    "model", "m"), Map.of(), Map.of());
        }
        return out;
    }

    private static float[] vector(Database db, long id) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT c FROM embeddings.summary_channel_emb WHERE id = " + id)) {
            rs.next();
            Float[] values = (Float[]) rs.getArray(1).getArray();
            float[] vector = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                vector[i] = values[i];
            }
            return vector;
        }
    }
}
