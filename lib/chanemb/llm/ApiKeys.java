package chanemb.llm;

import chanemb.Config;
import chanemb.Json;
import chanemb.UserException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The API keys of a run and the limits of their organizations. Keys come only from environment
 * variables; settings and files name the variables, never hold the keys.
 *
 * <p>Without {@code llm.keys-file} there is one key, read from {@code llm.api-key-env} (default
 * MISTRAL_API_KEY, or OPENAI_API_KEY for provider openai), with the limits of the {@code llm.*}
 * settings. A keys file lists several:
 *
 * <pre>{@code
 * {"keys": [
 *   {"label": "a1", "env": "MISTRAL_KEY_A1", "organization": "a", "requests_per_second": 1,
 *    "tokens_per_minute": 500000, "tokens_per_month": 1000000000, "concurrency": 8},
 *   {"label": "a2", "env": "MISTRAL_KEY_A2", "organization": "a"},
 *   {"label": "b",  "env": "MISTRAL_KEY_B"}
 * ]}
 * }</pre>
 *
 * Keys of one organization share one budget (the provider counts usage per organization), so
 * they share one {@link RateLimiter}: a second key of the same organization adds concurrency,
 * not throughput. A key without "organization" is its own organization. Limits not given fall
 * back to the {@code llm.*} settings; 0 means no limit.
 */
public final class ApiKeys {
    private final List<Key> keys;
    private final Map<String, RateLimiter.Limits> organizations;

    private ApiKeys(List<Key> keys, Map<String, RateLimiter.Limits> organizations) {
        this.keys = keys;
        this.organizations = organizations;
    }

    /** The provider: its default base URL and key variable, and whether a key is required. */
    public enum Provider {
        MISTRAL("https://api.mistral.ai/v1", "MISTRAL_API_KEY", true),
        OPENAI(null, "OPENAI_API_KEY", false);

        public final String defaultBaseUrl;
        public final String defaultKeyEnv;
        public final boolean keyRequired;

        Provider(String defaultBaseUrl, String defaultKeyEnv, boolean keyRequired) {
            this.defaultBaseUrl = defaultBaseUrl;
            this.defaultKeyEnv = defaultKeyEnv;
            this.keyRequired = keyRequired;
        }

        public static Provider parse(String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new UserException("summarize.invalid-provider", value);
            }
        }
    }

    /**
     * One API key. Its {@link #toString()} is the label: the key itself is only handed to the
     * HTTP client's Authorization header.
     */
    public static final class Key {
        private final String label;
        private final String envName;
        private final String organization;
        private final int concurrency;
        private final String secret;

        Key(String label, String envName, String organization, int concurrency, String secret) {
            this.label = label;
            this.envName = envName;
            this.organization = organization;
            this.concurrency = concurrency;
            this.secret = secret;
        }

        public String label() {
            return label;
        }

        public String envName() {
            return envName;
        }

        public String organization() {
            return organization;
        }

        public int concurrency() {
            return concurrency;
        }

        String secret() {
            return secret;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    public List<Key> keys() {
        return keys;
    }

    /** Limits of each organization, by name. */
    public Map<String, RateLimiter.Limits> organizations() {
        return organizations;
    }

    /** Builds keys for tests and benchmarks: one organization per key, keys given directly. */
    public static ApiKeys of(List<String> secrets, RateLimiter.Limits limits, int concurrency) {
        List<Key> keys = new ArrayList<>();
        Map<String, RateLimiter.Limits> organizations = new LinkedHashMap<>();
        for (int i = 0; i < secrets.size(); i++) {
            String label = "key-" + (i + 1);
            keys.add(new Key(label, null, label, concurrency, secrets.get(i)));
            organizations.put(label, limits);
        }
        return new ApiKeys(keys, organizations);
    }

    /** Reads the keys from the settings and the environment. */
    public static ApiKeys load(Config config, Map<String, String> env) {
        return load(config, env, true);
    }

    /**
     * Reads the keys; with {@code requireSecrets} false a key whose variable is unset is kept
     * without a secret, so limits can be read for an estimate before the keys exist.
     */
    public static ApiKeys load(Config config, Map<String, String> env, boolean requireSecrets) {
        Provider provider = Provider.parse(config.get("llm.provider"));
        RateLimiter.Limits defaults = new RateLimiter.Limits(
                number(config, "llm.requests-per-second"),
                (long) number(config, "llm.tokens-per-minute"),
                (long) number(config, "llm.tokens-per-month"));
        int concurrency = (int) number(config, "llm.concurrency");
        if (concurrency < 1) {
            throw new UserException("summarize.invalid-number", "llm.concurrency", concurrency);
        }
        if (config.find("llm.keys-file").isEmpty()) {
            String envName = config.find("llm.api-key-env").orElse(provider.defaultKeyEnv);
            String secret = env.get(envName);
            if ((secret == null || secret.isBlank()) && provider.keyRequired && requireSecrets) {
                throw new UserException("summarize.key-missing", envName);
            }
            String label = secret == null || secret.isBlank() ? "no-key" : envName.toLowerCase(Locale.ROOT);
            Key key = new Key(label, envName, label, concurrency, secret == null || secret.isBlank() ? null : secret.trim());
            return new ApiKeys(List.of(key), Map.of(label, defaults));
        }
        return fromFile(config.path("llm.keys-file"), env, defaults, concurrency, requireSecrets);
    }

    static ApiKeys fromFile(Path file, Map<String, String> env, RateLimiter.Limits defaults, int defaultConcurrency,
                            boolean requireSecrets) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UserException(e, "summarize.keys-file-invalid", file, e.getMessage());
        }
        JsonNode list = root == null ? null : root.path("keys");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new UserException("summarize.keys-file-invalid", file, "expected {\"keys\": [ ... ]} with at least one key");
        }
        List<Key> keys = new ArrayList<>();
        Map<String, RateLimiter.Limits> organizations = new LinkedHashMap<>();
        for (JsonNode entry : list) {
            String label = entry.path("label").asText("");
            String envName = entry.path("env").asText("");
            if (!label.matches("[A-Za-z0-9_.-]{1,64}") || envName.isBlank()) {
                throw new UserException("summarize.keys-file-invalid", file,
                        "every key needs a \"label\" (letters, digits, _ . -) and an \"env\" variable name");
            }
            if (keys.stream().anyMatch(k -> k.label().equals(label))) {
                throw new UserException("summarize.keys-file-invalid", file, "label " + label + " appears twice");
            }
            String secret = env.get(envName);
            if ((secret == null || secret.isBlank()) && requireSecrets) {
                throw new UserException("summarize.key-missing-labelled", label, envName);
            }
            String organization = entry.path("organization").asText(label);
            RateLimiter.Limits limits = new RateLimiter.Limits(
                    entry.path("requests_per_second").asDouble(defaults.requestsPerSecond()),
                    entry.path("tokens_per_minute").asLong(defaults.tokensPerMinute()),
                    entry.path("tokens_per_month").asLong(defaults.tokensPerMonth()));
            RateLimiter.Limits known = organizations.get(organization);
            if (known == null) {
                organizations.put(organization, limits);
            } else if (!known.equals(limits) && hasLimits(entry)) {
                throw new UserException("summarize.keys-organization-limits", file, organization, label);
            }
            int concurrency = entry.path("concurrency").asInt(defaultConcurrency);
            keys.add(new Key(label, envName, organization, Math.max(1, concurrency),
                    secret == null || secret.isBlank() ? null : secret.trim()));
        }
        return new ApiKeys(List.copyOf(keys), organizations);
    }

    private static boolean hasLimits(JsonNode entry) {
        return entry.has("requests_per_second") || entry.has("tokens_per_minute") || entry.has("tokens_per_month");
    }

    private static double number(Config config, String key) {
        String value = config.get(key);
        try {
            double number = Double.parseDouble(value);
            if (number < 0 || Double.isNaN(number) || Double.isInfinite(number)) {
                throw new NumberFormatException(value);
            }
            return number;
        } catch (NumberFormatException e) {
            throw new UserException("summarize.invalid-number", key, value);
        }
    }
}
