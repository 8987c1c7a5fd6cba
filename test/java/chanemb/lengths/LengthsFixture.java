package chanemb.lengths;

import chanemb.ChannelProfiles;
import chanemb.Dataset;
import chanemb.LoadTexts;
import chanemb.PartWriter;
import chanemb.PrevPosts;
import chanemb.Windows;
import chanemb.embed.TestModels;
import chanemb.llm.RateLimiter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Windows and texts written as the real step outputs, and the counting setup of a run. */
final class LengthsFixture {
    static final String SYSTEM_PROMPT = "Опиши канал по его постам.";

    /** A post of 1,996 words of one token each: with "query: " and [CLS], [SEP] its pooling input has 2,000 tokens. */
    static final String LONG_POST = "hello ".repeat(1996).strip();

    final Path dir;
    final Path windows;
    final Path texts;
    final Path output;
    final Map<Long, String> textById = new LinkedHashMap<>();
    final List<Windows.Window> windowList = new ArrayList<>();
    final Map<Long, ChannelProfiles.Profile> profiles = new LinkedHashMap<>();

    LengthsFixture(Path dir) {
        this.dir = dir;
        this.windows = dir.resolve("windows");
        this.texts = dir.resolve("texts");
        this.output = dir.resolve("lengths");
    }

    /** The usual data: Cyrillic, emoji, markup characters, a long post, an empty and two identical windows. */
    static LengthsFixture standard(Path dir) {
        LengthsFixture fixture = new LengthsFixture(dir)
                .post(1, "Привет, мир! Скидки 50% 💵 до 31.12")
                .post(2, "  Курс <b>Python</b> & SQL  ")
                .post(3, "ёлка и йогурт\n\nвторой абзац")
                .post(4, LONG_POST)
                .post(5, "🔥🔥 Акция")
                .post(6, null)
                .post(7, "Новый пост про рекламу и маркетинг")
                .post(8, "post in English, with words")
                .window(100, 10, 1, 2, 3)
                .window(101, 10, 1, 2, 3)
                .window(102, 10, 2, 3, 4, 5)
                .window(103, 20)
                .window(104, 20, 6)
                .window(105, 20, 7, 8)
                .window(106, 30, 5, 7, 8, 1);
        fixture.profiles.put(10L, new ChannelProfiles.Profile(10, "Скидки дня", "Лучшие предложения & акции"));
        fixture.profiles.put(20L, new ChannelProfiles.Profile(20, "Маркетинг", null));
        return fixture.write();
    }

    LengthsFixture post(long id, String text) {
        textById.put(id, text);
        return this;
    }

    LengthsFixture window(long adPostId, long channelId, long... prevPostIds) {
        windowList.add(new Windows.Window(adPostId, channelId, 1_700_000_000_000_000L + adPostId, prevPostIds));
        return this;
    }

    /** Writes both datasets; posts with a null text are written as missing. */
    LengthsFixture write() {
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

    LengthAnalysis.Options options(int checkWindows) {
        return new LengthAnalysis.Options(windows, texts, null, output, checkWindows, "./jbang analyze_lengths");
    }

    /** Counting with the bundled model, and with {@code llmTokenizer} for the LLM (null: the estimate). */
    static Counting counting(Path llmTokenizer) {
        BatchCounter llm = llmTokenizer == null ? BatchCounter.estimate() : BatchCounter.llm(llmTokenizer);
        return new Counting(new Counting.Llm(llm, SYSTEM_PROMPT, llm.count(List.of(SYSTEM_PROMPT))[0], 16_000, 2048, 600,
                new RateLimiter.Limits(1, 500_000, 1_000_000_000)), List.of(Counting.model(TestModels.bundled())),
                List.of(512, 8192));
    }
}
