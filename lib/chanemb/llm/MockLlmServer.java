package chanemb.llm;

import chanemb.Dataset;
import chanemb.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for Mistral's API and OpenAI-compatible servers, for tests, benchmarks and
 * trying the step without a key. It listens on the loopback address only.
 *
 * <p>It speaks {@code POST /v1/chat/completions} and the batch protocol ({@code POST /v1/files},
 * {@code POST /v1/batch/jobs}, {@code GET /v1/batch/jobs/{id}},
 * {@code GET /v1/files/{id}/content}). Replies are made from the request, in one of two ways
 * ({@link ReplyText}): by default the summary names the number of posts and a fingerprint (the
 * first 8 hex digits of the SHA-256 of the user message), so a test can tell which window a
 * summary came from; in extractive mode it is {@link ExtractiveReply}, the first sentences of
 * the window's posts. Usage counts come from {@link TokenEstimate}.
 *
 * <p>Configurable: latency, per-key limits enforced over sliding windows of arrival times (429,
 * with or without Retry-After), a context length, accepted keys, and faults: scripted ones
 * applied to the next chat calls in order, and random ones at given rates.
 */
public final class MockLlmServer implements AutoCloseable {
    private static final Pattern POST_TAG = Pattern.compile("<post n=\"");

    /** Faults the server can inject into a chat completion call. */
    public enum Fault {
        /** 429 with Retry-After (seconds from {@link Settings#retryAfterSeconds}). */
        RATE_LIMIT,
        /** 429 without Retry-After. */
        RATE_LIMIT_NO_HEADER,
        /** 500 Internal Server Error. */
        SERVER_ERROR,
        /** 503 with Mistral's "Service tier capacity exceeded for this model." */
        CAPACITY,
        /** No response until {@link Settings#hang} has passed. */
        TIMEOUT,
        /** The connection is closed before any response. */
        RESET,
        /** 200 whose body stops halfway. */
        TRUNCATED,
        /** 200 whose content is not JSON (invalid in structured mode). */
        INVALID_JSON,
        /** 200 cut off at the output budget: finish_reason "length". */
        LENGTH,
        /** 200 with content null and finish_reason "stop". */
        EMPTY,
        /** 400 context length exceeded. */
        CONTEXT_LENGTH,
        /** 400 invalid request. */
        BAD_REQUEST,
        /** 401 unauthorized. */
        UNAUTHORIZED
    }

    /** Source of the text of a successful reply. */
    public enum ReplyText {
        /** The number of posts, a fingerprint of the user message and filler words. */
        FINGERPRINT,
        /** The first sentences of the posts in the user message ({@link ExtractiveReply}). */
        EXTRACTIVE
    }

    /** Server behaviour; change it before or between calls (fields are read per request). */
    public static final class Settings {
        public volatile Duration latency = Duration.ZERO;
        public volatile double requestsPerSecond;
        public volatile long tokensPerMinute;
        public volatile boolean sendRetryAfter = true;
        public volatile int retryAfterSeconds = 1;
        /** Retry-After with millisecond precision ("0.125") instead of whole seconds, for time-scaled runs. */
        public volatile boolean preciseRetryAfter;
        public volatile Duration hang = Duration.ofSeconds(30);
        public volatile int contextTokens;
        /** Reply length in tokens (estimated): the target in fingerprint mode, the maximum in extractive mode. */
        public volatile int replyTokens = 60;
        public volatile ReplyText replyText = ReplyText.FINGERPRINT;
        public volatile Set<String> validKeys = Set.of();
        public volatile Duration batchDelay = Duration.ofMillis(200);
        public final Map<Fault, Double> faultRates = new EnumMap<>(Fault.class);
        public volatile long seed = 1;
    }

    /** One chat call as the server received it; {@code arrivalNanos} is the admission time. */
    public record Seen(long arrivalNanos, String key, int status, Fault fault, long promptTokens, long completionTokens,
                       int maxTokens, String userMessage) {
    }

    private final Settings settings;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "mock-llm");
        thread.setDaemon(true);
        return thread;
    });
    private final Deque<Fault> scripted = new ArrayDeque<>();
    private final List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, KeyWindow> windows = new ConcurrentHashMap<>();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> jobs = new ConcurrentHashMap<>();
    private final Random random;
    private final ThreadLocal<Integer> currentMaxTokens = ThreadLocal.withInitial(() -> 0);

    private MockLlmServer(Settings settings, int port) throws IOException {
        this.settings = settings;
        this.random = new Random(settings.seed);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts a server on a free loopback port (or {@code port} when it is not 0). */
    public static MockLlmServer start(Settings settings, int port) throws IOException {
        return new MockLlmServer(settings, port);
    }

    public static MockLlmServer start() throws IOException {
        return start(new Settings(), 0);
    }

    /** Returns the base URL to give as llm.base-url, e.g. http://127.0.0.1:41234/v1. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public Settings settings() {
        return settings;
    }

    /** Makes the next chat calls fail with these faults, one each, in order. */
    public void script(Fault... faults) {
        synchronized (scripted) {
            scripted.addAll(List.of(faults));
        }
    }

    /** Returns every chat call so far, in arrival order. */
    public List<Seen> seen() {
        synchronized (seen) {
            return List.copyOf(seen);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        long arrival = System.nanoTime();
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            byte[] body = exchange.getRequestBody().readAllBytes();
            String key = bearer(exchange);
            if (!settings.validKeys.isEmpty() && !settings.validKeys.contains(key)) {
                send(exchange, 401, error("Unauthorized", "invalid_api_key"));
                return;
            }
            if (method.equals("POST") && path.endsWith("/chat/completions")) {
                chat(exchange, arrival, key, body);
            } else if (method.equals("POST") && path.endsWith("/files")) {
                upload(exchange, body);
            } else if (method.equals("POST") && path.endsWith("/batch/jobs")) {
                createJob(exchange, body);
            } else if (method.equals("GET") && path.contains("/batch/jobs/")) {
                ObjectNode job = jobs.get(path.substring(path.lastIndexOf('/') + 1));
                send(exchange, job == null ? 404 : 200, job == null ? error("No such job", "not_found") : job.toString());
            } else if (method.equals("GET") && path.contains("/files/") && path.endsWith("/content")) {
                String id = path.substring(path.indexOf("/files/") + 7, path.lastIndexOf("/content"));
                byte[] content = files.get(id);
                if (content == null) {
                    send(exchange, 404, error("No such file", "not_found"));
                } else {
                    exchange.sendResponseHeaders(200, content.length);
                    exchange.getResponseBody().write(content);
                }
            } else {
                send(exchange, 404, error("Not found: " + method + " " + path, "not_found"));
            }
        }
    }

    private void chat(HttpExchange exchange, long received, String key, byte[] body) throws IOException {
        long arrival = received;
        JsonNode request = Json.LINE.readTree(body);
        String system = message(request, "system");
        String user = message(request, "user");
        long promptTokens = TokenEstimate.INSTANCE.count(system) + TokenEstimate.INSTANCE.count(user);
        int maxTokens = request.path("max_tokens").asInt(Integer.MAX_VALUE);
        currentMaxTokens.set(maxTokens);
        boolean structured = request.has("response_format");
        Fault fault = nextFault();

        // Limits first: a request over the limit is rejected whatever else it would get.
        KeyWindow window = windows.computeIfAbsent(key, k -> new KeyWindow());
        long retryAfterNanos;
        synchronized (window) {
            // Admission time, taken under the lock, keeps the window's times in order.
            arrival = System.nanoTime();
            retryAfterNanos = window.admit(arrival, promptTokens + Math.min(maxTokens, settings.replyTokens));
        }
        if (retryAfterNanos > 0 || fault == Fault.RATE_LIMIT || fault == Fault.RATE_LIMIT_NO_HEADER) {
            boolean header = fault == Fault.RATE_LIMIT || (fault == null && settings.sendRetryAfter);
            if (header) {
                String value;
                if (fault == Fault.RATE_LIMIT) {
                    value = Integer.toString(settings.retryAfterSeconds);
                } else if (settings.preciseRetryAfter) {
                    value = String.format(java.util.Locale.ROOT, "%.3f", Math.ceil(retryAfterNanos / 1e6) / 1000);
                } else {
                    value = Long.toString(Math.max(1, (retryAfterNanos + 999_999_999L) / 1_000_000_000L));
                }
                exchange.getResponseHeaders().add("Retry-After", value);
            }
            record(arrival, key, 429, fault, 0, 0, user);
            send(exchange, 429, error("Requests rate limit exceeded", "rate_limited"));
            return;
        }
        sleep(settings.latency);
        if (settings.contextTokens > 0 && promptTokens + Math.min(maxTokens, settings.replyTokens) > settings.contextTokens
                || fault == Fault.CONTEXT_LENGTH) {
            record(arrival, key, 400, fault, promptTokens, 0, user);
            send(exchange, 400, error("Prompt contains " + promptTokens + " tokens and 0 draft tokens, too large for"
                    + " model with " + settings.contextTokens + " maximum context length", "invalid_request_error"));
            return;
        }
        if (fault != null) {
            switch (fault) {
                case SERVER_ERROR -> {
                    record(arrival, key, 500, fault, 0, 0, user);
                    send(exchange, 500, error("Internal server error", "internal_error"));
                    return;
                }
                case CAPACITY -> {
                    record(arrival, key, 503, fault, 0, 0, user);
                    send(exchange, 503, error("Service tier capacity exceeded for this model.", "service_tier_capacity_exceeded"));
                    return;
                }
                case BAD_REQUEST -> {
                    record(arrival, key, 400, fault, 0, 0, user);
                    send(exchange, 400, error("Invalid request: temperature out of range", "invalid_request_error"));
                    return;
                }
                case UNAUTHORIZED -> {
                    record(arrival, key, 401, fault, 0, 0, user);
                    send(exchange, 401, error("Unauthorized", "invalid_api_key"));
                    return;
                }
                case TIMEOUT -> {
                    record(arrival, key, 0, fault, 0, 0, user);
                    sleep(settings.hang);
                    throw new IOException("mock: hung up after the timeout");
                }
                case RESET -> {
                    record(arrival, key, 0, fault, 0, 0, user);
                    throw new IOException("mock: connection reset");
                }
                default -> {
                    // Faults in the reply body are made below.
                }
            }
        }
        ObjectNode completion = completion(request, user, structured, maxTokens, fault);
        long completionTokens = completion.path("usage").path("completion_tokens").asLong();
        record(arrival, key, 200, fault, promptTokens, completionTokens, user);
        byte[] bytes = completion.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        if (fault == Fault.TRUNCATED) {
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes, 0, bytes.length / 2);
            exchange.getResponseBody().flush();
            throw new IOException("mock: body cut off");
        }
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    /** Builds the chat completion object that replies to the request. */
    ObjectNode completion(JsonNode request, String user, boolean structured, int maxTokens, Fault fault) {
        String fingerprint = Dataset.sha256(user).substring(0, 8);
        int posts = count(POST_TAG, user);
        String content;
        if (fault == Fault.INVALID_JSON) {
            content = "{\"topic\": \"обрыв";
        } else if (settings.replyText == ReplyText.EXTRACTIVE && structured) {
            ObjectNode fields = Json.LINE.createObjectNode();
            ExtractiveReply.structured(user, settings.replyTokens).forEach(fields::put);
            content = fields.toString();
        } else if (settings.replyText == ReplyText.EXTRACTIVE) {
            content = ExtractiveReply.plain(user, settings.replyTokens);
        } else if (structured) {
            ObjectNode fields = Json.LINE.createObjectNode();
            fields.put("topic", "Тема канала " + fingerprint + ", постов: " + posts);
            fields.put("tone", "Спокойный, " + filler(settings.replyTokens / 4));
            fields.put("audience", "Подписчики канала");
            fields.put("style", "Короткие посты");
            content = fields.toString();
        } else {
            content = "Сводка " + fingerprint + ": канал, постов в окне " + posts + ". " + filler(settings.replyTokens);
        }
        String finish = "stop";
        if (fault == Fault.LENGTH || TokenEstimate.INSTANCE.count(content) > maxTokens) {
            content = TokenEstimate.INSTANCE.cut(content, Math.min(maxTokens, Math.max(1, TokenEstimate.INSTANCE.count(content) / 2)));
            finish = "length";
        }
        ObjectNode root = Json.LINE.createObjectNode();
        root.put("id", "cmpl-" + UUID.randomUUID());
        root.put("object", "chat.completion");
        root.put("model", request.path("model").asText("mock"));
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        if (fault == Fault.EMPTY) {
            message.putNull("content");
            finish = "stop";
        } else {
            message.put("content", content);
        }
        choice.put("finish_reason", finish);
        long prompt = TokenEstimate.INSTANCE.count(message(request, "system")) + TokenEstimate.INSTANCE.count(user);
        long completion = fault == Fault.EMPTY ? 0 : TokenEstimate.INSTANCE.count(content);
        root.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
        return root;
    }

    /** Russian words that make a reply about {@code tokens} tokens long. */
    private static String filler(int tokens) {
        String word = "канал ";
        int words = Math.max(0, tokens * 2 / word.length());
        return word.repeat(words).strip();
    }

    private Fault nextFault() {
        synchronized (scripted) {
            if (!scripted.isEmpty()) {
                return scripted.pollFirst();
            }
        }
        synchronized (random) {
            for (Map.Entry<Fault, Double> rate : settings.faultRates.entrySet()) {
                if (random.nextDouble() < rate.getValue()) {
                    return rate.getKey();
                }
            }
        }
        return null;
    }

    private void record(long arrival, String key, int status, Fault fault, long prompt, long completion, String user) {
        seen.add(new Seen(arrival, key, status, fault, prompt, completion, currentMaxTokens.get(), user));
    }

    /** Sliding windows of one key's accepted requests, by arrival time, with no margin. */
    private final class KeyWindow {
        private final ArrayDeque<Long> starts = new ArrayDeque<>();
        private final ArrayDeque<long[]> tokens = new ArrayDeque<>();
        private long tokenSum;

        /** Admits a request and returns 0, or returns the nanoseconds until it would be admitted. */
        synchronized long admit(long now, long cost) {
            double rps = settings.requestsPerSecond;
            long wait = 0;
            if (rps > 0) {
                int n = (int) Math.max(1, Math.floor(rps));
                long window = (long) (n / rps * 1e9);
                while (!starts.isEmpty() && starts.peekFirst() <= now - window) {
                    starts.removeFirst();
                }
                if (starts.size() >= n) {
                    wait = starts.peekFirst() + window - now;
                }
            }
            long tpm = settings.tokensPerMinute;
            if (tpm > 0) {
                long minute = TimeUnit.MINUTES.toNanos(1);
                while (!tokens.isEmpty() && tokens.peekFirst()[0] <= now - minute) {
                    tokenSum -= tokens.removeFirst()[1];
                }
                if (tokenSum + cost > tpm) {
                    wait = Math.max(wait, tokens.isEmpty() ? minute : tokens.peekFirst()[0] + minute - now);
                }
            }
            if (wait > 0) {
                return wait;
            }
            starts.addLast(now);
            tokens.addLast(new long[] {now, cost});
            tokenSum += cost;
            return 0;
        }
    }

    private void upload(HttpExchange exchange, byte[] body) throws IOException {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        byte[] content = multipartFile(body, type);
        if (content == null) {
            send(exchange, 400, error("Expected multipart/form-data with a file part", "invalid_request_error"));
            return;
        }
        String id = UUID.randomUUID().toString();
        files.put(id, content);
        ObjectNode file = Json.LINE.createObjectNode().put("id", id).put("object", "file").put("bytes", content.length)
                .put("purpose", "batch");
        send(exchange, 200, file.toString());
    }

    private void createJob(HttpExchange exchange, byte[] body) throws IOException {
        JsonNode request = Json.LINE.readTree(body);
        String input = request.path("input_files").path(0).asText();
        if (!files.containsKey(input)) {
            send(exchange, 404, error("No such file: " + input, "not_found"));
            return;
        }
        String id = UUID.randomUUID().toString();
        ObjectNode job = Json.LINE.createObjectNode().put("id", id).put("object", "batch")
                .put("model", request.path("model").asText()).put("endpoint", request.path("endpoint").asText())
                .put("status", "QUEUED").put("total_requests", 0).put("completed_requests", 0)
                .put("succeeded_requests", 0).put("failed_requests", 0).putNull("output_file").putNull("error_file");
        job.putArray("input_files").add(input);
        jobs.put(id, job);
        executor.execute(() -> runJob(job, files.get(input), request.path("model").asText()));
        send(exchange, 200, job.toString());
    }

    private void runJob(ObjectNode job, byte[] input, String model) {
        sleep(settings.batchDelay);
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int total = 0;
        int failed = 0;
        for (String line : new String(input, StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            total++;
            try {
                JsonNode entry = Json.LINE.readTree(line);
                ObjectNode request = ((ObjectNode) entry.path("body")).deepCopy().put("model", model);
                String user = message(request, "user");
                Fault fault = nextFault();
                ObjectNode result = Json.LINE.createObjectNode().put("id", "batch-" + UUID.randomUUID())
                        .put("custom_id", entry.path("custom_id").asText());
                if (fault == Fault.SERVER_ERROR) {
                    failed++;
                    result.putObject("response").put("status_code", 500).putObject("body").put("message", "error");
                    result.putObject("error").put("message", "Internal server error");
                    errors.write((result + "\n").getBytes(StandardCharsets.UTF_8));
                    continue;
                }
                ObjectNode response = result.putObject("response").put("status_code", 200);
                response.set("body", completion(request, user, request.has("response_format"),
                        request.path("max_tokens").asInt(Integer.MAX_VALUE), fault));
                result.putNull("error");
                output.write((result + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                failed++;
            }
        }
        String outputId = UUID.randomUUID().toString();
        files.put(outputId, output.toByteArray());
        synchronized (job) {
            job.put("status", "SUCCESS").put("total_requests", total).put("completed_requests", total)
                    .put("succeeded_requests", total - failed).put("failed_requests", failed).put("output_file", outputId);
            if (errors.size() > 0) {
                String errorId = UUID.randomUUID().toString();
                files.put(errorId, errors.toByteArray());
                job.put("error_file", errorId);
            }
        }
    }

    /** Returns the content of the part named "file" of a multipart/form-data body, or null. */
    static byte[] multipartFile(byte[] body, String contentType) {
        if (contentType == null || !contentType.contains("boundary=")) {
            return null;
        }
        String boundary = "--" + contentType.substring(contentType.indexOf("boundary=") + 9).replace("\"", "").trim();
        String text = new String(body, StandardCharsets.ISO_8859_1);
        for (String part : text.split(Pattern.quote(boundary))) {
            int headerEnd = part.indexOf("\r\n\r\n");
            if (headerEnd < 0 || !part.substring(0, headerEnd).contains("name=\"file\"")) {
                continue;
            }
            String content = part.substring(headerEnd + 4);
            if (content.endsWith("\r\n")) {
                content = content.substring(0, content.length() - 2);
            }
            return content.getBytes(StandardCharsets.ISO_8859_1);
        }
        return null;
    }

    private static String message(JsonNode request, String role) {
        for (JsonNode message : request.path("messages")) {
            if (role.equals(message.path("role").asText())) {
                return message.path("content").asText("");
            }
        }
        return "";
    }

    private static String bearer(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        return header != null && header.startsWith("Bearer ") ? header.substring(7) : "";
    }

    private static int count(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        int n = 0;
        while (matcher.find()) {
            n++;
        }
        return n;
    }

    private static String error(String message, String type) {
        return Json.LINE.createObjectNode().put("object", "error").put("message", message).put("type", type).toString();
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sleep(Duration duration) {
        if (duration.isZero() || duration.isNegative()) {
            return;
        }
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Returns the keys of every chat call, for tests. */
    public Set<String> keysSeen() {
        Set<String> keys = new HashSet<>();
        seen().forEach(s -> keys.add(s.key()));
        return keys;
    }

    /** Returns the accepted calls per key, each list in order of admission time, for benchmarks. */
    public Map<String, List<Seen>> acceptedByKey() {
        Map<String, List<Seen>> byKey = new HashMap<>();
        for (Seen s : seen()) {
            if (s.status() == 200) {
                byKey.computeIfAbsent(s.key(), k -> new ArrayList<>()).add(s);
            }
        }
        byKey.values().forEach(calls -> calls.sort(java.util.Comparator.comparingLong(Seen::arrivalNanos)));
        return byKey;
    }
}
