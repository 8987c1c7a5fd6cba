package chanemb.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import chanemb.UserException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resuming from the summaries file: done ad posts are skipped, a partial line is redone. */
class ResumeTest {
    @TempDir
    Path dir;

    MockLlmServer server;
    LlmFixture fixture;

    @BeforeEach
    void start() throws Exception {
        chanemb.Cli.prepareProcess(false, true);
        server = MockLlmServer.start();
        fixture = new LlmFixture(dir).post(1, "первый").post(2, "второй").post(3, "третий")
                .window(1, 7, 1).window(2, 7, 1, 2).window(3, 7, 1, 2, 3).write();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void rerunSkipsDoneAdPosts() {
        fixture.limit = 2;
        SummarizeStep.Result first = fixture.run(server, LlmFixture.keys(1));
        fixture.limit = 0;
        SummarizeStep.Result second = fixture.run(server, LlmFixture.keys(1));
        SummarizeStep.Result third = fixture.run(server, LlmFixture.keys(1));

        assertThat(first.ok()).isEqualTo(2);
        assertThat(second.alreadyDone()).isEqualTo(2);
        assertThat(second.ok()).isEqualTo(1);
        assertThat(third.calls()).isZero();
        assertThat(server.seen()).hasSize(3);
        assertThat(fixture.records()).extracting(SummaryRecord::adPostId).containsExactlyInAnyOrder(1L, 2L, 3L);
    }

    @Test
    void partialLastLineIsDroppedAndRedone() throws Exception {
        fixture.limit = 1;
        fixture.run(server, LlmFixture.keys(1));
        Files.writeString(fixture.output, "{\"ad_post_id\":3,\"summary\":\"Кан", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        fixture.limit = 0;

        fixture.run(server, LlmFixture.keys(1));

        String text = fixture.outputText();
        assertThat(text).endsWith("\n").doesNotContain("\"summary\":\"Кан\n");
        assertThat(text.lines()).hasSize(3);
        assertThat(fixture.byAdPost().get(3L)).hasSize(1);
        assertThat(fixture.byAdPost().get(3L).get(0).status()).isEqualTo("ok");
    }

    @Test
    void malformedLineInTheMiddleIsAnError() throws Exception {
        fixture.run(server, LlmFixture.keys(1));
        List<String> lines = Files.readAllLines(fixture.output);
        lines.set(1, "{\"ad_post_id\":2,\"summary\":");
        Files.write(fixture.output, lines);

        assertThatThrownBy(() -> fixture.run(server, LlmFixture.keys(1)))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("line 2").hasMessageContaining(fixture.output.toString());
    }

    @Test
    void fileOfAnotherConfigurationIsRefused() {
        fixture.run(server, LlmFixture.keys(1));
        fixture.maxOutputTokens = 300;

        assertThatThrownBy(() -> fixture.run(server, LlmFixture.keys(1)))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("another configuration").hasMessageContaining("--output");
    }

    @Test
    void earlierSummaryOfSameWindowIsReused() {
        fixture.window(4, 7, 1, 2, 3);
        fixture.windowList.remove(fixture.windowList.size() - 1);
        fixture.write();
        fixture.run(server, LlmFixture.keys(1));
        fixture.window(4, 7, 1, 2, 3).write();

        SummarizeStep.Result second = fixture.run(server, LlmFixture.keys(1));

        assertThat(second.calls()).isZero();
        assertThat(second.reused()).isEqualTo(1);
        SummaryRecord reused = fixture.byAdPost().get(4L).get(0);
        assertThat(reused.reusedFrom()).isEqualTo(3L);
        assertThat(reused.summary()).isEqualTo(fixture.byAdPost().get(3L).get(0).summary());
    }

    @Test
    void estimateOnlyCallsNothingAndWritesNothing() {
        fixture.estimateOnly = true;

        SummarizeStep.Result result = fixture.run(server, LlmFixture.keys(1));

        assertThat(server.seen()).isEmpty();
        assertThat(Files.exists(fixture.output)).isFalse();
        assertThat(result.pending()).isEqualTo(3);
    }
}
