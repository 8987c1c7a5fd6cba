package chanemb;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL for tests, and a fresh database in it per call.
 *
 * <p>With CHANEMB_TEST_DB_URL set (CI sets it to a PostgreSQL 15 with pgvector, see
 * .ci/postgres), tests use that server; otherwise one embedded PostgreSQL 15 is started for
 * the whole test JVM. Each {@link #fresh()} creates a new empty database, so tests never see
 * each other's rows.
 */
public final class TestDatabase {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static String adminUrl;
    private static EmbeddedPostgres embedded;
    private static final java.util.List<String> CREATED = new java.util.ArrayList<>();

    private TestDatabase() {
    }

    /** JDBC URL of the server's maintenance database. */
    public static synchronized String adminUrl() {
        if (adminUrl != null) {
            return adminUrl;
        }
        String external = System.getenv("CHANEMB_TEST_DB_URL");
        if (external != null && !external.isBlank()) {
            adminUrl = external;
        } else {
            try {
                embedded = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot start the embedded PostgreSQL for tests", e);
            }
            adminUrl = embedded.getJdbcUrl("postgres", "postgres");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    embedded.close();
                } catch (IOException e) {
                    // The JVM is exiting.
                }
            }));
        }
        return adminUrl;
    }

    /** True when the test server has the pgvector extension available. */
    public static boolean hasPgvector() {
        try (Connection c = DriverManager.getConnection(adminUrl()); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")) {
            rs.next();
            return rs.getInt(1) > 0;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Skips the calling test when the server has no pgvector, unless CHANEMB_REQUIRE_PGVECTOR=true
     * (CI sets it), where a missing extension fails the test instead.
     */
    public static void assumePgvector() {
        if (hasPgvector()) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CHANEMB_REQUIRE_PGVECTOR"))) {
            throw new AssertionError("CHANEMB_REQUIRE_PGVECTOR=true, but the test server " + adminUrl()
                    + " has no pgvector extension: install it (see .ci/postgres)");
        }
        org.junit.jupiter.api.Assumptions.abort("the test server has no pgvector extension");
    }

    /** Creates an empty database and returns its JDBC URL. */
    public static String freshUrl() {
        String name = "chanemb_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection c = DriverManager.getConnection(adminUrl()); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name);
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create test database: " + e.getMessage(), e);
        }
        synchronized (CREATED) {
            if (CREATED.isEmpty() && embedded == null) {
                Runtime.getRuntime().addShutdownHook(new Thread(TestDatabase::dropCreated));
            }
            CREATED.add(name);
        }
        return replaceDatabase(adminUrl(), name);
    }

    /** Drops the databases this JVM created on an external server, so they do not pile up. */
    private static void dropCreated() {
        try (Connection c = DriverManager.getConnection(adminUrl()); Statement s = c.createStatement()) {
            for (String name : CREATED) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        } catch (SQLException e) {
            // The server may already be gone when the JVM exits; nothing else to clean up then.
        }
    }

    /** Opens a fresh database through the same code path users take (db.url). */
    public static Database fresh() {
        return open(freshUrl());
    }

    public static Database open(String url) {
        return Database.open(config(url, Path.of("target/test-data")), Map.of());
    }

    public static Config config(String url, Path dataDir) {
        return Config.defaults(Path.of("").toAbsolutePath(), Map.of("db.url", url, "data.dir", dataDir.toString()));
    }

    static String replaceDatabase(String url, String database) {
        int slash = url.indexOf('/', "jdbc:postgresql://".length());
        int query = url.indexOf('?', slash);
        return url.substring(0, slash + 1) + database + (query < 0 ? "" : url.substring(query));
    }
}
