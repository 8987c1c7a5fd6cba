package chanemb.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import chanemb.Config;
import chanemb.Json;
import chanemb.UserException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The remote encoder against a local embedding server that computes vectors with the bundled model. */
class RemoteEncoderTest {
    private static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofSeconds(20), Duration.ofMillis(50),
            Duration.ofMillis(200));
    private static final List<String> TEXTS = List.of(
            "Скидки на ноутбуки до конца недели",
            "Погода в Москве: завтра снег и ветер, послезавтра оттепель",
            "short english post",
            "Новый выпуск подкаста о маркетинге в Telegram уже вышел, слушайте по ссылке в профиле канала",
            "Курс валют 💵 на сегодня",
            "Розыгрыш 🚀🚀 призов среди подписчиков",
            "Длинный пост про рекламу и аудиторию канала. ".repeat(40),
            "Анонс",
            "Мы открыли новый офис в Казани и ищем дизайнеров, разработчиков и менеджеров проектов",
            "Итоги года: 10 000 подписчиков, 300 постов, 12 интеграций",
            "Как выбрать ноутбук для учёбы",
            "Вебинар в четверг в 19:00");

    private static Encoder local;
    private static Encoder serverModel;

    private FakeEmbeddingServer server;
    private final List<RemoteEncoder> opened = new ArrayList<>();

    @BeforeAll
    static void loadModels() {
        local = Encoder.load(TestModels.bundled());
        serverModel = Encoder.load(TestModels.bundled());
    }

    @AfterAll
    static void closeModels() {
        local.close();
        serverModel.close();
    }

    @BeforeEach
    void startServer() throws Exception {
        server = new FakeEmbeddingServer(serverModel);
    }

    @AfterEach
    void stopServer() {
        opened.forEach(RemoteEncoder::close);
        server.close();
    }

    @Test
    void teiTokensMatchLocalInInputOrder() {
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 4, 2, Duration.ofSeconds(30), FAST, null);
        server.delayAnswers(100);

        Encoder.Embedded got = remote.embedTexts(TEXTS, 8192);

        Encoder.Embedded expected = local.embedTexts(TEXTS, 1);
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(TestModels.cosine(got.vectors()[i], expected.vectors()[i])).as("text %d", i).isGreaterThan(0.99999);
            assertThat(Pooling.isUnit(got.vectors()[i], 1e-5)).isTrue();
        }
        assertThat(got.tokenCounts()).containsExactly(expected.tokenCounts());
        assertThat(got.truncated()).containsExactly(expected.truncated());
        assertThat(got.truncated()[6]).isTrue();
        assertThat(server.maxInFlight()).as("requests in flight at once").isGreaterThan(1);
        JsonNode body = server.requests().get(1).body();
        assertThat(body.path("truncate").asBoolean(true)).isFalse();
        assertThat(body.path("normalize").asBoolean()).isTrue();
        assertThat(body.path("inputs").get(0).isArray()).isTrue();
        assertThat(server.requests()).allSatisfy(r -> assertThat(r.path()).isEqualTo("/embed"));
        assertThat(server.requests()).allSatisfy(r -> assertThat(r.body().path("inputs").size()).isLessThanOrEqualTo(2));
    }

    @Test
    void openAiTextsMatchLocalVectors() {
        RemoteEncoder remote = open(RemoteApi.OPENAI, RemoteSettings.Input.TEXT, 2, 5, Duration.ofSeconds(30), FAST, null);

        Encoder.Embedded got = remote.embedTexts(TEXTS, 8192);

        Encoder.Embedded expected = local.embedTexts(TEXTS, 1);
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(TestModels.cosine(got.vectors()[i], expected.vectors()[i])).as("text %d", i).isGreaterThan(0.99999);
        }
        assertThat(got.truncated()).containsExactly(expected.truncated());
        assertThat(server.requests()).allSatisfy(r -> {
            assertThat(r.path()).isEqualTo("/v1/embeddings");
            assertThat(r.body().path("model").asText()).isEqualTo("served-model");
            assertThat(r.body().path("encoding_format").asText()).isEqualTo("float");
        });
        String sentLong = server.requests().stream().flatMap(r -> java.util.stream.StreamSupport
                        .stream(r.body().path("input").spliterator(), false))
                .map(JsonNode::asText).filter(t -> t.contains("Длинный")).findFirst().orElseThrow();
        String formattedLong = TestModels.bundled().format(TEXTS.get(6));
        assertThat(formattedLong).startsWith(sentLong);
        assertThat(local.countTokens(List.of(sentLong))[0]).isLessThanOrEqualTo(512);
    }

    @Test
    void rateLimitWaitsAsRetryAfterAsks() {
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), FAST, null);
        server.then(FakeEmbeddingServer.Fault.status(429, "1")).then(FakeEmbeddingServer.Fault.status(429, "1"));
        Instant start = Instant.now();

        Encoder.Embedded got = remote.embedTexts(List.of("пост"), 8192);

        assertThat(Duration.between(start, Instant.now())).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        List<FakeEmbeddingServer.Seen> calls = server.requests().subList(1, server.requests().size());
        assertThat(calls).hasSize(3);
        assertThat(calls.get(1).receivedNanos() - calls.get(0).receivedNanos()).isGreaterThanOrEqualTo(1_000_000_000L);
        assertThat(calls.get(2).receivedNanos() - calls.get(1).receivedNanos()).isGreaterThanOrEqualTo(1_000_000_000L);
        assertThat(got.vectors()[0]).hasSize(384);
    }

    @Test
    void rateLimitWithoutRetryAfterBacksOff() {
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), FAST, null);
        server.then(FakeEmbeddingServer.Fault.status(429, null));

        Encoder.Embedded got = remote.embedTexts(List.of("пост"), 8192);

        assertThat(server.requests()).hasSize(3);
        assertThat(got.vectors()[0]).hasSize(384);
    }

    @Test
    void serviceUnavailableThenSuccess() {
        RemoteEncoder remote = open(RemoteApi.OPENAI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), FAST, null);
        server.then(FakeEmbeddingServer.Fault.status(503, null));

        Encoder.Embedded got = remote.embedTexts(List.of("пост"), 8192);

        assertThat(server.requests()).hasSize(3);
        assertThat(TestModels.cosine(got.vectors()[0], local.embedTexts(List.of("пост"), 1).vectors()[0]))
                .isGreaterThan(0.99999);
    }

    @Test
    void timeoutIsRetried() {
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(1), FAST, null);
        server.then(FakeEmbeddingServer.Fault.delay(3000));
        Instant start = Instant.now();

        Encoder.Embedded got = remote.embedTexts(List.of("пост"), 8192);

        assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofMillis(2900));
        assertThat(server.requests()).hasSize(3);
        assertThat(got.vectors()[0]).hasSize(384);
    }

    @Test
    void droppedConnectionIsRetried() {
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), FAST, null);
        server.then(FakeEmbeddingServer.Fault.dropConnection());

        Encoder.Embedded got = remote.embedTexts(List.of("пост"), 8192);

        assertThat(server.requests()).hasSize(3);
        assertThat(got.vectors()[0]).hasSize(384);
    }

    @Test
    void badRequestFailsAtOnce() {
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), FAST, null);
        server.errorBody("{\"error\":\"Input validation error: `inputs` must have less than 256 tokens\","
                + "\"error_type\":\"validation\"}");
        server.then(FakeEmbeddingServer.Fault.status(400, null));

        assertThatThrownBy(() -> remote.embedTexts(List.of("пост"), 8192))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("HTTP 400")
                .hasMessageContaining("must have less than 256 tokens")
                .hasMessageContaining("a batch of 1 inputs");
        assertThat(server.requests()).hasSize(2);
    }

    @Test
    void retriesStopAtTheLimit() {
        RetryPolicy twice = new RetryPolicy(2, Duration.ofSeconds(20), Duration.ofMillis(50), Duration.ofMillis(100));
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), twice, null);
        for (int i = 0; i < 5; i++) {
            server.then(FakeEmbeddingServer.Fault.status(503, null));
        }

        assertThatThrownBy(() -> remote.embedTexts(List.of("пост"), 8192))
                .isInstanceOf(RemoteException.class)
                .hasMessageContaining("failed 3 times")
                .hasMessageContaining("HTTP 503");
        assertThat(server.requests()).hasSize(4);
    }

    @Test
    void retryAfterOverBudgetFailsAtOnce() {
        RetryPolicy shortBudget = new RetryPolicy(5, Duration.ofSeconds(2), Duration.ofMillis(50), Duration.ofMillis(100));
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), shortBudget, null);
        server.then(FakeEmbeddingServer.Fault.status(429, "60"));
        Instant start = Instant.now();

        assertThatThrownBy(() -> remote.embedTexts(List.of("пост"), 8192))
                .isInstanceOf(RemoteException.class).hasMessageContaining("HTTP 429");
        assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void wrongDimensionIsRejected() {
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), FAST, null);
        server.then(FakeEmbeddingServer.Fault.extraValues(1));

        assertThatThrownBy(() -> remote.embedTexts(List.of("пост"), 8192))
                .isInstanceOf(RemoteException.class)
                .hasMessageContaining("385 values")
                .hasMessageContaining("first vector had 384");
    }

    @Test
    void vectorsThatAreNotUnitAreNormalizedHere() {
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), FAST, null);
        server.then(FakeEmbeddingServer.Fault.scale(3));

        float[] got = remote.embedTexts(List.of("пост"), 8192).vectors()[0];

        assertThat(Pooling.isUnit(got, 1e-5)).isTrue();
        assertThat(TestModels.cosine(got, local.embedTexts(List.of("пост"), 1).vectors()[0])).isGreaterThan(0.99999);
    }

    @Test
    void apiKeyIsSentAsBearerToken() {
        open(RemoteApi.OPENAI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), FAST, "sk-test-123");

        assertThat(server.requests()).isNotEmpty()
                .allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer sk-test-123"));
    }

    @Test
    void noApiKeyMeansNoAuthorizationHeader() {
        open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), FAST, " ");

        assertThat(server.requests()).allSatisfy(r -> assertThat(r.authorization()).isNull());
    }

    @Test
    void countsAndDimensionEqualTheLocalEncoder() {
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), FAST, null);

        assertThat(remote.dimension()).isEqualTo(local.dimension());
        assertThat(remote.countTokens(TEXTS)).containsExactly(local.countTokens(TEXTS));
    }

    @Test
    void emptyTextNeverReachesTheServer() {
        RemoteEncoder remote = open(RemoteApi.TEI, RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(30), FAST, null);
        int before = server.requests().size();

        assertThatThrownBy(() -> remote.embedTexts(List.of("пост", " \n"), 8192))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(server.requests()).hasSize(before);
    }

    @Test
    void unreachableServerFailsAfterRetries() {
        RetryPolicy once = new RetryPolicy(1, Duration.ofSeconds(10), Duration.ofMillis(50), Duration.ofMillis(50));
        String url = server.url();
        server.close();

        assertThatThrownBy(() -> RemoteEncoder.open(TestModels.bundled(), settings(url, RemoteApi.TEI,
                RemoteSettings.Input.TOKENS, 1, 32, Duration.ofSeconds(5), once), null))
                .isInstanceOf(RemoteException.class).hasMessageContaining("failed 2 times").hasMessageContaining(url);
    }

    @Test
    void cutTextFitsAndKeepsSurrogates() {
        String text = TestModels.bundled().format("цена 💵 растёт ".repeat(120));
        try (ModelTokenizer tokenizer = ModelTokenizer.load(TestModels.bundled())) {
            String cut = tokenizer.cutText(text);

            assertThat(text).startsWith(cut);
            assertThat(Character.isHighSurrogate(cut.charAt(cut.length() - 1))).isFalse();
            assertThat(tokenizer.countTokens(List.of(cut))[0]).isLessThanOrEqualTo(512);
            assertThat(tokenizer.tokenize(List.of(cut)).ids()[0]).containsExactly(tokenizer.tokenize(List.of(text)).ids()[0]);
            assertThat(Json.LINE.readTree(Json.LINE.writeValueAsString(cut)).asText()).isEqualTo(cut);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void shortTextIsSentWhole() {
        try (ModelTokenizer tokenizer = ModelTokenizer.load(TestModels.bundled())) {
            assertThat(tokenizer.cutText("query: короткий пост")).isEqualTo("query: короткий пост");
        }
    }

    @Test
    void endpointPathIsAddedOnce() {
        assertThat(RemoteApi.TEI.endpoint("http://gpu-1:8080")).hasToString("http://gpu-1:8080/embed");
        assertThat(RemoteApi.TEI.endpoint("http://gpu-1:8080/")).hasToString("http://gpu-1:8080/embed");
        assertThat(RemoteApi.TEI.endpoint("http://gpu-1:8080/embed")).hasToString("http://gpu-1:8080/embed");
        assertThat(RemoteApi.OPENAI.endpoint("http://gpu-1:8000")).hasToString("http://gpu-1:8000/v1/embeddings");
        assertThat(RemoteApi.OPENAI.endpoint("https://api.example.test/v1")).hasToString("https://api.example.test/v1/embeddings");
        assertThat(RemoteApi.OPENAI.endpoint("https://api.example.test/v1/embeddings"))
                .hasToString("https://api.example.test/v1/embeddings");
        assertThatThrownBy(() -> RemoteApi.TEI.endpoint("gpu-1:8080")).isInstanceOf(UserException.class)
                .hasMessageContaining("gpu-1:8080");
    }

    @Test
    void retryAfterInSecondsAndAsDate() {
        Instant now = Instant.parse("2025-01-01T00:00:00Z");

        assertThat(RetryPolicy.parseRetryAfter("2", now)).isEqualTo(Duration.ofSeconds(2));
        assertThat(RetryPolicy.parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now)).isEqualTo(Duration.ofSeconds(30));
        assertThat(RetryPolicy.parseRetryAfter("soon", now)).isNull();
        assertThat(RetryPolicy.parseRetryAfter(null, now)).isNull();
    }

    @Test
    void backoffDoublesUpToTheCap() {
        RetryPolicy policy = new RetryPolicy(10, Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofSeconds(30));
        Instant now = Instant.now();

        assertThat(policy.delay(1, null, now)).isBetween(Duration.ofMillis(750), Duration.ofSeconds(1));
        assertThat(policy.delay(3, null, now)).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(4));
        assertThat(policy.delay(9, null, now)).isBetween(Duration.ofMillis(22_500), Duration.ofSeconds(30));
        assertThat(policy.delay(9, "7", now)).isEqualTo(Duration.ofSeconds(7));
    }

    @CommandLine.Command(name = "holder")
    static class Holder {
        @CommandLine.Mixin
        EncoderOptions options;
    }

    @Test
    void remoteOptionsArePassedOnToAnotherStep() {
        Holder first = new Holder();
        new CommandLine(first).parseArgs("--remote", "http://gpu-1:8080", "--remote-api", "openai", "--remote-model", "m",
                "--remote-input", "text", "--concurrency", "8", "--remote-batch-size", "16", "--remote-timeout", "30",
                "--remote-retries", "2", "--max-batch-tokens", "4096");
        Holder second = new Holder();

        new CommandLine(second).parseArgs(first.options.toArgs().toArray(String[]::new));

        assertThat(second.options.toArgs()).isEqualTo(first.options.toArgs());
        RemoteSettings settings = second.options.remoteSettings(TestModels.bundled());
        assertThat(settings).isEqualTo(new RemoteSettings("http://gpu-1:8080", RemoteApi.OPENAI, "m", RemoteSettings.Input.TEXT,
                8, 16, Duration.ofSeconds(30), RetryPolicy.DEFAULT.withMaxRetries(2)));
    }

    @Test
    void remoteOptionOpensARemoteEncoder() {
        Holder holder = new Holder();
        new CommandLine(holder).parseArgs("--model", TestModels.bundled().dir().toString(), "--remote", server.url());

        try (TextEncoder encoder = holder.options.open(Config.defaults(Path.of("").toAbsolutePath(), Map.of()))) {
            assertThat(encoder).isInstanceOf(RemoteEncoder.class);
            assertThat(((RemoteEncoder) encoder).url()).hasToString(server.url() + "/embed");
            assertThat(encoder.spec().id()).isEqualTo(BundledModel.ID);
        }
    }

    @Test
    void invalidRemoteOptionsNameTheValue() {
        Holder holder = new Holder();
        new CommandLine(holder).parseArgs("--remote", "http://gpu-1:8080", "--concurrency", "0");

        assertThatThrownBy(() -> holder.options.remoteSettings(TestModels.bundled()))
                .isInstanceOf(UserException.class).hasMessageContaining("--concurrency 0");
        new CommandLine(holder).parseArgs("--remote", "http://gpu-1:8080", "--remote-api", "cohere");
        assertThatThrownBy(() -> holder.options.remoteSettings(TestModels.bundled()))
                .isInstanceOf(UserException.class).hasMessageContaining("cohere").hasMessageContaining("tei, openai");
    }

    private RemoteEncoder open(RemoteApi api, RemoteSettings.Input input, int concurrency, int batchSize, Duration timeout,
                               RetryPolicy retry, String apiKey) {
        RemoteEncoder remote = RemoteEncoder.open(TestModels.bundled(),
                settings(server.url(), api, input, concurrency, batchSize, timeout, retry), apiKey);
        opened.add(remote);
        return remote;
    }

    private static RemoteSettings settings(String url, RemoteApi api, RemoteSettings.Input input, int concurrency,
                                           int batchSize, Duration timeout, RetryPolicy retry) {
        return new RemoteSettings(url, api, "served-model", input, concurrency, batchSize, timeout, retry);
    }
}
