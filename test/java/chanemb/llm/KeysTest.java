package chanemb.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import chanemb.Config;
import chanemb.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys from the environment, organizations, limits across keys, and rejected keys. */
class KeysTest {
    @TempDir
    Path dir;

    MockLlmServer server;
    LlmFixture fixture;

    @BeforeEach
    void start() throws Exception {
        chanemb.Cli.prepareProcess(false, true);
        server = MockLlmServer.start();
        fixture = new LlmFixture(dir);
        for (int i = 1; i <= 12; i++) {
            fixture.post(i, "Пост " + i).window(100 + i, 7, i);
        }
        fixture.write();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Config config(Map<String, String> settings) {
        return Config.defaults(dir, settings);
    }

    @Test
    void singleKeyComesFromTheEnvironment() {
        ApiKeys keys = ApiKeys.load(config(Map.of()), Map.of("MISTRAL_API_KEY", "sk-test"));

        assertThat(keys.keys()).hasSize(1);
        assertThat(keys.keys().get(0).label()).isEqualTo("mistral_api_key");
        assertThat(keys.keys().get(0).toString()).doesNotContain("sk-test");
        assertThat(keys.organizations().values()).containsExactly(new RateLimiter.Limits(1, 500_000, 1_000_000_000));
    }

    @Test
    void missingKeyNamesTheVariable() {
        assertThatThrownBy(() -> ApiKeys.load(config(Map.of()), Map.of()))
                .isInstanceOf(UserException.class).hasMessageContaining("MISTRAL_API_KEY");
    }

    @Test
    void openAiCompatibleServerNeedsNoKey() {
        ApiKeys keys = ApiKeys.load(config(Map.of("llm.provider", "openai")), Map.of());

        assertThat(keys.keys().get(0).label()).isEqualTo("no-key");
    }

    @Test
    void keysOfOneOrganizationShareOneLimiter() throws Exception {
        Path file = dir.resolve("keys.json");
        Files.writeString(file, """
                {"keys": [
                  {"label": "a1", "env": "KEY_A1", "organization": "a", "requests_per_second": 2, "tokens_per_minute": 100000},
                  {"label": "a2", "env": "KEY_A2", "organization": "a"},
                  {"label": "b", "env": "KEY_B", "concurrency": 2}
                ]}""");

        ApiKeys keys = ApiKeys.load(config(Map.of("llm.keys-file", file.toString())),
                Map.of("KEY_A1", "s1", "KEY_A2", "s2", "KEY_B", "s3"));

        assertThat(keys.keys()).extracting(ApiKeys.Key::organization).containsExactly("a", "a", "b");
        assertThat(keys.organizations()).hasSize(2);
        assertThat(keys.organizations().get("a")).isEqualTo(new RateLimiter.Limits(2, 100_000, 1_000_000_000));
        assertThat(keys.keys().get(2).concurrency()).isEqualTo(2);
    }

    @Test
    void conflictingLimitsInOneOrganizationAreRejected() throws Exception {
        Path file = dir.resolve("keys.json");
        Files.writeString(file, """
                {"keys": [
                  {"label": "a1", "env": "KEY_A1", "organization": "a", "requests_per_second": 2},
                  {"label": "a2", "env": "KEY_A2", "organization": "a", "requests_per_second": 3}
                ]}""");

        assertThatThrownBy(() -> ApiKeys.load(config(Map.of("llm.keys-file", file.toString())),
                Map.of("KEY_A1", "s1", "KEY_A2", "s2")))
                .isInstanceOf(UserException.class).hasMessageContaining("organization a").hasMessageContaining("a2");
    }

    @Test
    void everyKeyIsUsedAndNoneIsWritten() {
        ApiKeys keys = LlmFixture.keys(3);
        server.settings().latency = java.time.Duration.ofMillis(100);

        fixture.run(server, keys);

        assertThat(server.keysSeen()).containsExactlyInAnyOrder("secret-key-1", "secret-key-2", "secret-key-3");
        assertThat(fixture.records()).hasSize(12).allSatisfy(r -> assertThat(r.status()).isEqualTo("ok"));
        assertThat(fixture.outputText()).doesNotContain("secret-key");
    }

    @Test
    void rejectedKeyIsDroppedAndOthersFinish() {
        server.settings().validKeys = java.util.Set.of("secret-key-2");

        SummarizeStep.Result result = fixture.run(server, LlmFixture.keys(2));

        assertThat(result.ok()).isEqualTo(12);
        assertThat(result.pending()).isZero();
        assertThat(fixture.records()).allSatisfy(r -> assertThat(r.key()).isEqualTo("key-2"));
    }

    @Test
    void allKeysRejectedStopsTheRun() {
        server.settings().validKeys = java.util.Set.of("other");

        assertThatThrownBy(() -> fixture.run(server, LlmFixture.keys(2)))
                .isInstanceOf(UserException.class).hasMessageContaining("Every API key was rejected");
        assertThat(fixture.records()).isEmpty();
    }

    @Test
    void monthlyLimitLeavesTheRestPending() {
        List<String> secrets = new ArrayList<>(List.of("secret-key-1"));
        // Each call reserves about 800 input and 600 output tokens, so three fit in 4,500, and one or
        // two more once replies settle at their real usage of about 900.
        ApiKeys keys = ApiKeys.of(secrets, new RateLimiter.Limits(0, 0, 4_500), 1);

        SummarizeStep.Result result = fixture.run(server, keys);

        assertThat(result.ok()).isBetween(3L, 5L);
        assertThat(result.pending()).isEqualTo(12 - result.ok());
        assertThat(fixture.records()).hasSize((int) result.ok());
    }
}
