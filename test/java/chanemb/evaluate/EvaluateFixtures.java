package chanemb.evaluate;

import chanemb.Dataset;
import chanemb.Duck;
import chanemb.PartWriter;
import chanemb.PrevPosts;
import chanemb.embed.Embeddings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Step outputs and vectors built directly, so evaluate tests need no model. */
final class EvaluateFixtures {
    private EvaluateFixtures() {
    }

    /** Writes a windows output with the ad posts' channels and dates and empty windows. */
    static Path windows(Path dir, List<AdPosts.AdPost> ads) throws Exception {
        Files.createDirectories(dir);
        Path part = Dataset.partPath(dir, 0);
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement()) {
            statement.execute("CREATE TABLE w (" + PrevPosts.COLUMNS + ")");
            try (PreparedStatement insert = duck.prepareStatement(
                    "INSERT INTO w VALUES (?, ?, to_timestamp(? / 1000.0), []::BIGINT[], 0)")) {
                for (AdPosts.AdPost ad : ads) {
                    insert.setLong(1, ad.id());
                    insert.setLong(2, ad.channelId());
                    insert.setLong(3, ad.epochMillis());
                    insert.executeUpdate();
                }
            }
            statement.execute("COPY w TO " + Duck.literal(part) + " (FORMAT parquet)");
        }
        Dataset.complete(dir, "find_prev_posts", List.of(new Dataset.Part(part.getFileName().toString(), ads.size(),
                Dataset.sha256(part))), Map.of(), Map.of(), Map.of());
        return dir;
    }

    /** Writes vectors (null: no vector) as an embed output of the given approach. */
    static Path embedOutput(Path dir, String approach, List<AdPosts.AdPost> ads, float[][] vectors,
                            Map<String, Object> counts) throws Exception {
        try (PartWriter out = new PartWriter(dir, Embeddings.COLUMNS, 0, 100_000)) {
            for (int i = 0; i < ads.size(); i++) {
                var row = out.row();
                row.append(ads.get(i).id());
                if (vectors[i] == null) {
                    row.appendNull();
                } else {
                    row.append(vectors[i]);
                }
                row.append(approach);
                row.append("test-model");
                row.append("none");
                row.append(1);
                row.append(10);
                row.append(0);
                if (vectors[i] == null) {
                    row.append(Embeddings.EMPTY_WINDOW);
                } else {
                    row.appendNull();
                }
                out.endRow();
            }
            Dataset.complete(dir, Embeddings.STEP, out.finish(), Map.of("approach", approach, "dimension",
                    vectors[0].length), Map.of(), counts);
        }
        return dir;
    }

    /** A random unit vector. */
    static float[] randomUnit(Random random, int dimension) {
        float[] vector = new float[dimension];
        for (int d = 0; d < dimension; d++) {
            vector[d] = (float) random.nextGaussian();
        }
        Vectors.normalize(vector);
        return vector;
    }

    /** The unit vector of a weighted sum of vectors. */
    static float[] mix(double[] weights, float[]... parts) {
        float[] sum = new float[parts[0].length];
        for (int p = 0; p < parts.length; p++) {
            for (int d = 0; d < sum.length; d++) {
                sum[d] += (float) (weights[p] * parts[p][d]);
            }
        }
        Vectors.normalize(sum);
        return sum;
    }

    /** The same vectors assigned to the ad posts in a seeded random order. */
    static float[][] shuffled(float[][] vectors, long seed) {
        float[][] copy = vectors.clone();
        java.util.Collections.shuffle(java.util.Arrays.asList(copy), new Random(seed));
        return copy;
    }
}
