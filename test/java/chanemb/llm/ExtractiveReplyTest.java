package chanemb.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mock server's extractive replies, alone and as summaries that the summarize step accepts. */
class ExtractiveReplyTest {
    private static final String LONG_POST = "Очень длинное первое предложение " + "о скидках ".repeat(200) + "конец.";

    @TempDir
    Path dir;

    MockLlmServer server;
    LlmFixture fixture;

    @BeforeEach
    void start() throws Exception {
        chanemb.Cli.prepareProcess(false, true);
        server = MockLlmServer.start();
        server.settings().replyText = MockLlmServer.ReplyText.EXTRACTIVE;
        server.settings().replyTokens = 200;
        fixture = new LlmFixture(dir)
                .post(1, "Скидки на смартфоны до 30%! Успейте до пятницы.")
                .post(2, "Обзор ноутбука\nПодробности по ссылке https://example.org/review")
                .post(3, "Цена 3.5 тыс. руб. за <b>наушники</b> & чехол. Второе предложение.")
                .window(100, 7, 1, 2, 3);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void firstSentenceEndsAtPunctuationOrLineBreak() {
        assertThat(ExtractiveReply.firstSentence("Скидки до 30%! Успейте.")).isEqualTo("Скидки до 30%!");
        assertThat(ExtractiveReply.firstSentence("Заголовок без точки\nТекст поста.")).isEqualTo("Заголовок без точки");
        assertThat(ExtractiveReply.firstSentence("Курс 3.5 рубля… Дальше.")).isEqualTo("Курс 3.5 рубля…");
        assertThat(ExtractiveReply.firstSentence("\n\u200B\n  Текст после пустых строк")).isEqualTo("Текст после пустых строк");
    }

    @Test
    void longSentenceLeavesRoomForOthers() {
        List<String> sentences = new ArrayList<>(List.of("Первый пост.", LONG_POST, "Третий пост."));

        String reply = ExtractiveReply.join(sentences, 60);

        assertThat(TokenEstimate.INSTANCE.count(reply)).isLessThanOrEqualTo(60);
        assertThat(reply.split("\n")).hasSize(3);
        assertThat(reply).startsWith("Первый пост.\nОчень длинное первое предложение").endsWith("\nТретий пост.");
    }

    @Test
    void tinyBudgetKeepsNewestPost() {
        String reply = ExtractiveReply.join(List.of("Старый пост.", "Новый пост."), 1);

        assertThat(reply).isEqualTo("Но");
    }

    @Test
    void plainSummaryQuotesEveryPost() {
        fixture.write();

        SummarizeStep.Result result = fixture.run(server, LlmFixture.keys(1));

        SummaryRecord record = fixture.byAdPost().get(100L).get(0);
        assertThat(result.pending()).isZero();
        assertThat(record.status()).isEqualTo("ok");
        assertThat(record.summary()).isEqualTo("Скидки на смартфоны до 30%!\nОбзор ноутбука\n"
                + "Цена 3.5 тыс.");
    }

    @Test
    void escapedTextComesBackAsPosted() {
        fixture.post(4, "Цена <b>наушников</b> & чехла снижена. Ещё текст.").window(101, 7, 4).write();

        fixture.run(server, LlmFixture.keys(1));

        assertThat(fixture.byAdPost().get(101L).get(0).summary()).isEqualTo("Цена <b>наушников</b> & чехла снижена.");
    }

    @Test
    void structuredSummaryFillsFourFields() {
        fixture.mode = Replies.Mode.STRUCTURED;
        fixture.write();

        SummarizeStep.Result result = fixture.run(server, LlmFixture.keys(1));

        SummaryRecord record = fixture.byAdPost().get(100L).get(0);
        Map<String, String> fields = record.fields();
        assertThat(result.pending()).isZero();
        assertThat(record.status()).isEqualTo("ok");
        assertThat(fields).containsOnlyKeys(Replies.FIELDS);
        assertThat(fields.get("topic")).startsWith("Скидки на смартфоны до 30%!\nОбзор ноутбука");
        assertThat(fields.get("tone")).isEqualTo("Цена 3.5 тыс.");
        assertThat(fields.get("audience")).isEqualTo("Описание канала 7");
        assertThat(fields.get("style")).isEqualTo("Постов: 3, средняя длина 59 символов, со ссылками: 1.");
        assertThat(record.summary()).startsWith("Тематика: Скидки на смартфоны до 30%!");
    }

    @Test
    void defaultRepliesStayFingerprints() throws Exception {
        fixture.write();

        try (MockLlmServer fingerprints = MockLlmServer.start()) {
            fixture.run(fingerprints, LlmFixture.keys(1));
        }

        assertThat(fixture.byAdPost().get(100L).get(0).summary()).contains("постов в окне 3").doesNotContain("Скидки");
    }
}
