package chanemb.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The summarize command killed with SIGKILL while calls are in flight, then rerun until it
 * finishes: every ad post ends with exactly one ok record, and the file has only whole lines.
 */
class KillResumeTest {
    private static final int WINDOWS = 60;

    @TempDir
    Path dir;

    MockLlmServer server;
    LlmFixture fixture;

    @BeforeEach
    void start() throws Exception {
        server = MockLlmServer.start();
        server.settings().latency = Duration.ofMillis(150);
        fixture = new LlmFixture(dir);
        for (int i = 1; i <= WINDOWS + 1; i++) {
            fixture.post(i, "Пост номер " + i + " о скидках");
        }
        for (int i = 1; i <= WINDOWS; i++) {
            fixture.window(1000 + i, 7, i, i + 1);
        }
        fixture.write();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void killedRunsFinishWithEveryAdPostOnce() throws Exception {
        List<Integer> killedAt = new ArrayList<>();
        for (int killAfter : new int[] {5, 25, 45}) {
            Process process = summarize();
            waitForLines(killAfter, process);
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            killedAt.add(lines());
        }
        Process last = summarize();
        boolean finished = last.waitFor(120, TimeUnit.SECONDS);
        String output = new String(last.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(finished).isTrue();
        assertThat(last.exitValue()).as(output).isZero();
        assertThat(output).contains("Summaries: 60 ad posts");
        assertThat(killedAt).allSatisfy(n -> assertThat(n).isLessThan(WINDOWS));
        assertThat(Files.readString(fixture.output)).endsWith("\n");
        Map<Long, Integer> okPerAdPost = new HashMap<>();
        for (SummaryRecord record : fixture.records()) {
            assertThat(record.status()).isEqualTo("ok");
            okPerAdPost.merge(record.adPostId(), 1, Integer::sum);
        }
        assertThat(okPerAdPost).hasSize(WINDOWS);
        assertThat(okPerAdPost.values()).containsOnly(1);
    }

    private Process summarize() throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "summarize",
                "--no-channel-profiles", "--base-url", server.baseUrl(),
                "--windows", fixture.windows.toString(), "--texts", fixture.texts.toString(),
                "--output", fixture.output.toString(), "--data-dir", dir.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().put("MISTRAL_API_KEY", "test-key");
        builder.environment().put("CHANEMB_LLM_REQUESTS_PER_SECOND", "0");
        builder.environment().put("CHANEMB_LLM_CONCURRENCY", "4");
        builder.environment().put("CHANEMB_LANG", "en");
        return builder.start();
    }

    private void waitForLines(int count, Process process) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (lines() < count) {
            assertThat(process.isAlive()).as("summarize still running").isTrue();
            assertThat(System.nanoTime()).as("waited for " + count + " records").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private int lines() throws IOException {
        if (!Files.exists(fixture.output)) {
            return 0;
        }
        byte[] bytes = Files.readAllBytes(fixture.output);
        int count = 0;
        for (byte b : bytes) {
            count += b == '\n' ? 1 : 0;
        }
        return count;
    }
}
