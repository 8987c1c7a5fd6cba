package chanemb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * In-process DuckDB connections, used to read and write Parquet files and to query step
 * outputs with SQL. Nothing is stored in a DuckDB database file.
 */
public final class Duck {
    private Duck() {
    }

    /**
     * Opens an in-memory DuckDB with bounded memory. {@code memoryLimit} is a DuckDB size such
     * as "1GB"; larger intermediate results spill to a temporary folder.
     */
    public static Connection open(String memoryLimit) {
        try {
            Class.forName("org.duckdb.DuckDBDriver");
            Properties properties = new Properties();
            properties.setProperty("jdbc_stream_results", "true");
            Connection connection = DriverManager.getConnection("jdbc:duckdb:", properties);
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET memory_limit = " + literal(memoryLimit));
                statement.execute("SET threads = " + Runtime.getRuntime().availableProcessors());
                statement.execute("SET preserve_insertion_order = true");
                Path spill = Path.of(System.getProperty("java.io.tmpdir"), "chanemb-duckdb-" + ProcessHandle.current().pid());
                statement.execute("SET temp_directory = " + literal(spill));
            }
            return connection;
        } catch (ClassNotFoundException | SQLException e) {
            throw new IllegalStateException("Cannot open DuckDB: " + e.getMessage(), e);
        }
    }

    public static Connection open() {
        return open("1GB");
    }

    /** Quotes a string as a DuckDB literal. */
    public static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    /** Quotes a path as a DuckDB literal. */
    public static String literal(Path path) {
        return literal(path.toAbsolutePath().toString());
    }
}
