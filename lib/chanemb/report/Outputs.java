package chanemb.report;

import chanemb.Dataset;
import chanemb.Duck;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import tech.tablesaw.api.Table;

/**
 * Step outputs as Tablesaw tables, for JShell and reports.
 *
 * <pre>{@code
 * Table windows = Outputs.table(Path.of("data/windows"));
 * windows.intColumn("prev_count").summary();
 * Table perChannel = Outputs.sql("SELECT channel_id, count(*) AS ad_posts FROM 'data/windows/part-*.parquet' GROUP BY 1");
 * }</pre>
 *
 * List columns (previous post ids, vectors) arrive as text, since Tablesaw has no list type;
 * use {@link #sql} with DuckDB's list functions to work on them. Instants (ad post dates) arrive
 * as UTC date-times.
 */
public final class Outputs {
    private Outputs() {
    }

    /** Reads a whole step output folder (or one Parquet file) as a table. */
    public static Table table(Path output) {
        String source = output.toString().endsWith(".parquet") ? Duck.literal(output) : Dataset.glob(output);
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement()) {
            List<String> columns = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery("DESCRIBE SELECT * FROM read_parquet(" + source + ")")) {
                while (rs.next()) {
                    String name = '"' + rs.getString(1).replace("\"", "\"\"") + '"';
                    String type = rs.getString(2);
                    if (type.endsWith("[]") || type.startsWith("STRUCT") || type.startsWith("MAP")) {
                        columns.add("CAST(" + name + " AS VARCHAR) AS " + name);
                    } else if (type.equals("TIMESTAMP WITH TIME ZONE")) {
                        // Tablesaw has no zoned type: instants become UTC date-times.
                        columns.add("CAST(timezone('UTC', " + name + ") AS TIMESTAMP) AS " + name);
                    } else {
                        columns.add(name);
                    }
                }
            }
            return query(statement, "SELECT " + String.join(", ", columns) + " FROM read_parquet(" + source + ")",
                    output.getFileName().toString());
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read " + output + ": " + e.getMessage(), e);
        }
    }

    /** Runs DuckDB SQL (which can read 'data/texts/part-*.parquet' directly) and returns the result. */
    public static Table sql(String sql) {
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement()) {
            return query(statement, sql, "sql");
        } catch (SQLException e) {
            throw new IllegalStateException("Query failed: " + e.getMessage(), e);
        }
    }

    private static Table query(Statement statement, String sql, String name) throws SQLException {
        try (ResultSet rs = statement.executeQuery(sql)) {
            return Table.read().db(rs, name);
        }
    }
}
