package chanemb.embed;

import chanemb.Dataset;
import chanemb.PartWriter;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * The output of the embed step: one row per ad post with its channel vector, or with the reason
 * it has none. Every vector is checked finite and unit-length before it is written.
 */
public final class Embeddings {
    public static final String STEP = "embed";
    public static final String COLUMNS = "ad_post_id BIGINT, vector FLOAT[], approach VARCHAR, model VARCHAR,"
            + " template_hash VARCHAR, inputs INTEGER, tokens INTEGER, truncated INTEGER, reason VARCHAR";

    /** Reasons an ad post has no vector. */
    public static final String EMPTY_WINDOW = "empty window";
    public static final String NO_TEXT = "no text in window";

    private Embeddings() {
    }

    /**
     * One ad post's result.
     *
     * @param inputs    texts that went into the vector (posts pooled, or 1)
     * @param tokens    full token count of those inputs, before any cut
     * @param truncated how many of those inputs were cut to the model's limit
     */
    public record Row(long adPostId, float[] vector, int inputs, int tokens, int truncated, String reason) {
    }

    /** Output folder of one approach and model, e.g. data/embeddings/pooling-mean__e5-small-v2-q. */
    public static Path dir(Path dataDir, String approach, ModelSpec spec) {
        return dataDir.resolve("embeddings").resolve(approach + "__" + spec.shortName());
    }

    /** Writes the rows as a complete dataset, replacing the folder's content. */
    public static Dataset.Manifest write(Path dir, String approach, ModelSpec spec, int dimension, List<Row> rows,
                                         Map<String, Object> params, Map<String, String> inputs,
                                         Map<String, Object> counts) {
        Dataset.clear(dir);
        try (PartWriter out = new PartWriter(dir, COLUMNS, 0, 200_000)) {
            for (Row row : rows) {
                if (row.vector() != null && (row.vector().length != dimension || !Pooling.isUnit(row.vector(), 1e-4))) {
                    throw new IllegalStateException("Vector of ad post " + row.adPostId()
                            + " is not a finite unit vector of " + dimension + " dimensions");
                }
                var appender = out.row();
                appender.append(row.adPostId());
                if (row.vector() == null) {
                    appender.appendNull();
                } else {
                    appender.append(row.vector());
                }
                appender.append(approach);
                appender.append(spec.id());
                appender.append(spec.templateHash());
                appender.append(row.inputs());
                appender.append(row.tokens());
                appender.append(row.truncated());
                if (row.reason() == null) {
                    appender.appendNull();
                } else {
                    appender.append(row.reason());
                }
                out.endRow();
            }
            Map<String, Object> allParams = new java.util.LinkedHashMap<>(spec.describe());
            allParams.put("approach", approach);
            allParams.put("dimension", dimension);
            allParams.putAll(params);
            return Dataset.complete(dir, STEP, out.finish(), allParams, inputs, counts);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot write " + dir + ": " + e.getMessage(), e);
        }
    }
}
