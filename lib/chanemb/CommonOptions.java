package chanemb;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every script takes; mixed into each command with picocli's {@code @Mixin}. */
public class CommonOptions {
    @Option(names = "--config", paramLabel = "FILE", descriptionKey = "common.config")
    Path configFile;

    @Option(names = "--db-url", paramLabel = "JDBC_URL", descriptionKey = "common.db-url")
    String dbUrl;

    @Option(names = "--data-dir", paramLabel = "DIR", descriptionKey = "common.data-dir")
    Path dataDir;

    @Option(names = "--lang", paramLabel = "en|ru", descriptionKey = "common.lang")
    String lang;

    @Option(names = {"-v", "--verbose"}, descriptionKey = "common.verbose")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, descriptionKey = "common.quiet")
    boolean quiet;

    /** These options as command-line arguments, to pass on to another step. */
    public java.util.List<String> toArgs() {
        java.util.List<String> args = new java.util.ArrayList<>();
        if (configFile != null) {
            args.addAll(java.util.List.of("--config", configFile.toString()));
        }
        if (dbUrl != null) {
            args.addAll(java.util.List.of("--db-url", dbUrl));
        }
        if (dataDir != null) {
            args.addAll(java.util.List.of("--data-dir", dataDir.toString()));
        }
        if (lang != null) {
            args.addAll(java.util.List.of("--lang", lang));
        }
        if (verbose) {
            args.add("--verbose");
        }
        if (quiet) {
            args.add("--quiet");
        }
        return args;
    }

    /** Settings for this run: defaults, settings file, environment, then these options. */
    public Config config() {
        Map<String, String> overrides = new LinkedHashMap<>();
        if (dbUrl != null) {
            overrides.put("db.url", dbUrl);
        }
        if (dataDir != null) {
            overrides.put("data.dir", dataDir.toAbsolutePath().toString());
        }
        return Config.load(Cli.projectRoot(), configFile, System.getenv(), overrides);
    }
}
