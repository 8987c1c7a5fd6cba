package chanemb.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The summarize step against the mock server: outputs, deduplication and resume. */
class SummarizeStepTest {
    @TempDir
    Path dir;

    MockLlmServer server;
    LlmFixture fixture;

    @BeforeEach
    void start() throws Exception {
        chanemb.Cli.prepareProcess(false, true);
        server = MockLlmServer.start();
        fixture = new LlmFixture(dir)
                .post(1, "Скидки на смартфоны до 30%").post(2, "Обзор нового ноутбука").post(3, "Розыгрыш наушников")
                .post(4, "Курс валют на сегодня").post(5, null)
                .window(100, 7, 1, 2).window(101, 7, 1, 2).window(102, 7, 1, 2, 3).window(103, 8, 4)
                .window(104, 8).window(105, 8, 5);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void everyAdPostGetsOneRecord() {
        fixture.write();

        SummarizeStep.Result result = fixture.run(server, LlmFixture.keys(1));

        Map<Long, List<SummaryRecord>> byAd = fixture.byAdPost();
        assertThat(byAd.keySet()).containsExactlyInAnyOrder(100L, 101L, 102L, 103L, 104L, 105L);
        assertThat(byAd.values()).allSatisfy(records -> assertThat(records).hasSize(1));
        assertThat(byAd.get(102L).get(0).status()).isEqualTo("ok");
        assertThat(byAd.get(102L).get(0).summary()).contains("постов в окне 3");
        assertThat(byAd.get(103L).get(0).summary()).contains("постов в окне 1");
        assertThat(byAd.get(104L).get(0).reason()).isEqualTo("empty_window");
        assertThat(byAd.get(105L).get(0).reason()).isEqualTo("no_text");
        assertThat(result.pending()).isZero();
    }

    @Test
    void identicalWindowsShareOneCall() {
        fixture.write();

        SummarizeStep.Result result = fixture.run(server, LlmFixture.keys(1));

        Map<Long, List<SummaryRecord>> byAd = fixture.byAdPost();
        assertThat(server.seen()).hasSize(3);
        assertThat(result.calls()).isEqualTo(3);
        assertThat(result.shared()).isEqualTo(1);
        assertThat(byAd.get(101L).get(0).summary()).isEqualTo(byAd.get(100L).get(0).summary());
        assertThat(byAd.get(101L).get(0).reusedFrom()).isEqualTo(100L);
        assertThat(byAd.get(101L).get(0).tokensIn()).isZero();
        assertThat(byAd.get(100L).get(0).tokensIn()).isPositive();
    }

    @Test
    void recordsCarryConfigurationAndUsage() {
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        SummaryRecord record = fixture.byAdPost().get(102L).get(0);
        assertThat(record.model()).isEqualTo("mistral-large-latest");
        assertThat(record.promptHash()).hasSize(16);
        assertThat(record.paramsHash()).hasSize(16);
        assertThat(record.key()).isEqualTo("key-1");
        assertThat(record.latencyMs()).isNotNull();
        assertThat(record.tokensOut()).isPositive();
        assertThat(record.postIds()).containsExactly(1L, 2L, 3L);
        assertThat(record.postsUsed()).isEqualTo(3);
        assertThat(fixture.outputText()).doesNotContain("secret-key-1");
    }
}
