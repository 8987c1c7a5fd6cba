package chanemb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Writes rows into Parquet part files of a {@link Dataset} folder, through a DuckDB staging
 * table and its appender. Memory stays bounded by {@code rowsPerPart}: each full part is
 * copied to a file and the staging table emptied.
 *
 * <pre>{@code
 * try (PartWriter out = new PartWriter(dir, "post_id BIGINT, text VARCHAR", 0, 100_000)) {
 *     out.row().append(42L);
 *     out.appender().append("текст");
 *     out.endRow();
 *     out.finish();
 * }
 * }</pre>
 */
public final class PartWriter implements AutoCloseable {
    private final Path dir;
    private final long rowsPerPart;
    private final DuckDBConnection connection;
    private final List<Dataset.Part> written = new ArrayList<>();
    private DuckDBAppender appender;
    private int nextPart;
    private long rowsInPart;

    /**
     * @param columns DuckDB column definitions, a constant of the calling step
     * @param firstPart index of the first part file to write (parts before it stay as they are)
     */
    public PartWriter(Path dir, String columns, int firstPart, long rowsPerPart) {
        this.dir = dir;
        this.rowsPerPart = rowsPerPart;
        this.nextPart = firstPart;
        try {
            Files.createDirectories(dir);
            Connection plain = Duck.open("2GB");
            connection = plain.unwrap(DuckDBConnection.class);
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE staging (" + columns + ")");
            }
            appender = connection.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "staging");
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create the DuckDB staging table: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a row and returns the appender for its values, in column order. */
    public DuckDBAppender row() {
        try {
            appender.beginRow();
            return appender;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public DuckDBAppender appender() {
        return appender;
    }

    /** Ends the row; writes a part file when the part is full. */
    public void endRow() {
        try {
            appender.endRow();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        if (++rowsInPart >= rowsPerPart) {
            flush();
        }
    }

    /** Writes the rows appended so far as one part file, if there are any. */
    public void flush() {
        if (rowsInPart == 0) {
            return;
        }
        Path part = Dataset.partPath(dir, nextPart);
        Path tmp = part.resolveSibling(part.getFileName() + ".tmp");
        try {
            appender.close();
            try (Statement statement = connection.createStatement()) {
                statement.execute("COPY staging TO " + Duck.literal(tmp)
                        + " (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)");
                statement.execute("DELETE FROM staging");
            }
            Files.move(tmp, part, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            written.add(new Dataset.Part(part.getFileName().toString(), rowsInPart, Dataset.sha256(part)));
            appender = connection.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "staging");
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot write " + part + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + part, e);
        }
        nextPart++;
        rowsInPart = 0;
    }

    /** Parts written by this writer, in order. */
    public List<Dataset.Part> parts() {
        return written;
    }

    public int nextPartIndex() {
        return nextPart;
    }

    /** Writes the last, possibly short, part and returns every part written. */
    public List<Dataset.Part> finish() {
        flush();
        return written;
    }

    /** Releases DuckDB; rows appended since the last part file are discarded. */
    @Override
    public void close() {
        try {
            appender.close();
        } catch (SQLException e) {
            // The staging rows are being discarded anyway.
        }
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
