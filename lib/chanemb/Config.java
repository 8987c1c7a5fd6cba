package chanemb;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;

/**
 * Settings of a run, merged from (lowest first) built-in defaults, a properties file,
 * {@code CHANEMB_*} environment variables and command-line options.
 *
 * <p>The environment variable of a key is {@code CHANEMB_} plus the key in upper case with dots
 * and dashes turned into underscores: {@code db.url} is {@code CHANEMB_DB_URL}. Relative paths
 * resolve against the project root, the folder that holds {@code scripts/}.
 */
public final class Config {
    public static final String FILE_NAME = "chanemb.properties";

    /** Every known key with its default; null means "not set". */
    static final Map<String, String> DEFAULTS = defaults();

    private final Path root;
    private final Map<String, String> values;

    private Config(Path root, Map<String, String> values) {
        this.root = root;
        this.values = values;
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("db.url", null);
        d.put("db.user", null);
        d.put("db.embedded.dir", "data/pg");
        d.put("data.dir", "data");
        d.put("prompts.dir", "prompts");
        d.put("models.dir", "data/models");
        d.put("source.posts.table", "parse.posts_metadata");
        d.put("source.posts.id", "id");
        d.put("source.posts.channel-id", "channel_id");
        d.put("source.posts.post-id", "post_id");
        d.put("source.posts.group-id", "group_id");
        d.put("source.posts.date", "post_date");
        d.put("source.posts.label", "category");
        d.put("source.content.table", "parse.posts_content");
        d.put("source.content.id", "id");
        d.put("source.content.text", "raw_text");
        d.put("source.channels.table", "parse.channels");
        d.put("source.channels.id", "id");
        d.put("source.channels.name", "name");
        d.put("source.channels.title", "title");
        d.put("source.channels.about", "about");
        d.put("source.channels.participants", "participants");
        d.put("source.channels.last-pinned", "last_pinned_msg_id");
        d.put("source.ads.table", "ml_house.final_basis_with_metrics_v2");
        d.put("source.ads.id", "id");
        d.put("source.ads.channel-id", "channel_id");
        d.put("source.ads.date", "post_date");
        d.put("source.timestamp-zone", "UTC");
        d.put("target.table", "embeddings.summary_channel_emb");
        d.put("llm.provider", "mistral");
        d.put("llm.base-url", null);
        d.put("llm.model", "mistral-large-latest");
        d.put("llm.api-key-env", null);
        d.put("llm.keys-file", null);
        d.put("llm.requests-per-second", "1");
        d.put("llm.tokens-per-minute", "500000");
        d.put("llm.tokens-per-month", "1000000000");
        d.put("llm.concurrency", "8");
        d.put("llm.tokenizer", null);
        d.put("llm.price.input", null);
        d.put("llm.price.output", null);
        d.put("llm.price.batch-factor", "0.5");
        d.put("target.column", null);
        d.put("target.column-type", "float4[]");
        return Collections.unmodifiableMap(d);
    }

    /**
     * Loads the settings. {@code file} may be null: then {@code chanemb.properties} in the
     * project root is read if it exists.
     */
    public static Config load(Path root, Path file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> merged = new LinkedHashMap<>(DEFAULTS);
        Path settingsFile = file != null ? file : root.resolve(FILE_NAME);
        if (file != null && !Files.isRegularFile(file)) {
            throw new UserException("config.file-missing", file);
        }
        if (Files.isRegularFile(settingsFile)) {
            readFile(settingsFile).forEach(merged::put);
        }
        for (String key : DEFAULTS.keySet()) {
            String value = env.get(envName(key));
            if (value != null && !value.isBlank()) {
                merged.put(key, value.trim());
            }
        }
        overrides.forEach((key, value) -> {
            if (value != null) {
                merged.put(key, value);
            }
        });
        return new Config(root.toAbsolutePath().normalize(), merged);
    }

    /** Settings with defaults only, plus the given overrides; for tests and JShell. */
    public static Config defaults(Path root, Map<String, String> overrides) {
        return load(root, null, Map.of(), overrides);
    }

    private static Map<String, String> readFile(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UserException(e, "config.file-unreadable", file, e.getMessage());
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            if (!DEFAULTS.containsKey(key)) {
                throw new UserException("config.unknown-key", key, file, String.join(", ", DEFAULTS.keySet()));
            }
            values.put(key, properties.getProperty(key).trim());
        }
        return values;
    }

    public static String envName(String key) {
        return "CHANEMB_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public Path root() {
        return root;
    }

    public Optional<String> find(String key) {
        requireKnown(key);
        String value = values.get(key);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value);
    }

    public String get(String key) {
        return find(key).orElseThrow(() -> new UserException("config.missing", key, envName(key)));
    }

    /** Resolves a path setting against the project root. */
    public Path path(String key) {
        return root.resolve(get(key)).normalize();
    }

    public Path dataDir() {
        return path("data.dir");
    }

    /** Returns a copy with one setting changed. */
    public Config with(String key, String value) {
        requireKnown(key);
        Map<String, String> copy = new LinkedHashMap<>(values);
        copy.put(key, value);
        return new Config(root, copy);
    }

    private static void requireKnown(String key) {
        if (!DEFAULTS.containsKey(key)) {
            throw new IllegalArgumentException("Unknown setting key: " + key);
        }
    }
}
