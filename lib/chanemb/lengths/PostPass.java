package chanemb.lengths;

import chanemb.Dataset;
import chanemb.Duck;
import chanemb.PartWriter;
import chanemb.Progress;
import chanemb.embed.PostVectors;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.duckdb.DuckDBAppender;

/**
 * Writes the per-post output: for every previous post with text that the windows contain,
 * its characters and words, its LLM tokens as the summarization prompt holds it, and its tokens
 * under each embedding model as the pooling approach embeds it (template and special tokens
 * included). Parts are written as posts are counted, so a killed run continues after them.
 */
final class PostPass {
    /** Posts read, counted and written together. */
    static final int CHUNK = 4096;
    static final int ROWS_PER_PART = 500_000;

    private PostPass() {
    }

    /** Counts of a finished pass. */
    record Result(long posts, long counted, double seconds) {
    }

    static String columns(Counting counting) {
        StringBuilder columns = new StringBuilder("post_id BIGINT, chars INTEGER, words INTEGER, llm_tokens INTEGER");
        for (Counting.Model model : counting.models()) {
            columns.append(", ").append(model.column("tokens")).append(" INTEGER");
        }
        return columns.toString();
    }

    static Result run(Path out, Path textsDir, Path windowsDir, Counting counting, Map<String, Object> params) {
        long start = System.nanoTime();
        PartialOutput.State state = PartialOutput.prepare(out, params);
        if (state == PartialOutput.State.COMPLETE) {
            return new Result(Dataset.require(out, LengthAnalysis.STEP).rows(), 0, seconds(start));
        }
        String inputs = PostVectors.postInputs(textsDir, windowsDir);
        String todo = "SELECT i.id, i.text FROM (" + inputs + ") i"
                + (Dataset.parts(out).isEmpty() ? "" : " WHERE i.id NOT IN (SELECT post_id FROM read_parquet("
                + Dataset.glob(out) + "))");
        long counted = 0;
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement()) {
            long remaining = count(statement, todo);
            chanemb.Log.info("analyze_lengths.posts-start", remaining, count(statement, inputs) - remaining);
            try (Progress progress = Progress.start(LengthAnalysis.STEP, "posts", remaining);
                 PartWriter writer = new PartWriter(out, columns(counting), Dataset.nextPartIndex(out), ROWS_PER_PART);
                 ResultSet rs = statement.executeQuery(todo)) {
                List<Long> ids = new ArrayList<>(CHUNK);
                List<String> texts = new ArrayList<>(CHUNK);
                boolean more = rs.next();
                while (more) {
                    ids.add(rs.getLong(1));
                    texts.add(rs.getString(2));
                    more = rs.next();
                    if (ids.size() == CHUNK || !more) {
                        write(writer, ids, texts, counting);
                        counted += ids.size();
                        progress.advance(ids.size());
                        ids.clear();
                        texts.clear();
                    }
                }
                writer.finish();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Counting the posts of " + textsDir + " failed: " + e.getMessage(), e);
        }
        List<Dataset.Part> parts = Dataset.describeParts(out);
        long posts = parts.stream().mapToLong(Dataset.Part::rows).sum();
        Dataset.complete(out, LengthAnalysis.STEP, parts, params, Map.of(), Map.of("posts", posts));
        return new Result(posts, counted, seconds(start));
    }

    private static void write(PartWriter writer, List<Long> ids, List<String> texts, Counting counting)
            throws SQLException {
        List<String> promptTexts = new ArrayList<>(texts.size());
        for (String text : texts) {
            promptTexts.add(Counting.promptText(text));
        }
        int[] llm = counting.llm().counter().count(promptTexts);
        int[][] tokens = new int[counting.models().size()][];
        for (int m = 0; m < tokens.length; m++) {
            tokens[m] = counting.models().get(m).countFormatted(texts);
        }
        for (int i = 0; i < ids.size(); i++) {
            String text = texts.get(i);
            DuckDBAppender row = writer.row();
            row.append(ids.get(i));
            row.append(TextStats.chars(text));
            row.append(TextStats.words(text));
            row.append(llm[i]);
            for (int[] modelTokens : tokens) {
                row.append(modelTokens[i]);
            }
            writer.endRow();
        }
    }

    private static long count(Statement statement, String sql) throws SQLException {
        try (ResultSet rs = statement.executeQuery("SELECT count(*) FROM (" + sql + ")")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
