package chanemb;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The PostgreSQL database a run works on: an external server (a JDBC URL in {@code db.url}, or
 * the standard PG* environment variables) or, when neither is set, an embedded PostgreSQL 15
 * whose data lives in {@code db.embedded.dir} and which is loaded with the bundled sample on
 * first start.
 *
 * <p>Every session runs with {@code TimeZone = UTC}, so timestamps never depend on the JVM zone.
 */
public final class Database implements AutoCloseable {
    private static final Duration EMBEDDED_START_WAIT = Duration.ofSeconds(60);

    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final String description;
    private final EmbeddedPostgres embedded;

    private Database(DataSource dataSource, String description, EmbeddedPostgres embedded) {
        this.dataSource = dataSource;
        this.description = description;
        this.embedded = embedded;
        this.jdbi = Jdbi.create(this::connect);
    }

    /** Opens the configured database, starting the embedded one when none is configured. */
    public static Database open(Config config) {
        return open(config, System.getenv());
    }

    static Database open(Config config, Map<String, String> env) {
        Optional<String> url = externalUrl(config, env);
        if (url.isPresent()) {
            return openExternal(url.get(), config, env);
        }
        return openEmbedded(config);
    }

    /** The external JDBC URL from {@code db.url} or PG* variables, if one is configured. */
    static Optional<String> externalUrl(Config config, Map<String, String> env) {
        Optional<String> url = config.find("db.url");
        if (url.isPresent()) {
            if (!url.get().startsWith("jdbc:postgresql:")) {
                throw new UserException("db.invalid-url", url.get());
            }
            return url;
        }
        if (env.get("PGHOST") == null && env.get("PGDATABASE") == null && env.get("PGPORT") == null) {
            return Optional.empty();
        }
        String user = env.getOrDefault("PGUSER", System.getProperty("user.name"));
        String host = env.getOrDefault("PGHOST", "localhost");
        String port = env.getOrDefault("PGPORT", "5432");
        String database = env.getOrDefault("PGDATABASE", user);
        if (host.startsWith("/")) {
            throw new UserException("db.socket-host", host);
        }
        return Optional.of("jdbc:postgresql://" + host + ":" + port + "/" + database);
    }

    private static Database openExternal(String url, Config config, Map<String, String> env) {
        PGSimpleDataSource source = new PGSimpleDataSource();
        source.setURL(url);
        String user = config.find("db.user").orElse(env.get("PGUSER"));
        if (user != null && !url.contains("user=")) {
            source.setUser(user);
        }
        String password = env.get("PGPASSWORD");
        if (password != null && !url.contains("password=")) {
            source.setPassword(password);
        }
        if (env.get("PGSSLMODE") != null && !url.contains("sslmode=")) {
            source.setSslMode(env.get("PGSSLMODE"));
        }
        source.setApplicationName("chanemb");
        source.setConnectTimeout(15);
        Database database = new Database(source, redact(url), null);
        try (Connection connection = database.connect()) {
            Log.debug("Connected to {}", database.description);
        } catch (SQLException e) {
            throw new UserException(e, "db.connect-failed", redact(url), e.getMessage());
        }
        return database;
    }

    /** Embedded servers started by this process, shared by every Database opened on them. */
    private static final Map<Path, Shared> RUNNING = new java.util.HashMap<>();

    private static final class Shared {
        final EmbeddedPostgres postgres;
        int users;

        Shared(EmbeddedPostgres postgres) {
            this.postgres = postgres;
        }
    }

    private static Database openEmbedded(Config config) {
        Path dir = config.path("db.embedded.dir");
        synchronized (RUNNING) {
            Shared shared = RUNNING.get(dir);
            if (shared != null) {
                shared.users++;
                return embeddedDatabase(shared.postgres, dir);
            }
        }
        boolean fresh = !Files.isRegularFile(dir.resolve("PG_VERSION"));
        Log.info(fresh ? "db.embedded-first-start" : "db.embedded-start", dir);
        stopOrphan(dir);
        EmbeddedPostgres postgres;
        try {
            Files.createDirectories(dir);
            postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(EMBEDDED_START_WAIT)
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("max_wal_size", "2GB")
                    .setServerConfig("timezone", "UTC")
                    .start();
        } catch (IOException | RuntimeException e) {
            throw new UserException(e, "db.embedded-failed", dir, e.getMessage());
        }
        synchronized (RUNNING) {
            Shared shared = new Shared(postgres);
            shared.users = 1;
            RUNNING.put(dir, shared);
        }
        Database database = embeddedDatabase(postgres, dir);
        if (fresh || !database.hasSourceTables(SourceSchema.from(config))) {
            Importer.importSample(database, config);
        }
        return database;
    }

    private static Database embeddedDatabase(EmbeddedPostgres postgres, Path dir) {
        PGSimpleDataSource source = new PGSimpleDataSource();
        source.setURL(postgres.getJdbcUrl("postgres", "postgres"));
        source.setApplicationName("chanemb");
        return new Database(source, Messages.get("db.embedded-description", dir, Integer.toString(postgres.getPort())), postgres);
    }

    /**
     * Stops a PostgreSQL left running on this data folder by a process that was killed; a
     * server whose owner is still alive is left alone and reported.
     */
    private static void stopOrphan(Path dir) {
        Path pidFile = dir.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        long pid;
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            pid = Long.parseLong(lines.get(0).trim());
        } catch (IOException | RuntimeException e) {
            return; // PostgreSQL itself handles a malformed or stale lock file.
        }
        Optional<ProcessHandle> server = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (server.isEmpty()) {
            return;
        }
        boolean ownerAlive = server.get().parent()
                .filter(ProcessHandle::isAlive)
                .flatMap(parent -> parent.info().command())
                .map(command -> command.contains("java"))
                .orElse(false);
        if (ownerAlive) {
            throw new UserException("db.embedded-in-use", dir, pid);
        }
        Log.warn("db.embedded-orphan", pid, dir);
        server.get().destroy();
        try {
            server.get().onExit().get(EMBEDDED_START_WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new UserException(e, "db.embedded-in-use", dir, pid);
        }
    }

    /** True when the configured posts and ad-post tables exist. */
    public boolean hasSourceTables(SourceSchema schema) {
        return tableExists(schema.posts()) && tableExists(schema.content()) && tableExists(schema.ads());
    }

    public boolean tableExists(Sql.Table table) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = :s AND table_name = :t")
                .bind("s", table.schema()).bind("t", table.name()).mapTo(Integer.class).one() > 0);
    }

    /** Opens a new connection with the session time zone set to UTC. */
    public Connection connect() throws SQLException {
        Connection connection = dataSource.getConnection();
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET TIME ZONE 'UTC'");
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        return connection;
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    /** JDBC URL of the embedded server while it runs; empty for an external one. */
    public Optional<String> embeddedUrl() {
        return embedded == null ? Optional.empty() : Optional.of(embedded.getJdbcUrl("postgres", "postgres"));
    }

    /** Where the data is, without any password. */
    public String describe() {
        return description;
    }

    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    /** Stops the embedded server when the last Database of this process that uses it closes. */
    @Override
    public void close() {
        if (embedded == null) {
            return;
        }
        synchronized (RUNNING) {
            var entry = RUNNING.entrySet().stream().filter(e -> e.getValue().postgres == embedded).findFirst();
            if (entry.isPresent() && --entry.get().getValue().users > 0) {
                return;
            }
            entry.ifPresent(e -> RUNNING.remove(e.getKey()));
        }
        try {
            embedded.close();
        } catch (IOException e) {
            Log.warn("db.embedded-stop-failed", e.getMessage());
        }
    }
}
