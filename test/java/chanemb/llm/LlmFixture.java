package chanemb.llm;

import chanemb.Dataset;
import chanemb.Json;
import chanemb.LoadTexts;
import chanemb.PartWriter;
import chanemb.PrevPosts;
import chanemb.Windows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Windows and texts written as the real step outputs, and summarize options for tests. */
final class LlmFixture {
    final Path dir;
    final Path windows;
    final Path texts;
    final Path output;
    final Map<Long, String> textById = new LinkedHashMap<>();
    final List<Windows.Window> windowList = new ArrayList<>();

    // Options a test may change before calling options().
    Replies.Mode mode = Replies.Mode.PLAIN;
    int maxInputTokens = 16_000;
    int maxPostTokens = 2048;
    int maxOutputTokens = 600;
    int maxAttempts = 6;
    Duration maxElapsed = Duration.ofSeconds(30);
    Duration replyTimeout = Duration.ofSeconds(5);
    boolean retryFailed;
    boolean estimateOnly;
    int limit;
    SummarizeStep.BatchOptions batch;

    LlmFixture(Path dir) {
        this.dir = dir;
        this.windows = dir.resolve("windows");
        this.texts = dir.resolve("texts");
        this.output = dir.resolve("summaries").resolve("summaries.jsonl");
    }

    LlmFixture post(long id, String text) {
        textById.put(id, text);
        return this;
    }

    LlmFixture window(long adPostId, long channelId, long... prevPostIds) {
        windowList.add(new Windows.Window(adPostId, channelId, 1_700_000_000_000_000L + adPostId, prevPostIds));
        return this;
    }

    /** Writes both datasets; posts with a null text are written as missing. */
    LlmFixture write() {
        PrevPosts.write(windows, windowList, Map.of(), Map.of());
        try (PartWriter writer = new PartWriter(texts, LoadTexts.COLUMNS, 0, 100_000)) {
            for (Map.Entry<Long, String> entry : textById.entrySet()) {
                var row = writer.row();
                row.append(entry.getKey());
                if (entry.getValue() == null) {
                    row.appendNull();
                    row.append(LoadTexts.MISSING);
                    row.append(0);
                } else {
                    row.append(entry.getValue());
                    row.append(LoadTexts.OK);
                    row.append(entry.getValue().length());
                }
                row.appendNull();
                writer.endRow();
            }
            Dataset.complete(texts, LoadTexts.STEP, writer.finish(), Map.of(), Map.of(), Map.of());
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return this;
    }

    SummarizeStep.Options options(String baseUrl) {
        return new SummarizeStep.Options(windows, texts, output,
                Path.of("prompts").resolve(mode == Replies.Mode.STRUCTURED ? "summarize_structured.txt" : "summarize.txt"),
                mode, "mistral-large-latest", baseUrl, 0.2, maxOutputTokens,
                new WindowPacker.Budget(maxInputTokens, maxPostTokens),
                new RetryPolicy.Settings(maxAttempts, maxElapsed, Duration.ofMillis(20), Duration.ofMillis(200), 2, 1),
                new ChatClient.Timeouts(Duration.ofSeconds(2), replyTimeout), retryFailed, estimateOnly, limit,
                new SummarizeStep.Prices(2.0, 6.0, 0.5), batch);
    }

    SummarizeStep.Result run(MockLlmServer server, ApiKeys keys) {
        return SummarizeStep.run(options(server.baseUrl()), keys, TokenEstimate.INSTANCE,
                channelId -> new WindowPrompt.Channel("Канал " + channelId, "Описание канала " + channelId));
    }

    static ApiKeys keys(int count) {
        List<String> secrets = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            secrets.add("secret-key-" + i);
        }
        return ApiKeys.of(secrets, RateLimiter.Limits.NONE, 4);
    }

    /** Every record of the output file, in order. */
    List<SummaryRecord> records() {
        List<SummaryRecord> records = new ArrayList<>();
        SummaryLog.read(output, records::add);
        return records;
    }

    /** The records by ad post id, in order. */
    Map<Long, List<SummaryRecord>> byAdPost() {
        Map<Long, List<SummaryRecord>> byId = new HashMap<>();
        for (SummaryRecord record : records()) {
            byId.computeIfAbsent(record.adPostId(), k -> new ArrayList<>()).add(record);
        }
        return byId;
    }

    String outputText() {
        try {
            return Files.readString(output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String json(Object value) {
        try {
            return Json.LINE.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
