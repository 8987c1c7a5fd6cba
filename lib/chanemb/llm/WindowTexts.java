package chanemb.llm;

import chanemb.Dataset;
import chanemb.Duck;
import chanemb.LoadTexts;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Reads the texts of a chunk of windows from the load_texts output, so memory keeps the texts
 * of one chunk at a time and never all of them. Only rows with status "ok" have text.
 */
final class WindowTexts implements AutoCloseable {
    private final Path textsDir;
    private final DuckDBConnection duck;
    private final boolean empty;

    WindowTexts(Path textsDir) {
        this.textsDir = textsDir;
        this.empty = Dataset.parts(textsDir).isEmpty();
        try {
            Connection plain = Duck.open();
            duck = plain.unwrap(DuckDBConnection.class);
            try (Statement statement = duck.createStatement()) {
                statement.execute("CREATE TEMP TABLE wanted (post_id BIGINT)");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot open DuckDB: " + e.getMessage(), e);
        }
    }

    /** Returns the text of every given post id that has one. */
    Map<Long, String> load(long[] postIds) {
        Map<Long, String> texts = new HashMap<>(postIds.length * 2);
        if (empty || postIds.length == 0) {
            return texts;
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        try (Statement statement = duck.createStatement()) {
            statement.execute("DELETE FROM wanted");
            try (DuckDBAppender appender = duck.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "wanted")) {
                for (long id : postIds) {
                    appender.beginRow();
                    appender.append(id);
                    appender.endRow();
                    min = Math.min(min, id);
                    max = Math.max(max, id);
                }
            }
            // The range lets DuckDB skip row groups by their statistics: load_texts writes ids in order.
            String sql = "SELECT t.post_id, t.text FROM read_parquet(" + Dataset.glob(textsDir) + ") t"
                    + " JOIN wanted w ON w.post_id = t.post_id"
                    + " WHERE t.status = '" + LoadTexts.OK + "' AND t.post_id BETWEEN " + min + " AND " + max;
            try (ResultSet rs = statement.executeQuery(sql)) {
                while (rs.next()) {
                    texts.put(rs.getLong(1), rs.getString(2));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Reading texts from " + textsDir + " failed: " + e.getMessage(), e);
        }
        return texts;
    }

    @Override
    public void close() {
        try {
            duck.close();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
