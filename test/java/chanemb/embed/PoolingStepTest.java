package chanemb.embed;

import static org.assertj.core.api.Assertions.assertThat;

import chanemb.LoadTexts;
import chanemb.PartWriter;
import chanemb.Dataset;
import chanemb.WindowsFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pooling approach on texts files, with the real bundled model. */
class PoolingStepTest {
    @TempDir
    Path dir;

    @Test
    void windowsWithoutTextGetNoVectorAndAReason() throws Exception {
        Path texts = writeTexts(new Object[][] {
            {1L, "Пост про скидки на телефоны", LoadTexts.OK},
            {2L, "Пост про погоду", LoadTexts.OK},
            {3L, "", LoadTexts.EMPTY},
            {4L, null, LoadTexts.MISSING},
        });
        List<WindowsFile.Entry> windows = List.of(
                new WindowsFile.Entry(100, 1, new long[] {1, 2, 3}),
                new WindowsFile.Entry(101, 1, new long[] {3, 4}),
                new WindowsFile.Entry(102, 1, new long[0]));
        Path cache = dir.resolve("cache");
        ModelSpec spec = TestModels.bundled();

        Path windowsDir = writeWindows(windows);
        PostVectors.Stats stats;
        try (Encoder encoder = Encoder.load(spec)) {
            stats = PostVectors.update(encoder, texts, windowsDir, cache, 8192, 16, 100, "test");
        }
        PoolingApproach.Result result = PoolingApproach.pool(windows, texts, windowsDir, cache, 384,
                WindowPooling.Weights.MEAN, 1);

        assertThat(stats.embedded()).as("only posts with text reach the model").isEqualTo(2);
        assertThat(result.rows().get(0).vector()).isNotNull();
        assertThat(result.rows().get(0).inputs()).isEqualTo(2);
        assertThat(Pooling.isUnit(result.rows().get(0).vector(), 1e-5)).isTrue();
        assertThat(result.rows().get(1).vector()).isNull();
        assertThat(result.rows().get(1).reason()).isEqualTo(Embeddings.NO_TEXT);
        assertThat(result.rows().get(2).reason()).isEqualTo(Embeddings.EMPTY_WINDOW);
    }

    @Test
    void secondRunTakesEveryPostFromTheCache() throws Exception {
        Path texts = writeTexts(new Object[][] {{1L, "первый", LoadTexts.OK}, {2L, "второй", LoadTexts.OK}});
        Path cache = dir.resolve("cache");
        Path windows = writeWindows(List.of(new WindowsFile.Entry(9, 1, new long[] {1, 2})));

        try (Encoder encoder = Encoder.load(TestModels.bundled())) {
            PostVectors.update(encoder, texts, windows, cache, 8192, 16, 100, "test");
            PostVectors.Stats again = PostVectors.update(encoder, texts, windows, cache, 8192, 16, 100, "test");

            assertThat(again.embedded()).isZero();
            assertThat(again.reused()).isEqualTo(2);
        }
    }

    @Test
    void editedPostIsEmbeddedAgain() throws Exception {
        Path cache = dir.resolve("cache");
        Path windows = writeWindows(List.of(new WindowsFile.Entry(9, 1, new long[] {1})));
        try (Encoder encoder = Encoder.load(TestModels.bundled())) {
            PostVectors.update(encoder, writeTexts(new Object[][] {{1L, "старый текст", LoadTexts.OK}}), windows, cache,
                    8192, 16, 100, "t");

            PostVectors.Stats edited = PostVectors.update(encoder,
                    writeTexts(new Object[][] {{1L, "новый текст", LoadTexts.OK}}), windows, cache, 8192, 16, 100, "t");

            assertThat(edited.embedded()).isEqualTo(1);
        }
    }

    private int datasets;

    private Path writeWindows(List<WindowsFile.Entry> windows) {
        Path out = dir.resolve("windows-" + datasets++);
        chanemb.PrevPosts.write(out, windows.stream().map(w -> new chanemb.Windows.Window(w.adPostId(), w.channelId(), 0,
                w.prevPostIds())).toList(), Map.of(), Map.of());
        return out;
    }

    @Test
    void idRangesKeepVectorsWithTheirPosts() throws Exception {
        // 40 posts with different texts, read in id ranges of 7 ids, embedded in chunks of 6 with
        // two chunks queued at once: every cached vector must be its own post's.
        int count = 40;
        long[] ids = new long[count];
        List<String> bodies = new java.util.ArrayList<>();
        Object[][] rows = new Object[count][];
        for (int i = 0; i < count; i++) {
            ids[i] = 1000 + 3L * i;
            bodies.add("Пост номер " + i + ": " + "новости ".repeat(i % 9 + 1) + (i % 2 == 0 ? "спорт" : "погода"));
            rows[i] = new Object[] {ids[i], bodies.get(i), LoadTexts.OK};
        }
        Path texts = writeTexts(rows);
        Path windows = writeWindows(List.of(new WindowsFile.Entry(9, 1, ids)));
        Path cache = dir.resolve("cache");

        try (Encoder model = Encoder.load(TestModels.bundled()); TextEncoder encoder = new TwoCallsAtOnce(model)) {
            String inputs = PostVectors.postInputs(texts, windows);
            PostVectors.Stats stats = PostVectors.updateFrom(encoder, inputs, cache, 8192, 6, 100, "t", 7);
            PostVectors.Stats again = PostVectors.updateFrom(encoder, inputs, cache, 8192, 6, 100, "t", 7);

            assertThat(stats.embedded()).isEqualTo(count);
            assertThat(again.embedded()).isZero();
            Map<Long, float[]> cached = new java.util.HashMap<>();
            PostVectors.forEach(texts, windows, cache, entry -> cached.put(entry.postId(), entry.vector()));
            assertThat(cached).hasSize(count);
            float[][] direct = model.embedTexts(bodies, 8192).vectors();
            // Vectors of the int8 model differ slightly with the batch they were computed in, so each
            // cached vector must be nearest to its own post's direct vector, and close to it.
            for (int i = 0; i < count; i++) {
                float[] vector = cached.get(ids[i]);
                int nearest = 0;
                for (int j = 1; j < count; j++) {
                    if (dot(vector, direct[j]) > dot(vector, direct[nearest])) {
                        nearest = j;
                    }
                }
                assertThat(nearest).as("nearest direct vector to post %d", ids[i]).isEqualTo(i);
                assertThat(dot(vector, direct[i])).as("post %d", ids[i]).isGreaterThan(0.98);
            }
        }
    }

    @Test
    void poolingIgnoresCacheRowOrder() throws Exception {
        // The same cached vectors in reverse row order must pool to the same bits: upload
        // compares vectors exactly, so any difference would rewrite an unchanged ad post.
        Object[][] rows = new Object[10][];
        long[] ids = new long[10];
        for (int i = 0; i < 10; i++) {
            ids[i] = i + 1;
            rows[i] = new Object[] {ids[i], "Новость " + i + ": " + "рынок ".repeat(i + 1), LoadTexts.OK};
        }
        Path texts = writeTexts(rows);
        List<WindowsFile.Entry> windows = List.of(new WindowsFile.Entry(9, 1, ids),
                new WindowsFile.Entry(10, 1, java.util.Arrays.copyOf(ids, 7)));
        Path windowsDir = writeWindows(windows);
        Path cache = dir.resolve("cache");
        Path reversed = dir.resolve("cache-reversed");
        try (Encoder encoder = Encoder.load(TestModels.bundled())) {
            PostVectors.update(encoder, texts, windowsDir, cache, 8192, 16, 100, "t");
        }
        java.nio.file.Files.createDirectories(reversed);
        try (java.sql.Connection duck = chanemb.Duck.open(); java.sql.Statement statement = duck.createStatement()) {
            statement.execute("COPY (SELECT * FROM read_parquet(" + Dataset.glob(cache) + ") ORDER BY post_id DESC) TO "
                    + chanemb.Duck.literal(reversed.resolve("part-00000.parquet")) + " (FORMAT parquet)");
        }

        for (WindowPooling.Weights weights : WindowPooling.Weights.values()) {
            PoolingApproach.Result forward = PoolingApproach.pool(windows, texts, windowsDir, cache, 384, weights, 0.7);
            PoolingApproach.Result backward = PoolingApproach.pool(windows, texts, windowsDir, reversed, 384, weights, 0.7);
            for (int w = 0; w < windows.size(); w++) {
                assertThat(backward.rows().get(w).vector()).as("%s, window %d", weights, w)
                        .isEqualTo(forward.rows().get(w).vector());
            }
        }
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int d = 0; d < a.length; d++) {
            sum += (double) a[d] * b[d];
        }
        return sum;
    }

    /** The real model behind an encoder that lets two calls be queued at once. The calls still run one by one. */
    private record TwoCallsAtOnce(Encoder model) implements TextEncoder {
        @Override
        public ModelSpec spec() {
            return model.spec();
        }

        @Override
        public int dimension() {
            return model.dimension();
        }

        @Override
        public int[] countTokens(List<String> formattedTexts) {
            return model.countTokens(formattedTexts);
        }

        @Override
        public Encoder.Embedded embedTexts(List<String> texts, int maxBatchTokens, java.util.function.IntConsumer onBatch) {
            synchronized (model) {
                return model.embedTexts(texts, maxBatchTokens, onBatch);
            }
        }

        @Override
        public int concurrentCalls() {
            return 2;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void postsOutsideTheWindowsAreNotEmbedded() throws Exception {
        Path texts = writeTexts(new Object[][] {{1L, "в окне", LoadTexts.OK}, {2L, "из старого окна", LoadTexts.OK}});
        Path windows = writeWindows(List.of(new WindowsFile.Entry(9, 1, new long[] {1})));

        try (Encoder encoder = Encoder.load(TestModels.bundled())) {
            PostVectors.Stats stats = PostVectors.update(encoder, texts, windows, dir.resolve("cache"), 8192, 16, 100, "t");

            assertThat(stats.embedded()).isEqualTo(1);
        }
    }

    private Path writeTexts(Object[][] rows) throws Exception {
        Path out = dir.resolve("texts-" + datasets++);
        try (PartWriter writer = new PartWriter(out, LoadTexts.COLUMNS, 0, 1000)) {
            for (Object[] row : rows) {
                var a = writer.row();
                a.append((Long) row[0]);
                if (row[1] == null) {
                    a.appendNull();
                } else {
                    a.append((String) row[1]);
                }
                a.append((String) row[2]);
                a.append(row[1] == null ? 0 : ((String) row[1]).length());
                a.appendNull();
                writer.endRow();
            }
            Dataset.complete(out, "load_texts", writer.finish(), Map.of(), Map.of(), Map.of());
        }
        return out;
    }
}
