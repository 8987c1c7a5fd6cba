package chanemb.llm;

import static org.assertj.core.api.Assertions.assertThat;

import chanemb.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batch mode against the mock's batch API: upload, job, polling, results, resume by job id. */
class BatchTest {
    @TempDir
    Path dir;

    MockLlmServer server;
    LlmFixture fixture;

    @BeforeEach
    void start() throws Exception {
        chanemb.Cli.prepareProcess(false, true);
        server = MockLlmServer.start();
        fixture = new LlmFixture(dir);
        for (int i = 1; i <= 7; i++) {
            fixture.post(i, "Пост " + i);
        }
        fixture.window(101, 7, 1, 2).window(102, 7, 1, 2).window(103, 7, 2, 3).window(104, 7, 3, 4)
                .window(105, 7, 4, 5).window(106, 7, 5, 6).window(107, 7, 6, 7).write();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private SummarizeStep.BatchOptions batch(String attach, boolean wait) {
        return new SummarizeStep.BatchOptions(attach, 4, Duration.ofMillis(100), wait);
    }

    @Test
    void jobsRunAndResultsAreWritten() {
        fixture.batch = batch(null, true);

        SummarizeStep.Result result = fixture.run(server, LlmFixture.keys(1));

        List<SummaryRecord> records = fixture.records();
        assertThat(records).hasSize(7).allSatisfy(r -> assertThat(r.status()).isEqualTo("ok"));
        assertThat(records).extracting(SummaryRecord::batchJob).doesNotContainNull();
        assertThat(records.stream().map(SummaryRecord::batchJob).distinct()).hasSize(2);
        assertThat(result.pending()).isZero();
        assertThat(result.cost()).isNotNull();
        assertThat(server.seen()).isEmpty();
    }

    @Test
    void noWaitThenRerunCollectsByJobId() throws Exception {
        server.settings().batchDelay = Duration.ofMillis(500);
        fixture.batch = batch(null, false);

        SummarizeStep.Result submitted = fixture.run(server, LlmFixture.keys(1));
        Path state = BatchRunner.stateFile(fixture.output);
        BatchRunner.State saved = Json.read(state, BatchRunner.State.class);
        Thread.sleep(800);
        fixture.batch = batch(null, false);
        SummarizeStep.Result collected = fixture.run(server, LlmFixture.keys(1));

        assertThat(submitted.pending()).isEqualTo(7);
        assertThat(saved.jobs()).hasSize(2).allSatisfy(j -> assertThat(j.collected()).isFalse());
        assertThat(collected.pending()).isZero();
        assertThat(fixture.records()).hasSize(7);
        assertThat(Json.read(state, BatchRunner.State.class).jobs()).allSatisfy(j -> assertThat(j.collected()).isTrue());
    }

    @Test
    void jobAttachedByIdIsCollected() throws Exception {
        fixture.batch = batch(null, false);
        fixture.run(server, LlmFixture.keys(1));
        Path state = BatchRunner.stateFile(fixture.output);
        List<String> ids = Json.read(state, BatchRunner.State.class).jobs().stream().map(BatchRunner.JobState::id).toList();
        Files.delete(state);
        Thread.sleep(500);

        fixture.batch = batch(ids.get(0), true);
        fixture.run(server, LlmFixture.keys(1));

        assertThat(fixture.records()).hasSize(7);
        assertThat(fixture.records()).extracting(SummaryRecord::adPostId).doesNotHaveDuplicates();
    }

    @Test
    void failedLinesStayPending() {
        server.settings().faultRates.put(MockLlmServer.Fault.SERVER_ERROR, 1.0);
        fixture.batch = batch(null, true);

        SummarizeStep.Result result = fixture.run(server, LlmFixture.keys(1));

        assertThat(result.pending()).isEqualTo(7);
        assertThat(fixture.records()).allSatisfy(r -> {
            assertThat(r.reason()).isEqualTo("batch_error");
            assertThat(r.retryable()).isTrue();
        });
    }
}
