package chanemb.llm;

import chanemb.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import okhttp3.ConnectionPool;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Chat completions over HTTP: Mistral's API and any OpenAI-compatible server (vLLM, llama.cpp
 * server, Ollama), which share the request and reply format of {@code POST /chat/completions}.
 *
 * <p>A call returns a reply or a classified failure for {@link RetryPolicy}: HTTP errors and
 * I/O exceptions become failures, so only programming errors escape as exceptions. OkHttp's own silent retry is off, so every resend
 * goes through the policy, is bounded and is logged.
 */
public final class ChatClient {
    static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

    /** Error texts of context-length rejections: Mistral, OpenAI, vLLM and llama.cpp server. */
    private static final Pattern CONTEXT_LENGTH = Pattern.compile(
            "context[ _](length|size|window)|too large for model|too many tokens|prompt is too long",
            Pattern.CASE_INSENSITIVE);

    private final OkHttpClient http;
    private final HttpUrl baseUrl;

    /** Timeouts: connecting, and waiting for the reply of one call (a slow completion takes minutes). */
    public record Timeouts(Duration connect, Duration reply) {
        public static Timeouts defaults() {
            return new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(180));
        }
    }

    /** One chat completion request; {@code responseFormat} is null in plain mode. */
    public record ChatRequest(String model, String system, String user, double temperature, int maxTokens,
                              ObjectNode responseFormat) {
        /** Builds the request body, also used for the lines of a batch file. */
        public ObjectNode body(boolean withModel) {
            ObjectNode body = Json.LINE.createObjectNode();
            if (withModel) {
                body.put("model", model);
            }
            var messages = body.putArray("messages");
            messages.addObject().put("role", "system").put("content", system);
            messages.addObject().put("role", "user").put("content", user);
            body.put("temperature", temperature);
            body.put("max_tokens", maxTokens);
            if (responseFormat != null) {
                body.set("response_format", responseFormat);
            }
            return body;
        }
    }

    /** The outcome of a call: a reply with usage, or a failure, with the latency in milliseconds. */
    public record Result(String content, String finishReason, long promptTokens, long completionTokens,
                         RetryPolicy.Failure failure, long latencyMs) {
        public boolean isReply() {
            return failure == null;
        }
    }

    public ChatClient(String baseUrl, Timeouts timeouts, int maxIdleConnections) {
        this.baseUrl = parseBaseUrl(baseUrl);
        this.http = new OkHttpClient.Builder()
                .connectTimeout(timeouts.connect())
                .readTimeout(timeouts.reply())
                .writeTimeout(Duration.ofSeconds(60))
                .callTimeout(timeouts.reply().plusSeconds(60))
                .retryOnConnectionFailure(false)
                .connectionPool(new ConnectionPool(Math.max(5, maxIdleConnections), 5, TimeUnit.MINUTES))
                .build();
    }

    static HttpUrl parseBaseUrl(String baseUrl) {
        HttpUrl url = HttpUrl.parse(baseUrl);
        if (url == null) {
            throw new chanemb.UserException("summarize.invalid-base-url", baseUrl);
        }
        return url;
    }

    public HttpUrl baseUrl() {
        return baseUrl;
    }

    OkHttpClient http() {
        return http;
    }

    /** Resolves a path such as "chat/completions" against the base URL. */
    HttpUrl url(String path) {
        return baseUrl.newBuilder().addPathSegments(path).build();
    }

    /** Adds the bearer token when there is a key; the key goes nowhere else. */
    static Request.Builder authorized(Request.Builder builder, ApiKeys.Key key) {
        builder.header("User-Agent", "chanemb");
        if (key != null && key.secret() != null) {
            builder.header("Authorization", "Bearer " + key.secret());
        }
        return builder;
    }

    /** Sends one chat completion request with the given key (null: no key). */
    public Result complete(ApiKeys.Key key, ChatRequest request) {
        return complete(key, request, () -> {
        });
    }

    /**
     * Sends one chat completion request; {@code beforeSend} runs once the body is built, just
     * before the request goes out.
     */
    public Result complete(ApiKeys.Key key, ChatRequest request, Runnable beforeSend) {
        Request httpRequest = authorized(new Request.Builder(), key)
                .url(url("chat/completions"))
                .post(RequestBody.create(request.body(true).toString(), JSON))
                .build();
        beforeSend.run();
        long start = System.nanoTime();
        try (Response response = http.newCall(httpRequest).execute()) {
            ResponseBody body = response.body();
            String text = body == null ? "" : body.string();
            long latency = (System.nanoTime() - start) / 1_000_000;
            if (!response.isSuccessful()) {
                return failure(classify(response.code(), response.header("Retry-After"), text), latency);
            }
            return parseReply(text, latency);
        } catch (InterruptedIOException e) {
            return failure(new RetryPolicy.Failure(RetryPolicy.Kind.TIMEOUT, "timed out: " + e.getMessage()),
                    millisSince(start));
        } catch (IOException e) {
            return failure(new RetryPolicy.Failure(RetryPolicy.Kind.CONNECTION,
                    e.getClass().getSimpleName() + ": " + e.getMessage()), millisSince(start));
        }
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static Result failure(RetryPolicy.Failure failure, long latencyMs) {
        return new Result(null, null, 0, 0, failure, latencyMs);
    }

    /** Classifies an unsuccessful HTTP status. */
    static RetryPolicy.Failure classify(int status, String retryAfter, String body) {
        String detail = "HTTP " + status + ": " + Replies.excerpt(body == null ? "" : body);
        if (status == 429) {
            return new RetryPolicy.Failure(RetryPolicy.Kind.RATE_LIMITED, detail,
                    RetryPolicy.parseRetryAfter(retryAfter, Instant.now()).orElse(null));
        }
        if (status >= 500) {
            return new RetryPolicy.Failure(RetryPolicy.Kind.SERVER_ERROR, detail,
                    RetryPolicy.parseRetryAfter(retryAfter, Instant.now()).orElse(null));
        }
        if (status == 401 || status == 403) {
            return new RetryPolicy.Failure(RetryPolicy.Kind.UNAUTHORIZED, "HTTP " + status);
        }
        if (status == 408) {
            return new RetryPolicy.Failure(RetryPolicy.Kind.TIMEOUT, detail);
        }
        if (body != null && CONTEXT_LENGTH.matcher(body).find()) {
            return new RetryPolicy.Failure(RetryPolicy.Kind.CONTEXT_LENGTH, detail);
        }
        return new RetryPolicy.Failure(RetryPolicy.Kind.BAD_REQUEST, detail);
    }

    /** Reads a chat completion reply; anything unreadable is a transient bad response. */
    static Result parseReply(String text, long latency) {
        JsonNode root;
        try {
            root = Json.LINE.readTree(text);
        } catch (IOException e) {
            return failure(new RetryPolicy.Failure(RetryPolicy.Kind.BAD_RESPONSE,
                    "unreadable reply: " + Replies.excerpt(text)), latency);
        }
        JsonNode choice = root == null ? null : root.path("choices").path(0);
        if (choice == null || choice.isMissingNode()) {
            return failure(new RetryPolicy.Failure(RetryPolicy.Kind.BAD_RESPONSE,
                    "reply without choices: " + Replies.excerpt(text)), latency);
        }
        JsonNode usage = root.path("usage");
        String finish = choice.path("finish_reason").isTextual() ? choice.path("finish_reason").asText() : null;
        return new Result(content(choice.path("message").path("content")), finish,
                usage.path("prompt_tokens").asLong(0), usage.path("completion_tokens").asLong(0), null, latency);
    }

    /** Message content as text: a string, or the text parts of a list of content chunks. */
    static String content(JsonNode node) {
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : node) {
                if (part.path("type").asText("text").equals("text") && part.path("text").isTextual()) {
                    text.append(part.path("text").asText());
                }
            }
            return text.toString();
        }
        return null;
    }
}
