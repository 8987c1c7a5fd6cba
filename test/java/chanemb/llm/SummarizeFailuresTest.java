package chanemb.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retries and failures of the summarize step, one ad post against the mock's injected faults. */
class SummarizeFailuresTest {
    @TempDir
    Path dir;

    MockLlmServer server;
    LlmFixture fixture;

    @BeforeEach
    void start() throws Exception {
        chanemb.Cli.prepareProcess(false, true);
        server = MockLlmServer.start();
        fixture = new LlmFixture(dir).post(1, "Скидки на смартфоны").post(2, "Обзор ноутбука").window(100, 7, 1, 2);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private SummaryRecord onlyRecord() {
        List<SummaryRecord> records = fixture.records();
        assertThat(records).hasSize(1);
        return records.get(0);
    }

    @Test
    void retryAfterIsHonouredBeforeEachRetry() {
        server.settings().retryAfterSeconds = 2;
        server.script(MockLlmServer.Fault.RATE_LIMIT, MockLlmServer.Fault.RATE_LIMIT);
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        List<MockLlmServer.Seen> seen = server.seen();
        assertThat(seen).extracting(MockLlmServer.Seen::status).containsExactly(429, 429, 200);
        assertThat(Duration.ofNanos(seen.get(1).arrivalNanos() - seen.get(0).arrivalNanos())).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(Duration.ofNanos(seen.get(2).arrivalNanos() - seen.get(1).arrivalNanos())).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(onlyRecord().status()).isEqualTo("ok");
        assertThat(onlyRecord().attempts()).isEqualTo(3);
    }

    @Test
    void rateLimitWithoutRetryAfterBacksOff() {
        server.script(MockLlmServer.Fault.RATE_LIMIT_NO_HEADER);
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        assertThat(server.seen()).extracting(MockLlmServer.Seen::status).containsExactly(429, 200);
        assertThat(onlyRecord().status()).isEqualTo("ok");
    }

    @Test
    void capacityExceededIsTransient() {
        server.script(MockLlmServer.Fault.CAPACITY);
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        assertThat(server.seen()).extracting(MockLlmServer.Seen::status).containsExactly(503, 200);
        assertThat(onlyRecord().status()).isEqualTo("ok");
    }

    @Test
    void exhaustedRetriesLeaveAdPostForNextRun() {
        fixture.maxAttempts = 2;
        server.script(MockLlmServer.Fault.CAPACITY, MockLlmServer.Fault.CAPACITY);
        fixture.write();

        SummarizeStep.Result first = fixture.run(server, LlmFixture.keys(1));
        SummarizeStep.Result second = fixture.run(server, LlmFixture.keys(1));

        List<SummaryRecord> records = fixture.records();
        assertThat(first.pending()).isEqualTo(1);
        assertThat(records.get(0).status()).isEqualTo("failed");
        assertThat(records.get(0).reason()).isEqualTo("server_error");
        assertThat(records.get(0).retryable()).isTrue();
        assertThat(records.get(0).summary()).isNull();
        assertThat(second.pending()).isZero();
        assertThat(records).hasSize(2);
        assertThat(records.get(1).status()).isEqualTo("ok");
    }

    @Test
    void timeoutsResetsAndCutBodiesAreRetried() {
        fixture.replyTimeout = Duration.ofMillis(700);
        server.settings().hang = Duration.ofSeconds(2);
        server.script(MockLlmServer.Fault.TIMEOUT, MockLlmServer.Fault.RESET, MockLlmServer.Fault.TRUNCATED,
                MockLlmServer.Fault.SERVER_ERROR);
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        assertThat(server.seen()).extracting(MockLlmServer.Seen::fault).containsExactly(MockLlmServer.Fault.TIMEOUT,
                MockLlmServer.Fault.RESET, MockLlmServer.Fault.TRUNCATED, MockLlmServer.Fault.SERVER_ERROR, null);
        assertThat(onlyRecord().status()).isEqualTo("ok");
        assertThat(onlyRecord().attempts()).isEqualTo(5);
    }

    @Test
    void badRequestIsNotResent() {
        server.script(MockLlmServer.Fault.BAD_REQUEST);
        fixture.write();

        SummarizeStep.Result result = fixture.run(server, LlmFixture.keys(1));

        assertThat(server.seen()).hasSize(1);
        assertThat(onlyRecord().status()).isEqualTo("failed");
        assertThat(onlyRecord().reason()).isEqualTo("bad_request");
        assertThat(onlyRecord().retryable()).isFalse();
        assertThat(result.pending()).isZero();
    }

    @Test
    void cutOffReplyIsRetriedWithLargerBudget() {
        server.script(MockLlmServer.Fault.LENGTH);
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        List<MockLlmServer.Seen> seen = server.seen();
        assertThat(seen).hasSize(2);
        assertThat(seen.get(1).maxTokens()).isEqualTo(2 * seen.get(0).maxTokens());
        assertThat(onlyRecord().status()).isEqualTo("ok");
    }

    @Test
    void replyLongerThanEveryBudgetIsNeverStored() {
        fixture.maxOutputTokens = 20;
        server.settings().replyTokens = 400;
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        assertThat(server.seen()).hasSize(2);
        assertThat(onlyRecord().status()).isEqualTo("failed");
        assertThat(onlyRecord().reason()).isEqualTo("length");
        assertThat(onlyRecord().summary()).isNull();
    }

    @Test
    void nullContentIsRetriedThenRecordedAsFailed() {
        server.script(MockLlmServer.Fault.EMPTY, MockLlmServer.Fault.EMPTY, MockLlmServer.Fault.EMPTY);
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        assertThat(server.seen()).hasSize(3);
        assertThat(onlyRecord().status()).isEqualTo("failed");
        assertThat(onlyRecord().reason()).isEqualTo("empty_reply");
        assertThat(onlyRecord().retryable()).isFalse();
        assertThat(onlyRecord().summary()).isNull();
    }

    @Test
    void invalidJsonIsNeverStoredInStructuredMode() {
        fixture.mode = Replies.Mode.STRUCTURED;
        server.script(MockLlmServer.Fault.INVALID_JSON, MockLlmServer.Fault.INVALID_JSON, MockLlmServer.Fault.INVALID_JSON);
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        assertThat(server.seen()).hasSize(3);
        assertThat(onlyRecord().reason()).isEqualTo("invalid_json");
        assertThat(onlyRecord().summary()).isNull();
    }

    @Test
    void structuredReplyKeepsFieldsAndLabelledSummary() {
        fixture.mode = Replies.Mode.STRUCTURED;
        server.script(MockLlmServer.Fault.INVALID_JSON);
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        SummaryRecord record = onlyRecord();
        assertThat(record.status()).isEqualTo("ok");
        assertThat(record.mode()).isEqualTo("structured");
        assertThat(record.fields()).containsOnlyKeys("topic", "tone", "audience", "style");
        assertThat(record.summary()).startsWith("Тематика: Тема канала").contains("\nТон: ")
                .contains("\nЦелевая аудитория: ").contains("\nСтиль подачи: ");
    }

    @Test
    void contextLengthShrinksOnceWithAnotherPrompt() {
        // About 5,000 tokens of post and 700 of system prompt: over the 5,500 context, while
        // three quarters of the rejected prompt fit.
        fixture.post(3, "Длинный пост. ".repeat(800)).window(101, 7, 1, 2, 3);
        server.settings().contextTokens = 5500;
        fixture.maxInputTokens = 7000;
        fixture.maxPostTokens = 10_000;
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        List<MockLlmServer.Seen> forLongWindow = server.seen().stream()
                .filter(s -> s.userMessage().contains("Длинный пост")).toList();
        assertThat(forLongWindow).extracting(MockLlmServer.Seen::status).containsExactly(400, 200);
        assertThat(forLongWindow.get(1).promptTokens()).isLessThan(forLongWindow.get(0).promptTokens());
        assertThat(fixture.byAdPost().get(101L).get(0).status()).isEqualTo("ok");
        assertThat(fixture.byAdPost().get(101L).get(0).postsTrimmed()).isEqualTo(1);
    }

    @Test
    void secondContextLengthRejectionGivesUp() {
        server.script(MockLlmServer.Fault.CONTEXT_LENGTH, MockLlmServer.Fault.CONTEXT_LENGTH);
        fixture.post(3, "Длинный пост. ".repeat(300)).window(100, 7, 1, 2, 3);
        fixture.windowList.remove(0);
        fixture.write();

        fixture.run(server, LlmFixture.keys(1));

        List<MockLlmServer.Seen> seen = server.seen();
        assertThat(seen).hasSize(2);
        assertThat(seen.get(1).userMessage()).isNotEqualTo(seen.get(0).userMessage());
        assertThat(onlyRecord().reason()).isEqualTo("context_length");
        assertThat(onlyRecord().retryable()).isFalse();
    }

    @Test
    void retryFailedTakesOnlyFailedAdPosts() {
        fixture.post(3, "Третий пост").window(101, 7, 3);
        server.script(MockLlmServer.Fault.BAD_REQUEST);
        fixture.write();
        fixture.run(server, LlmFixture.keys(1));
        int callsBefore = server.seen().size();

        fixture.retryFailed = true;
        SummarizeStep.Result retried = fixture.run(server, LlmFixture.keys(1));

        assertThat(callsBefore).isEqualTo(2);
        assertThat(server.seen()).hasSize(3);
        assertThat(retried.ok()).isEqualTo(1);
        assertThat(fixture.byAdPost().values()).allSatisfy(records ->
                assertThat(records.get(records.size() - 1).status()).isEqualTo("ok"));
    }
}
